using NetDsl.Generators.Model;

namespace NetDsl.Generators.Kinds.Layers;

/// <summary>What <see cref="MaxPool"/> and <see cref="AvgPool"/> share: a <c>Kernel</c> x <c>Kernel</c> window over maps, <c>Stride</c> (0: the kernel) and <c>Padding</c>.</summary>
internal abstract class Pool : ILayerKind
{
    public abstract string Name { get; }
    public string? Attribute => "NetDsl." + Name + "Attribute";
    /// <summary><c>MaxPool2d</c>, <c>AvgPool2d</c>.</summary>
    public string? FieldType => Name + "2d";
    public string? Example => "[" + Name + "]";
    public bool IsWeight => false;
    public bool Composite => false;
    public bool FreshOutput => false;

    public LayerSpec? Read(LayerRead r)
    {
        int kernel = r.Int("Kernel", 2), stride = r.Int("Stride", 0), padding = r.Int("Padding", 0);
        if (kernel <= 0 || kernel > Limits.MaxWindow) r.Invalid($"Kernel of {r.Label}", kernel, LayerRead.Between(1));
        if (stride < 0 || stride > Limits.MaxWindow) r.Invalid($"Stride of {r.Label}", stride, LayerRead.Between(1) + " (or 0 for the kernel size)");
        if (padding < 0 || padding > kernel / 2) r.Invalid($"Padding of {r.Label}", padding, $"between 0 and half the kernel ({kernel / 2})");
        return LayerSpec.Create(r.Name, this, kernel: kernel, stride: stride, padding: padding);
    }

    public bool? TakesMaps(LayerSpec l) => true;

    public LayerOutput? Infer(LayerShape c) =>
        c.NeedsMap(FieldType!) && c.Window(c.Input[0], c.Layer.Kernel, c.Layer.PoolStride, c.Layer.Padding) is { } y ? new(y) : null;

    public string ModuleType(LayerSpec l, bool map) => FieldType!;

    public string Factory(LayerSpec l, LayerSizes s) =>
        $"global::TorchSharp.torch.nn.{FieldType}({l.Kernel}, stride: {l.PoolStride}{(l.Padding == 0 ? "" : ", padding: " + l.Padding)})";

    public string PyTorch(LayerSpec l, LayerSizes s) =>
        $"nn.{FieldType}(kernel_size={l.Kernel}, stride={l.PoolStride}" + (l.Padding == 0 ? "" : ", padding=" + l.Padding) + ")";

    public Nonlinearity? Activates(LayerSpec l) => null;
    public SizeStep? Size(LayerSpec l, int? stride) => new(l.Kernel, l.PoolStride, l.Padding);
}
