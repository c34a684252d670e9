using System.Globalization;
using NetDsl.Generators.Diagnostics;
using NetDsl.Generators.Model;

namespace NetDsl.Generators.Kinds.Layers;

/// <summary>
/// <c>[Conv(64, Kernel = 3, Stride = 1, Padding = -1, Bias, Strided)]</c> on a <c>Conv2d</c> field: <c>nn.Conv2d</c>. Padding -1
/// is "same" (kernel / 2); in a block the size is the block's planes and <c>Strided</c> marks the convolution taking the
/// block's stride (the planner picks one when none is marked). A weight layer: the class's normalization and activation follow it.
/// </summary>
internal sealed class Conv : ILayerKind
{
    public string Name => "Conv";
    public string? Attribute => "NetDsl.ConvAttribute";
    public string? FieldType => "Conv2d";
    public string? Example => "[Conv(64)]";
    public bool IsWeight => true;
    public bool Composite => false;
    public bool FreshOutput => true;

    public LayerSpec? Read(LayerRead r)
    {
        int size = r.WeightSize("[Conv(64, Kernel = 3)]");
        int kernel = r.Int("Kernel", 3), stride = r.Int("Stride", 1), padding = r.Int("Padding", -1);
        bool strided = r.Bool("Strided", false);
        if (kernel <= 0 || kernel > Limits.MaxWindow) r.Invalid($"Kernel of {r.Label}", kernel, LayerRead.Between(1));
        if (stride <= 0 || stride > Limits.MaxWindow) r.Invalid($"Stride of {r.Label}", stride, LayerRead.Between(1));
        if (padding < -1 || padding > Limits.MaxWindow) r.Invalid($"Padding of {r.Label}", padding, LayerRead.Between(0) + " (or -1 for \"same\")");
        // "Same" is kernel / 2 on each side: only an odd kernel keeps the size that way.
        else if (padding == -1 && kernel > 0 && kernel % 2 == 0)
            r.Report(DiagnosticDescriptors.EvenKernelSamePadding, r.Name, kernel.ToString(CultureInfo.InvariantCulture), (kernel / 2 - 1).ToString(CultureInfo.InvariantCulture), (kernel / 2).ToString(CultureInfo.InvariantCulture));
        if (strided && !r.InBlock) r.Report(DiagnosticDescriptors.ConflictingPolicies, $"{r.Label} is marked Strided outside a block", "use Stride = n in a network");
        return LayerSpec.Create(r.Name, this, @out: size, kernel: kernel, stride: stride, padding: padding, bias: r.StatedBool("Bias"), strided: strided, norm: r.Norm, activation: r.Activation);
    }

    public bool? TakesMaps(LayerSpec l) => true;

    public LayerOutput? Infer(LayerShape c)
    {
        if (!c.NeedsMap("Conv2d") || c.Window(c.Out, c.Layer.Kernel, c.Stride, c.Layer.EffectivePadding) is not { } y) return null;
        long k2 = (long)c.Layer.Kernel * c.Layer.Kernel;
        return new(y, c.Out * c.Input[0] * k2 + (c.Bias ? c.Out : 0), c.Out * y[1] * y[2] * c.Input[0] * k2);
    }

    public string ModuleType(LayerSpec l, bool map) => "Conv2d";

    // padding 0 is left out: a literal 0 also converts to TorchSharp's Padding enum, making the call ambiguous.
    public string Factory(LayerSpec l, LayerSizes s) =>
        $"global::TorchSharp.torch.nn.Conv2d({s.In}, {s.Out}, kernel_size: {l.Kernel}, stride: {s.Stride}{(l.EffectivePadding == 0 ? "" : ", padding: " + l.EffectivePadding)}, bias: {Literals.CSharp(s.Bias)})";

    public string PyTorch(LayerSpec l, LayerSizes s) =>
        $"nn.Conv2d({s.In}, {s.Out}, kernel_size={l.Kernel}, stride={s.Stride}" + (l.EffectivePadding == 0 ? "" : ", padding=" + l.EffectivePadding) + $", bias={Literals.Python(s.Bias)})";

    public Nonlinearity? Activates(LayerSpec l) => null;
    public SizeStep? Size(LayerSpec l, int? stride) => new(l.Kernel, stride, l.EffectivePadding);
}
