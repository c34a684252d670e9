using System.Collections.Generic;
using System.Linq;
using NetDsl.Generators.Model;

namespace NetDsl.Generators.Kinds.Normalization;

/// <summary>The catalog of normalization kinds: the one list a new kind is added to.</summary>
internal static class Norms
{
    /// <summary>Every kind, in the order of <c>NetDsl.NormalizationVariant</c>'s members (the variant axis's values 0, 1, 2; 3 is none).</summary>
    public static readonly IReadOnlyList<INormKind> All = new INormKind[] { new BatchNorm(), new GroupNorm(), new LayerNorm(), new InstanceNorm() };

    /// <summary>The kind of a policy; <see cref="NormKind.None"/> has none.</summary>
    /// <exception cref="KeyNotFoundException"><paramref name="kind"/> is <see cref="NormKind.None"/>.</exception>
    public static INormKind Of(NormKind kind) => All.FirstOrDefault(k => k.Kind == kind) ?? throw new KeyNotFoundException("no normalization layer for " + kind);

    /// <summary>The kind whose attribute has the metadata name <paramref name="attribute"/>, or null.</summary>
    public static INormKind? ByAttribute(string attribute) => All.FirstOrDefault(k => k.Attribute == attribute);

    /// <summary>"[BatchNorm], [GroupNorm] or [LayerNorm]", for messages.</summary>
    public static string AttributeList => string.Join(", ", All.Take(All.Count - 1).Select(k => "[" + k.Name + "]")) + " or [" + All[All.Count - 1].Name + "]";
}
