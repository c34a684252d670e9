using System.Collections.Generic;
using System.Globalization;
using NetDsl.Generators.Kinds.Normalization;

namespace NetDsl.Generators.Model;

/// <summary>
/// What each layer kind means: its attribute, the field type it needs, the TorchSharp module it
/// builds, its output shape, parameters and multiply-accumulates. Adding a layer kind means adding
/// its attribute in src/NetDsl/Attributes, an entry here, and a test.
/// </summary>
internal static class LayerKinds
{
    public const string Modules = "TorchSharp.Modules.";

    /// <summary>Layer attributes by metadata name.</summary>
    public static readonly IReadOnlyDictionary<string, LayerKind> ByAttribute = new Dictionary<string, LayerKind>
    {
        ["NetDsl.ConvAttribute"] = LayerKind.Conv,
        ["NetDsl.LinearAttribute"] = LayerKind.Linear,
        ["NetDsl.StageAttribute"] = LayerKind.Stage,
    };

    /// <summary>The layer kind declared by the attribute <paramref name="attribute"/> (metadata name), or null.</summary>
    public static LayerKind? OfAttribute(string attribute) =>
        Kinds.Layers.LayerCatalog.ByAttribute(attribute) is { } k ? k.Kind : ByAttribute.TryGetValue(attribute, out var old) ? old : null;

    /// <summary>The TorchSharp module type (without namespace) a field of this kind must have; Stage, normalization and activation layers are checked separately.</summary>
    public static string FieldType(LayerKind kind) => Kinds.Layers.LayerCatalog.Has(kind) ? Kinds.Layers.LayerCatalog.Of(kind).FieldType! : kind switch
    {
        LayerKind.Conv => "Conv2d",
        LayerKind.Linear => "Linear",
        LayerKind.Stage => "ModuleList<TBlock>",
        _ => throw new System.ArgumentOutOfRangeException(nameof(kind), kind, "normalization and activation layers take their type from their policy"),
    };

    public static string ActivationType(Nonlinearity a) => a switch
    {
        Nonlinearity.ReLU => "ReLU",
        Nonlinearity.LeakyReLU => "LeakyReLU",
        Nonlinearity.Sigmoid => "Sigmoid",
        Nonlinearity.Tanh => "Tanh",
        Nonlinearity.GELU => "GELU",
        _ => "Identity",
    };

    /// <summary>torchvision-style field name of the shared activation module.</summary>
    public static string ActivationField(Nonlinearity a) => a switch
    {
        Nonlinearity.ReLU => "relu",
        Nonlinearity.LeakyReLU => "leaky_relu",
        Nonlinearity.Sigmoid => "sigmoid",
        Nonlinearity.Tanh => "tanh",
        Nonlinearity.GELU => "gelu",
        _ => "identity",
    };

    public static string ActivationFactory(ActivationPolicy a) => a.Kind switch
    {
        Nonlinearity.LeakyReLU => $"global::TorchSharp.torch.nn.LeakyReLU({Lit(a.NegativeSlope)})",
        _ => $"global::TorchSharp.torch.nn.{ActivationType(a.Kind)}()",
    };

    /// <summary>
    /// C# expression building the layer; sizes are C# expressions (numbers in networks, constructor parameters in blocks);
    /// <paramref name="spatial"/>: the layer's input is a map <c>[N, C, H, W]</c> (an explicit normalization layer is built for what it gets).
    /// </summary>
    public static string Factory(LayerSpec l, string inSize, string outSize, string stride, bool bias, bool spatial) =>
        Kinds.Layers.LayerCatalog.Has(l.Kind) ? Kinds.Layers.LayerCatalog.Of(l.Kind).Factory(l, new Kinds.Layers.LayerSizes(inSize, outSize, stride, bias, spatial)) : l.Kind switch
    {
        // padding 0 is left out: a literal 0 also converts to TorchSharp's Padding enum, making the call ambiguous.
        LayerKind.Conv => $"global::TorchSharp.torch.nn.Conv2d({inSize}, {outSize}, kernel_size: {l.Kernel}, stride: {stride}{(l.EffectivePadding == 0 ? "" : ", padding: " + l.EffectivePadding)}, bias: {Lit(bias)})",
        LayerKind.Linear => $"global::TorchSharp.torch.nn.Linear({inSize}, {outSize}, hasBias: {Lit(bias)})",
        LayerKind.Norm => Norms.Of(l.Norm!.Kind).Factory(l.Norm, inSize, spatial),
        LayerKind.Activation => ActivationFactory(l.Activation ?? ActivationPolicy.None),
        _ => throw new System.ArgumentOutOfRangeException(nameof(l), l.Kind, "a stage is built by the emitter"),
    };

    /// <summary>The C# type of a layer's field, for generated classes that declare their own layers (variants); <paramref name="spatial"/> as in <see cref="Factory"/>.</summary>
    public static string FieldTypeName(LayerSpec l, bool spatial) => Kinds.Layers.LayerCatalog.Has(l.Kind) ? Global + Kinds.Layers.LayerCatalog.Of(l.Kind).ModuleType(l, spatial) : l.Kind switch
    {
        LayerKind.Norm => Global + Norms.Of(l.Norm!.Kind).ModuleType(spatial),
        LayerKind.Activation => Global + ActivationType((l.Activation ?? ActivationPolicy.None).Kind),
        LayerKind.Stage => Global + "ModuleList<" + l.Block!.TypeName + ">",
        _ => Global + FieldType(l.Kind),
    };

    const string Global = "global::TorchSharp.Modules.";

    /// <summary>The summary's kind column: the TorchSharp module type.</summary>
    public static string SummaryKind(LayerSpec l, bool spatial) => Kinds.Layers.LayerCatalog.Has(l.Kind) ? Kinds.Layers.LayerCatalog.Of(l.Kind).ModuleType(l, spatial) : l.Kind switch
    {
        LayerKind.Norm => Norms.Of(l.Norm!.Kind).ModuleType(spatial),
        LayerKind.Activation => ActivationType((l.Activation ?? ActivationPolicy.None).Kind),
        _ => FieldType(l.Kind),
    };

    /// <summary>Output spatial size of a convolution or pooling window: floor((n + 2p - k) / s) + 1.</summary>
    public static long WindowOutput(long n, int kernel, int stride, int padding) =>
        n + 2L * padding < kernel ? 0 : (n + 2L * padding - kernel) / stride + 1;

    /// <summary>A Python float literal: <c>0.1</c>, <c>1e-5</c>, <c>float("nan")</c>.</summary>
    public static string PyLit(double d) =>
        double.IsNaN(d) ? "float(\"nan\")" : double.IsInfinity(d) ? (d > 0 ? "float(\"inf\")" : "-float(\"inf\")") : Lit(d);

    public static string Lit(bool b) => b ? "true" : "false";

    /// <summary>A C# double literal as a person writes it: <c>0.1</c>, <c>1e-5</c>, <c>2.0</c>.</summary>
    public static string Lit(double d)
    {
        if (double.IsNaN(d)) return "double.NaN";
        if (double.IsInfinity(d)) return d > 0 ? "double.PositiveInfinity" : "double.NegativeInfinity";
        var s = d.ToString("R", CultureInfo.InvariantCulture);
        int e = s.IndexOf('E');
        if (e >= 0) return s.Substring(0, e) + "e" + int.Parse(s.Substring(e + 1), CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);
        return s.Contains(".") ? s : s + ".0";
    }
}
