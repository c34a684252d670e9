using System.Collections.Generic;
using NetDsl.Generators.Model;
using NetDsl.Generators.Parsing;

namespace NetDsl.Generators.Kinds.Normalization;

/// <summary>
/// One normalization layer kind (torchvision's <c>norm_layer</c>): everything the generator knows about it, in one file per
/// kind (<see cref="BatchNorm"/>, <see cref="GroupNorm"/>, <see cref="LayerNorm"/>), listed once in <see cref="Norms"/>. The
/// rest of the generator (schedule, shape inference, emitters, variants) asks the kind instead of switching on it.
/// </summary>
internal interface INormKind
{
    /// <summary>The policy value this kind stands for.</summary>
    NormKind Kind { get; }

    /// <summary>Its attribute's metadata name (<c>NetDsl.GroupNormAttribute</c>).</summary>
    string Attribute { get; }

    /// <summary>Its name in messages, in the member of <c>NetDsl.NormalizationVariant</c> and in variant names (<c>GroupNorm</c>).</summary>
    string Name { get; }

    /// <summary>The settings its attribute states (placement, eps, and the kind's own), invalid ones reported through <paramref name="a"/>.</summary>
    NormPolicy Read(PolicyArguments a);

    /// <summary>The TorchSharp types (no namespace) an explicit layer of this kind may be declared as, each with the per-sample rank it needs (<see cref="Ranks"/>).</summary>
    IReadOnlyList<(string Type, int Rank)> FieldTypes { get; }

    /// <summary>The TorchSharp module type (no namespace) it builds on maps <c>[N, C, H, W]</c> (<paramref name="map"/>) or vectors <c>[N, F]</c>.</summary>
    string ModuleType(bool map);

    /// <summary>C# that builds the module for <paramref name="features"/> channels or features (a C# expression).</summary>
    string Factory(NormPolicy p, string features, bool map);

    /// <summary>The PyTorch module expression (for the generated <c>PyTorchSource</c>).</summary>
    string PyTorch(NormPolicy p, string features, bool map);

    /// <summary>Its parameters (the per-channel scale and shift) on <paramref name="features"/> channels or features.</summary>
    long Parameters(long features);

    /// <summary>Why it cannot normalize <paramref name="features"/> channels of maps (<paramref name="map"/>) or vectors, and the fix (ND0041), or null.</summary>
    string? Problem(NormPolicy p, long features, bool map);

    /// <summary>Whether the eval-mode path folds it into the convolution or linear layer before it (a fixed affine map in eval mode).</summary>
    bool Foldable { get; }
}

/// <summary>The per-sample ranks an explicit normalization layer's type needs.</summary>
internal static class Ranks
{
    /// <summary>Maps <c>[C, H, W]</c> only.</summary>
    public const int Map = 2;
    /// <summary>Vectors <c>[F]</c> only.</summary>
    public const int Vector = 1;
    /// <summary>Either.</summary>
    public const int Any = 0;
}
