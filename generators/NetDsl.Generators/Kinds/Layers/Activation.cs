using NetDsl.Generators.Diagnostics;
using NetDsl.Generators.Model;

namespace NetDsl.Generators.Kinds.Layers;

/// <summary>
/// An explicit activation layer: <c>[Activation(Nonlinearity.ReLU)]</c> on a field of the module's type (<c>ReLU relu</c>),
/// tapped like the implied activations. The static members name the modules of every non-linearity, implied ones included.
/// </summary>
internal sealed class Activation : ILayerKind
{
    public string Name => "Activation";
    public string? Attribute => null;
    public string? FieldType => null;
    public string? Example => null;
    public bool IsWeight => false;
    public bool Composite => false;
    public bool FreshOutput => false;

    public LayerSpec? Read(LayerRead r)
    {
        var act = r.Activation!;
        var expected = Literals.Modules + Module(act.Kind);
        if (act.Kind == Nonlinearity.None)
            r.Report(DiagnosticDescriptors.InvalidValue, $"The activation of explicit layer '{r.Name}'", "None", "a non-linearity (remove the field for none)");
        else if (r.FieldType != expected)
            r.ReportAtType(DiagnosticDescriptors.WrongFieldType, r.Name, r.FieldType, "Activation(" + act.Kind + ")", expected);
        else
            return LayerSpec.Create(r.Name, this, activation: act);
        return null;
    }

    public bool? TakesMaps(LayerSpec l) => null;
    public LayerOutput? Infer(LayerShape c) => new(c.Input);
    public string ModuleType(LayerSpec l, bool map) => Module(l.Activation!.Kind);
    public string Factory(LayerSpec l, LayerSizes s) => CSharp(l.Activation!);
    public string PyTorch(LayerSpec l, LayerSizes s) => Python(l.Activation!);
    public Nonlinearity? Activates(LayerSpec l) => l.Activation!.Kind;
    public SizeStep? Size(LayerSpec l, int? stride) => null;

    /// <summary>The TorchSharp module type (no namespace) of a non-linearity; <see cref="Nonlinearity.None"/> is <c>Identity</c>.</summary>
    public static string Module(Nonlinearity a) => a switch
    {
        Nonlinearity.ReLU => "ReLU",
        Nonlinearity.LeakyReLU => "LeakyReLU",
        Nonlinearity.Sigmoid => "Sigmoid",
        Nonlinearity.Tanh => "Tanh",
        Nonlinearity.GELU => "GELU",
        Nonlinearity.None => "Identity",
        _ => throw new System.ArgumentOutOfRangeException(nameof(a), a, "not a Nonlinearity (the reader reports ND0009)"),
    };

    /// <summary>torchvision-style field name of the shared activation module (<c>relu</c>, <c>leaky_relu</c>).</summary>
    public static string Field(Nonlinearity a) => a switch
    {
        Nonlinearity.ReLU => "relu",
        Nonlinearity.LeakyReLU => "leaky_relu",
        Nonlinearity.Sigmoid => "sigmoid",
        Nonlinearity.Tanh => "tanh",
        Nonlinearity.GELU => "gelu",
        Nonlinearity.None => "identity",
        _ => throw new System.ArgumentOutOfRangeException(nameof(a), a, "not a Nonlinearity (the reader reports ND0009)"),
    };

    /// <summary>The C# expression building the module.</summary>
    public static string CSharp(ActivationPolicy a) => a.Kind == Nonlinearity.LeakyReLU
        ? $"global::TorchSharp.torch.nn.LeakyReLU({Literals.CSharp(a.NegativeSlope)})"
        : $"global::TorchSharp.torch.nn.{Module(a.Kind)}()";

    /// <summary>The PyTorch expression building the module.</summary>
    public static string Python(ActivationPolicy a) => a.Kind == Nonlinearity.LeakyReLU
        ? $"nn.LeakyReLU({Literals.Python(a.NegativeSlope)})"
        : $"nn.{Module(a.Kind)}()";
}
