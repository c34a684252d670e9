using System.Collections.Generic;
using System.Linq;
using NetDsl.Generators.Model;

namespace NetDsl.Generators.Kinds.Layers;

/// <summary>
/// The catalog of layer kinds: the one list a new kind is added to (as Mapperly lists its mapping builders). Each kind is one
/// file in this folder behind <see cref="ILayerKind"/>; normalization layers delegate further to the normalization catalog
/// (<see cref="Normalization.Norms"/>).
/// </summary>
internal static class LayerCatalog
{
    /// <summary>Every layer kind.</summary>
    public static readonly IReadOnlyList<ILayerKind> All = new ILayerKind[]
    {
        new Conv(), new Linear(), new MaxPool(), new AvgPool(), new GlobalAvgPool(), new ZeroPad(), new Flatten(), new Dropout(), new Stage(), new Norm(), new Activation(),
    };

    static readonly ILayerKind?[] byKind = Index();
    static readonly Dictionary<string, ILayerKind> byAttribute = All.Where(k => k.Attribute is not null).ToDictionary(k => k.Attribute!);

    static ILayerKind?[] Index()
    {
        var index = new ILayerKind?[System.Enum.GetValues(typeof(LayerKind)).Length];
        foreach (var k in All) index[(int)k.Kind] = k;
        return index;
    }

    /// <summary>Whether the catalog describes <paramref name="kind"/>.</summary>
    public static bool Has(LayerKind kind) => (int)kind >= 0 && (int)kind < byKind.Length && byKind[(int)kind] is not null;

    /// <summary>The kind of a layer.</summary>
    /// <exception cref="KeyNotFoundException">No kind file describes <paramref name="kind"/> (a generator bug; <c>CatalogCoversEveryKind</c> tests it).</exception>
    public static ILayerKind Of(LayerKind kind) => Has(kind) ? byKind[(int)kind]! : throw new KeyNotFoundException("no layer kind file for " + kind);

    /// <summary>The kind declared by the attribute with metadata name <paramref name="attribute"/> (<c>NetDsl.ConvAttribute</c>), or null.</summary>
    public static ILayerKind? ByAttribute(string attribute) => byAttribute.TryGetValue(attribute, out var kind) ? kind : null;
}
