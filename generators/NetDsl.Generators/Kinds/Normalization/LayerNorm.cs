using System.Collections.Generic;
using NetDsl.Generators.Model;
using NetDsl.Generators.Parsing;

namespace NetDsl.Generators.Kinds.Normalization;

/// <summary>
/// LayerNorm (Ba et al. 2016): <c>nn.LayerNorm(F)</c> on vectors; on maps <c>nn.GroupNorm(1, C)</c>, statistics over
/// <c>[C, H, W]</c> with a per-channel scale and shift (Wu &amp; He 2018, section 3.1), independent of the image size.
/// </summary>
internal sealed class LayerNorm : INormKind
{
    public NormKind Kind => NormKind.Layer;
    public string Attribute => "NetDsl.LayerNormAttribute";
    public string Name => "LayerNorm";

    public NormPolicy Read(PolicyArguments a)
    {
        var after = a.After();
        return new NormPolicy(NormKind.Layer, after, a.Eps(), 0.1, NormPolicy.DefaultGroups);
    }

    // On maps the module is GroupNorm(1, C), so an explicit layer there is declared as one.
    public IReadOnlyList<(string Type, int Rank)> FieldTypes { get; } = new[] { ("LayerNorm", Ranks.Vector), ("GroupNorm", Ranks.Map) };

    public string ModuleType(bool map) => map ? "GroupNorm" : "LayerNorm";

    public string Factory(NormPolicy p, string features, bool map) => map
        ? $"global::NetDsl.NormalizationLayers.GroupNorm(1, {features}, eps: {Literals.CSharp(p.Eps)})"
        : $"global::TorchSharp.torch.nn.LayerNorm({features}, eps: {Literals.CSharp(p.Eps)})";

    public string PyTorch(NormPolicy p, string features, bool map) =>
        (map ? $"nn.GroupNorm(1, {features}" : $"nn.LayerNorm({features}") + (p.Eps == 1e-5 ? "" : ", eps=" + Literals.Python(p.Eps)) + ")";

    public long Parameters(long features) => 2 * features;

    public string? Problem(NormPolicy p, long features, bool map) => null;

    public bool Foldable => false;
}
