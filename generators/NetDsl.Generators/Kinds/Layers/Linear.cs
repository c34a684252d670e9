using NetDsl.Generators.Diagnostics;
using NetDsl.Generators.Model;

namespace NetDsl.Generators.Kinds.Layers;

/// <summary>
/// <c>[Linear(10, Bias)]</c> on a <c>Linear</c> field: <c>nn.Linear</c> on vectors <c>[N, F]</c> (in a block the size is the
/// block's width). A weight layer: the class's normalization and activation follow it, except after a network's head.
/// </summary>
internal sealed class Linear : ILayerKind
{
    public string Name => "Linear";
    public string? Attribute => "NetDsl.LinearAttribute";
    public string? FieldType => "Linear";
    public string? Example => "[Linear(10)]";
    public bool IsWeight => true;
    public bool Composite => false;
    public bool FreshOutput => true;

    public LayerSpec? Read(LayerRead r) =>
        LayerSpec.Create(r.Name, this, @out: r.WeightSize("[Linear(64)]"), kernel: 0, stride: 1, padding: 0, bias: r.StatedBool("Bias"), norm: r.Norm, activation: r.Activation);

    public bool? TakesMaps(LayerSpec l) => false;

    public LayerOutput? Infer(LayerShape c)
    {
        if (c.Map)
        {
            c.Report(DiagnosticDescriptors.LinearAfterSpatialMap, c.Name, LayerShape.Show(c.Input));
            return null;
        }
        return new(new[] { c.Out }, c.Out * c.Input[0] + (c.Bias ? c.Out : 0), c.Out * c.Input[0]);
    }

    public string ModuleType(LayerSpec l, bool map) => "Linear";
    public string Factory(LayerSpec l, LayerSizes s) => $"global::TorchSharp.torch.nn.Linear({s.In}, {s.Out}, hasBias: {Literals.CSharp(s.Bias)})";
    public string PyTorch(LayerSpec l, LayerSizes s) => $"nn.Linear({s.In}, {s.Out}, bias={Literals.Python(s.Bias)})";
    public Nonlinearity? Activates(LayerSpec l) => null;
    public SizeStep? Size(LayerSpec l, int? stride) => null;
}
