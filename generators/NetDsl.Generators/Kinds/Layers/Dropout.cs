using NetDsl.Generators.Model;

namespace NetDsl.Generators.Kinds.Layers;

/// <summary><c>[Dropout(P = 0.5)]</c> on a <c>Dropout</c> field: <c>nn.Dropout(p)</c>, zeroes each element with probability p in training.</summary>
internal sealed class Dropout : ILayerKind
{
    public string Name => "Dropout";
    public string? Attribute => "NetDsl.DropoutAttribute";
    public string? FieldType => "Dropout";
    public string? Example => "[Dropout(P = 0.5)]";
    public bool IsWeight => false;
    public bool Composite => false;
    public bool FreshOutput => false;

    public LayerSpec? Read(LayerRead r)
    {
        double p = r.Double("P", 0.5);
        // (NaN fails the range check too.)
        if (!(p >= 0 && p < 1)) r.Report(Diagnostics.DiagnosticDescriptors.InvalidValue, $"P of {r.Label}", Parsing.PolicyArguments.Show(p), "at least 0 and less than 1");
        return LayerSpec.Create(r.Name, this, p: p);
    }

    public bool? TakesMaps(LayerSpec l) => null;
    public LayerOutput? Infer(LayerShape c) => new(c.Input);
    public string ModuleType(LayerSpec l, bool map) => "Dropout";
    public string Factory(LayerSpec l, LayerSizes s) => $"global::TorchSharp.torch.nn.Dropout({Literals.CSharp(l.P)})";
    public string PyTorch(LayerSpec l, LayerSizes s) => $"nn.Dropout(p={Literals.Python(l.P)})";
    public Nonlinearity? Activates(LayerSpec l) => null;
    public SizeStep? Size(LayerSpec l, int? stride) => null;
}
