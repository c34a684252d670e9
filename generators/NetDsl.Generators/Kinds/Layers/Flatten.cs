using NetDsl.Generators.Model;

namespace NetDsl.Generators.Kinds.Layers;

/// <summary><c>[Flatten]</c> on a <c>Flatten</c> field: <c>nn.Flatten()</c>, maps <c>[N, C, H, W]</c> to vectors <c>[N, C * H * W]</c>.</summary>
internal sealed class Flatten : ILayerKind
{
    public string Name => "Flatten";
    public string? Attribute => "NetDsl.FlattenAttribute";
    public string? FieldType => "Flatten";
    public string? Example => "[Flatten]";
    public bool IsWeight => false;
    public bool Composite => false;
    public bool FreshOutput => false;
    public LayerSpec? Read(LayerRead r) => LayerSpec.Create(r.Name, this);
    public bool? TakesMaps(LayerSpec l) => true;
    public LayerOutput? Infer(LayerShape c) => c.NeedsMap("Flatten") ? new(new[] { c.Input[0] * c.Input[1] * c.Input[2] }) : null;
    public string ModuleType(LayerSpec l, bool map) => "Flatten";
    public string Factory(LayerSpec l, LayerSizes s) => "global::TorchSharp.torch.nn.Flatten()";
    public string PyTorch(LayerSpec l, LayerSizes s) => "nn.Flatten()";
    public Nonlinearity? Activates(LayerSpec l) => null;
    public SizeStep? Size(LayerSpec l, int? stride) => new(0, 1, 0, Flattens: true);
}
