using System;
using System.Collections.Generic;
using System.Linq;
using NetDsl.Examples;
using NetDsl.Instrumentation;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace NetDsl.Tests.Instrumentation;

/// <summary>
/// The probe reads a step's values in one copy and computes a gradient norm once where several taps receive the same
/// gradient (an identity chain, both operands of a sum, a unit's input that is another tap's output). Every number must be
/// the one the plain path (a norm per tap, a copy of the first path's gradient for the residual total) computes, bit for bit.
/// </summary>
public class SharedNormTests
{
    public static IEnumerable<object[]> Networks() => new[]
    {
        new object[] { "ResNet20", new Func<nn.Module<Tensor, Tensor>>(() => new ResNet20()), new long[] { 4, 1, 28, 28 } },
        new object[] { "PreActResNet20", new Func<nn.Module<Tensor, Tensor>>(() => new PreActResNet20()), new long[] { 4, 1, 28, 28 } },
        // MatrixBlock's Auto shortcut: a projection (conv + BatchNorm) where layer2 changes shape.
        new object[] { "BnResidualMatrix.Residual.BnAfterConv", new Func<nn.Module<Tensor, Tensor>>(() => BnResidualMatrix.Variants.All[0].Create()), new long[] { 4, 1, 28, 28 } },
        new object[] { "DeepResidualMlp", new Func<nn.Module<Tensor, Tensor>>(() => new DeepResidualMlp()), new long[] { 16, 1 } },
        // Residual units nested in residual units, ReLU-only pre-activation, tanh units.
        new object[] { "ProbeEdgeNet", new Func<nn.Module<Tensor, Tensor>>(() => new ProbeEdgeNet()), new long[] { 5, 6 } },
    };

    static readonly Scalar Rate = 0.01.ToScalar();

    static List<double?[]> Record(Func<nn.Module<Tensor, Tensor>> create, long[] shape, bool share) => Record(create, shape, share, out _);

    static List<double?[]> Record(Func<nn.Module<Tensor, Tensor>> create, long[] shape, bool share, out int sharedNorms)
    {
        manual_seed(7);
        var net = create();
        using var probe = Probe.Attach(net);
        probe.ShareGradientNorms = share;
        var rows = new List<double?[]>();
        for (int step = 1; step <= 2; step++)
        {
            using var scope = NewDisposeScope();
            probe.BeginStep(step);
            var x = randn(shape);
            // Two backward passes in step 2 (gradient accumulation): taps keep the last pass, splits the first.
            for (int pass = 0; pass < step; pass++) net.call(x).square().mean().backward();
            probe.CaptureGradients();
            using (no_grad()) foreach (var p in net.parameters()) p.sub_(p.grad! * Rate);
            probe.CaptureUpdates();
            var r = probe.Current;
            rows.AddRange(r.Taps.Select(t => new double?[] { t.Mean, t.Std, t.Min, t.Max, t.DeadFraction, t.AlwaysActiveFraction, t.NearLinearFraction, t.SaturatedFraction, t.GradientNorm }));
            rows.AddRange(r.ResidualSplits.Select(s => new double?[] { null, s.ShortcutGradientNorm, s.BranchGradientNorm, s.TotalGradientNorm }));
            rows.AddRange(r.Parameters.Select(p => new double?[] { p.GradientNorm, p.WeightNorm, p.UpdateRatio }));
        }
        sharedNorms = probe.SharedNorms;
        return rows;
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void Shared_norms_and_one_read_per_phase_record_the_same_numbers_bit_for_bit(string name, Func<nn.Module<Tensor, Tensor>> create, long[] shape)
    {
        var shared = Record(create, shape, share: true, out int sharedNorms);
        Assert.True(sharedNorms > 0, $"{name}: no norm was shared, so this test compared the plain path with itself");
        var plain = Record(create, shape, share: false);
        Assert.Equal(plain.Count, shared.Count);
        for (int i = 0; i < plain.Count; i++) Assert.True(plain[i].SequenceEqual(shared[i]), $"{name}: row {i} differs: [{string.Join(", ", plain[i])}] vs [{string.Join(", ", shared[i])}]");
        // Every residual unit got its total (none left at 0 by a link that never resolved).
        Assert.DoesNotContain(shared, row => row.Length == 4 && row[0] is null && row[3] == 0 && row[1] != 0);
    }
}
