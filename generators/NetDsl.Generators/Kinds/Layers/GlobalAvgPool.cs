using NetDsl.Generators.Model;

namespace NetDsl.Generators.Kinds.Layers;

/// <summary>
/// <c>[GlobalAvgPool]</c> on an <c>AdaptiveAvgPool2d</c> field: <c>nn.AdaptiveAvgPool2d(1)</c>, maps <c>[N, C, H, W]</c> to
/// <c>[N, C, 1, 1]</c>; the planner flattens them before a following linear layer (torchvision's <c>torch.flatten(x, 1)</c>).
/// </summary>
internal sealed class GlobalAvgPool : ILayerKind
{
    public string Name => "GlobalAvgPool";
    public string? Attribute => "NetDsl.GlobalAvgPoolAttribute";
    public string? FieldType => "AdaptiveAvgPool2d";
    public string? Example => "[GlobalAvgPool]";
    public bool IsWeight => false;
    public bool Composite => false;
    public bool FreshOutput => false;
    public LayerSpec? Read(LayerRead r) => LayerSpec.Create(r.Name, this);
    public bool? TakesMaps(LayerSpec l) => true;
    public LayerOutput? Infer(LayerShape c) => c.NeedsMap("AdaptiveAvgPool2d") ? new(new[] { c.Input[0], 1L, 1L }) : null;
    public string ModuleType(LayerSpec l, bool map) => "AdaptiveAvgPool2d";
    public string Factory(LayerSpec l, LayerSizes s) => "global::TorchSharp.torch.nn.AdaptiveAvgPool2d(1)";
    public string PyTorch(LayerSpec l, LayerSizes s) => "nn.AdaptiveAvgPool2d(1)";
    public Nonlinearity? Activates(LayerSpec l) => null;
    public SizeStep? Size(LayerSpec l, int? stride) => new(0, 1, 0, ToOne: true);
}
