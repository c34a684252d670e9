using System.Collections.Generic;
using System.Linq;

namespace NetDsl.Generators.Kinds.Layers;

/// <summary>
/// The catalog of layer kinds: the one list a new kind is added to (as Mapperly lists its mapping builders). Each kind is one
/// file in this folder behind <see cref="ILayerKind"/>, with one instance: a layer's <see cref="Model.LayerSpec.Kind"/> is that
/// instance (compared by reference). Normalization layers delegate further to the normalization catalog
/// (<see cref="Normalization.Norms"/>).
/// </summary>
internal static class LayerCatalog
{
    /// <summary>The kinds the planner names (schedule-level rules: a block's strided convolution, stages, the explicit norm and activation layers).</summary>
    public static readonly ILayerKind Conv = new Conv(), Stage = new Stage(), Norm = new Norm(), Activation = new Activation();

    /// <summary>Every layer kind.</summary>
    public static readonly IReadOnlyList<ILayerKind> All = new ILayerKind[]
    {
        Conv, new Linear(), new MaxPool(), new AvgPool(), new GlobalAvgPool(), new ZeroPad(), new Flatten(), new Dropout(), Stage, Norm, Activation,
    };

    static readonly Dictionary<string, ILayerKind> byAttribute = All.Where(k => k.Attribute is not null).ToDictionary(k => k.Attribute!);

    /// <summary>The kind declared by the attribute with metadata name <paramref name="attribute"/> (<c>NetDsl.ConvAttribute</c>), or null.</summary>
    public static ILayerKind? ByAttribute(string attribute) => byAttribute.TryGetValue(attribute, out var kind) ? kind : null;
}
