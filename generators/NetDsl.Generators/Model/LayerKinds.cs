using System.Collections.Generic;
using NetDsl.Generators.Kinds.Layers;

namespace NetDsl.Generators.Model;

/// <summary>
/// What the layer kinds not yet in the catalog (<see cref="LayerCatalog"/>) mean: being moved out one kind at a time.
/// </summary>
internal static class LayerKinds
{
    /// <summary>Layer attributes by metadata name.</summary>
    public static readonly IReadOnlyDictionary<string, LayerKind> ByAttribute = new Dictionary<string, LayerKind>
    {
        ["NetDsl.ConvAttribute"] = LayerKind.Conv,
        ["NetDsl.StageAttribute"] = LayerKind.Stage,
    };

    /// <summary>The layer kind declared by the attribute <paramref name="attribute"/> (metadata name), or null.</summary>
    public static LayerKind? OfAttribute(string attribute) =>
        LayerCatalog.ByAttribute(attribute) is { } k ? k.Kind : ByAttribute.TryGetValue(attribute, out var old) ? old : null;

    /// <summary>The TorchSharp module type (without namespace) a field of this kind must have; Stage, normalization and activation layers are checked separately.</summary>
    public static string FieldType(LayerKind kind) => LayerCatalog.Has(kind) ? LayerCatalog.Of(kind).FieldType! : kind switch
    {
        LayerKind.Conv => "Conv2d",
        LayerKind.Stage => "ModuleList<TBlock>",
        _ => throw new System.ArgumentOutOfRangeException(nameof(kind), kind, "normalization and activation layers take their type from their policy"),
    };

    /// <summary>C# expression building the layer.</summary>
    public static string Factory(LayerSpec l, string inSize, string outSize, string stride, bool bias, bool spatial) =>
        LayerCatalog.Has(l.Kind) ? LayerCatalog.Of(l.Kind).Factory(l, new LayerSizes(inSize, outSize, stride, bias, spatial)) : l.Kind switch
    {
        // padding 0 is left out: a literal 0 also converts to TorchSharp's Padding enum, making the call ambiguous.
        LayerKind.Conv => $"global::TorchSharp.torch.nn.Conv2d({inSize}, {outSize}, kernel_size: {l.Kernel}, stride: {stride}{(l.EffectivePadding == 0 ? "" : ", padding: " + l.EffectivePadding)}, bias: {Literals.CSharp(bias)})",
        _ => throw new System.ArgumentOutOfRangeException(nameof(l), l.Kind, "a stage is built by the emitter"),
    };

    /// <summary>The C# type of a layer's field.</summary>
    public static string FieldTypeName(LayerSpec l, bool spatial) => LayerCatalog.Has(l.Kind) ? Global + LayerCatalog.Of(l.Kind).ModuleType(l, spatial) : l.Kind switch
    {
        LayerKind.Stage => Global + "ModuleList<" + l.Block!.TypeName + ">",
        _ => Global + FieldType(l.Kind),
    };

    const string Global = "global::TorchSharp.Modules.";

    /// <summary>The summary's kind column: the TorchSharp module type.</summary>
    public static string SummaryKind(LayerSpec l, bool spatial) => LayerCatalog.Has(l.Kind) ? LayerCatalog.Of(l.Kind).ModuleType(l, spatial) : FieldType(l.Kind);
}
