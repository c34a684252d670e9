using System.Collections.Generic;
using System.Globalization;
using NetDsl.Generators.Model;
using NetDsl.Generators.Parsing;

namespace NetDsl.Generators.Kinds.Normalization;

/// <summary>GroupNorm (Wu &amp; He 2018): <c>nn.GroupNorm(G, C)</c>, statistics per sample over each group of C / G channels and all positions.</summary>
internal sealed class GroupNorm : INormKind
{
    public NormKind Kind => NormKind.Group;
    public string Attribute => "NetDsl.GroupNormAttribute";
    public string Name => "GroupNorm";

    public NormPolicy Read(PolicyArguments a)
    {
        var after = a.After();
        double eps = a.Eps();
        int groups = a.Int("Groups", NormPolicy.DefaultGroups);
        if (groups <= 0 || groups > Limits.MaxGroups)
        {
            a.Invalid("Groups", groups.ToString(CultureInfo.InvariantCulture), "between 1 and " + Limits.MaxGroups.ToString("N0", CultureInfo.InvariantCulture));
            groups = NormPolicy.DefaultGroups;
        }
        return new NormPolicy(NormKind.Group, after, eps, 0.1, groups);
    }

    // Maps only: PyTorch's nn.GroupNorm takes [N, C] too, but TorchSharp 0.107's GroupNorm.forward refuses fewer than 3
    // dimensions (found by the fuzzer: every vector form compiled and threw at the first forward).
    public IReadOnlyList<(string Type, int Rank)> FieldTypes { get; } = new[] { ("GroupNorm", Ranks.Map) };

    public string ModuleType(bool map) => "GroupNorm";

    public string Factory(NormPolicy p, string features, bool map) =>
        $"global::NetDsl.NormalizationLayers.GroupNorm({p.Groups.ToString(CultureInfo.InvariantCulture)}, {features}, eps: {Literals.CSharp(p.Eps)})";

    public string PyTorch(NormPolicy p, string features, bool map) =>
        $"nn.GroupNorm({p.Groups.ToString(CultureInfo.InvariantCulture)}, {features}" + (p.Eps == 1e-5 ? "" : ", eps=" + Literals.Python(p.Eps)) + ")";

    public long Parameters(long features) => 2 * features;

    public string? Problem(NormPolicy p, long features, bool map)
    {
        if (!map) return "TorchSharp's GroupNorm takes maps [N, C, H, W] only (it refuses [N, F], which PyTorch accepts); use LayerNorm on vectors";
        if (features % p.Groups == 0) return null;
        var groups = p.Groups.ToString(CultureInfo.InvariantCulture);
        return $"{features.ToString(CultureInfo.InvariantCulture)} channels cannot be split into {groups} groups; use a group count that divides every normalized layer's channels (Groups = {groups} needs multiples of {groups}), or change the widths";
    }

    public bool Foldable => false;
}
