using System.Globalization;
using NetDsl.Generators.Model;

namespace NetDsl.Generators.Kinds.Layers;

/// <summary>
/// <c>[ZeroPad(Padding = 1)]</c> on a <c>ZeroPad2d</c> field: <c>nn.ZeroPad2d(p)</c>, <c>[N, C, H, W]</c> to
/// <c>[N, C, H + 2p, W + 2p]</c> with zeros on each side (as before a convolution without padding, or an odd-sized input). No parameters.
/// </summary>
internal sealed class ZeroPad : ILayerKind
{
    public string Name => "ZeroPad";
    public string? Attribute => "NetDsl.ZeroPadAttribute";
    public string? FieldType => "ZeroPad2d";
    public string? Example => "[ZeroPad(Padding = 1)]";
    public bool IsWeight => false;
    public bool Composite => false;
    public bool FreshOutput => false;

    public LayerSpec? Read(LayerRead r)
    {
        int padding = r.Int("Padding", 1);
        if (padding < 0 || padding > Limits.MaxWindow) r.Invalid($"Padding of {r.Label}", padding, LayerRead.Between(0));
        return LayerSpec.Create(r.Name, this, padding: padding);
    }

    public bool? TakesMaps(LayerSpec l) => true;

    public LayerOutput? Infer(LayerShape c) =>
        c.NeedsMap("ZeroPad2d") ? new(new[] { c.Input[0], c.Input[1] + 2L * c.Layer.Padding, c.Input[2] + 2L * c.Layer.Padding }) : null;

    public string ModuleType(LayerSpec l, bool map) => "ZeroPad2d";
    public string Factory(LayerSpec l, LayerSizes s) => $"global::TorchSharp.torch.nn.ZeroPad2d({l.Padding.ToString(CultureInfo.InvariantCulture)})";
    public string PyTorch(LayerSpec l, LayerSizes s) => $"nn.ZeroPad2d({l.Padding.ToString(CultureInfo.InvariantCulture)})";
    public Nonlinearity? Activates(LayerSpec l) => null;

    // A 1x1 window at stride 1 with the padding: (H + 2p - 1) / 1 + 1 = H + 2p.
    public SizeStep? Size(LayerSpec l, int? stride) => new(1, 1, l.Padding);
}
