using System.Collections.Generic;
using NetDsl.Generators.Model;
using NetDsl.Generators.Parsing;

namespace NetDsl.Generators.Kinds.Normalization;

/// <summary>InstanceNorm (Ulyanov et al. 2016): <c>nn.InstanceNorm2d(C)</c> with PyTorch's defaults (no affine, no running statistics).</summary>
internal sealed class InstanceNorm : INormKind
{
    public NormKind Kind => NormKind.Instance;
    public string Attribute => "NetDsl.InstanceNormAttribute";
    public string Name => "InstanceNorm";

    public NormPolicy Read(PolicyArguments a)
    {
        var after = a.After();
        return new NormPolicy(NormKind.Instance, after, a.Eps(), 0.1, NormPolicy.DefaultGroups);
    }

    public IReadOnlyList<(string Type, int Rank)> FieldTypes { get; } = new[] { ("InstanceNorm2d", Ranks.Map) };

    public string ModuleType(bool map) => "InstanceNorm2d";

    public string Factory(NormPolicy p, string features, bool map) =>
        $"global::TorchSharp.torch.nn.InstanceNorm2d({features}, eps: {Literals.CSharp(p.Eps)})";

    public string PyTorch(NormPolicy p, string features, bool map) =>
        $"nn.InstanceNorm2d({features}" + (p.Eps == 1e-5 ? "" : ", eps=" + Literals.Python(p.Eps)) + ")";

    public long Parameters(long features) => 0;

    public string? Problem(NormPolicy p, long features, bool map) => map ? null
        : "InstanceNorm normalizes each channel over its positions, and a vector has none; use LayerNorm on vectors";

    public bool Foldable => false;
}
