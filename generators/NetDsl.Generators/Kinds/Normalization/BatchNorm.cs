using System.Collections.Generic;
using NetDsl.Generators.Model;
using NetDsl.Generators.Parsing;

namespace NetDsl.Generators.Kinds.Normalization;

/// <summary>BatchNorm (Ioffe &amp; Szegedy 2015): <c>nn.BatchNorm2d(C)</c> on maps, <c>nn.BatchNorm1d(F)</c> on vectors; batch statistics in training, running ones in eval.</summary>
internal sealed class BatchNorm : INormKind
{
    public NormKind Kind => NormKind.Batch;
    public string Attribute => "NetDsl.BatchNormAttribute";
    public string Name => "BatchNorm";

    public NormPolicy Read(PolicyArguments a)
    {
        var after = a.After();
        double eps = a.Eps(), momentum = a.Double("Momentum", 0.1);
        if (!(momentum >= 0 && momentum <= 1)) a.Invalid("Momentum", PolicyArguments.Show(momentum), "between 0 and 1");
        return new NormPolicy(a.Bool("Enabled", true) ? NormKind.Batch : NormKind.None, after, eps, momentum, NormPolicy.DefaultGroups);
    }

    public IReadOnlyList<(string Type, int Rank)> FieldTypes { get; } = new[] { ("BatchNorm2d", Ranks.Map), ("BatchNorm1d", Ranks.Vector) };

    public string ModuleType(bool map) => map ? "BatchNorm2d" : "BatchNorm1d";

    public string Factory(NormPolicy p, string features, bool map) =>
        $"global::TorchSharp.torch.nn.{ModuleType(map)}({features}, eps: {Literals.CSharp(p.Eps)}, momentum: {Literals.CSharp(p.Momentum)})";

    public string PyTorch(NormPolicy p, string features, bool map) =>
        $"nn.{ModuleType(map)}({features}" + (p.Eps == 1e-5 ? "" : ", eps=" + Literals.Python(p.Eps)) + (p.Momentum == 0.1 ? "" : ", momentum=" + Literals.Python(p.Momentum)) + ")";

    public long Parameters(long features) => 2 * features;

    public string? Problem(NormPolicy p, long features, bool map) => null;

    public bool Foldable => true;
}
