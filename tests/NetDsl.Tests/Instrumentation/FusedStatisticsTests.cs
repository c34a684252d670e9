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
/// The probe's one-pass forward statistics (<see cref="FusedStatistics"/>) against float64 arithmetic on the same values,
/// and the probe's records with the fused kernel against the records LibTorch's reductions give.
/// </summary>
public class FusedStatisticsTests
{
    static readonly Scalar Two = 2.ToScalar(), Three = 3.ToScalar(), Huge = 3e20f.ToScalar(), Forty = 40.ToScalar();

    /// <summary>Sum, sum of squares, extremes, per-unit and magnitude counts in float64 over the values, as the definitions say.</summary>
    static (double Sum, double Squares, double Min, double Max, double Never, double Always, double Below, double Above) Reference(float[] v, int rows, float low, float high)
    {
        int units = v.Length / rows;
        double sum = 0, squares = 0;
        foreach (var x in v) { sum += x; squares += (double)x * x; }
        int never = 0, always = 0;
        for (int u = 0; u < units; u++)
        {
            var column = Enumerable.Range(0, rows).Select(r => v[r * units + u]).ToArray();
            if (column.Max() <= 0) never++;
            if (column.Min() > 0) always++;
        }
        return (sum, squares, v.Min(), v.Max(), (double)never / units, (double)always / units,
            (double)v.Count(x => Math.Abs(x) < low) / v.Length, (double)v.Count(x => Math.Abs(x) > high) / v.Length);
    }

    public static IEnumerable<object[]> Shapes() => new[]
    {
        new object[] { new long[] { 7 } },                 // fewer values than one vector
        new object[] { new long[] { 3, 13 } },             // odd widths: every tail path
        new object[] { new long[] { 128, 10 } },
        new object[] { new long[] { 9, 16, 15, 15 } },     // 32,400 values: one thread
        new object[] { new long[] { 40, 16, 14, 14 } },    // 125,440 values: split over threads by units
        new object[] { new long[] { 2, 70001 } },          // split over threads, columns not a multiple of the vector width
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void One_pass_gives_the_float64_statistics_and_exact_unit_and_magnitude_counts(long[] shape)
    {
        manual_seed(3);
        // Shifted so that some units are positive over the whole batch and others never are.
        var x = (randn(shape) * Two + linspace(-3, 3, shape[^1]).to_type(ScalarType.Float32)).contiguous();
        var values = x.data<float>().ToArray();
        int rows = shape.Length > 1 ? (int)shape[0] : 1;
        var want = Reference(values, shape.Length > 1 ? rows : values.Length, 1f, 2.993222846126381f);
        var got = FusedStatistics.Compute(x, perUnit: shape.Length > 1, 1f, 2.993222846126381f);
        Assert.Equal(want.Sum, got.Sum, Math.Abs(want.Squares) * 1e-6);
        Assert.Equal(want.Squares, got.SumOfSquares, want.Squares * 1e-6);
        Assert.Equal(want.Min, got.Min);
        Assert.Equal(want.Max, got.Max);
        if (shape.Length > 1)
        {
            Assert.Equal(want.Never, got.NeverActive);
            Assert.Equal(want.Always, got.AlwaysActive);
        }
        Assert.Equal(want.Squares + 0, FusedStatistics.SumOfSquares(x), want.Squares * 1e-6);   // uncentered, as for a norm
        Assert.True(got.Finite);
        Assert.Equal(want.Below, got.Below);
        Assert.Equal(want.Above, got.Above);
        Assert.True(want.Below > 0 && want.Above > 0);
    }

    [Fact]
    public void The_variance_of_values_far_from_zero_keeps_its_digits()
    {
        // mean 1000, std 0.01: E[x^2] - E[x]^2 in float32 sums would cancel every digit (1e6 against 1e-4).
        manual_seed(5);
        using var spread = 0.01.ToScalar();
        using var offset = 1000.ToScalar();
        var x = (randn(50_000) * spread + offset).contiguous();
        var values = x.data<float>().ToArray();
        double mean = values.Average(v => (double)v);
        double variance = values.Sum(v => ((double)v - mean) * ((double)v - mean)) / (values.Length - 1);
        var r = FusedStatistics.Compute(x, perUnit: false);
        double n = values.Length;
        double got = (r.SumOfSquares - r.Sum * r.Sum / n) / (n - 1);   // as the probe forms it
        Assert.Equal(variance, got, variance * 1e-4);
    }

    [Fact]
    public void Unit_counts_follow_the_definitions_on_a_hand_made_batch()
    {
        // 3 samples x 4 units: unit 0 never above 0 (its largest is 0), unit 1 always above 0, units 2 and 3 mixed.
        var x = tensor(new float[] { 0, 1, -1, 5, -2, 3, 2, 0, -1, 0.5f, 0, -4 }, new long[] { 3, 4 });
        var r = FusedStatistics.Compute(x, perUnit: true);
        Assert.Equal(0.25, r.NeverActive);
        Assert.Equal(0.25, r.AlwaysActive);
        Assert.Equal(3.5, r.Sum);
        Assert.Equal(0 + 1 + 1 + 25 + 4 + 9 + 4 + 0 + 1 + 0.25 + 0 + 16, r.SumOfSquares);
        Assert.Equal(-4, r.Min);
        Assert.Equal(5, r.Max);
    }

    [Fact]
    public void NaN_and_infinity_reach_the_sum_and_extremes_and_huge_finite_squares_do_not_overflow()
    {
        var big = full(new long[] { 100_000 }, Huge);
        var r = FusedStatistics.Compute(big, perUnit: false);
        Assert.Equal(100_000 * 9e40, r.SumOfSquares, 100_000 * 9e40 * 1e-6);   // float32 squares would be infinite
        Assert.True(r.Finite);
        var withNaN = zeros(1000); withNaN[517] = tensor(float.NaN);
        Assert.True(double.IsNaN(FusedStatistics.Compute(withNaN, perUnit: false).Sum));
        Assert.False(FusedStatistics.Compute(withNaN, perUnit: false).Finite);
        Assert.True(double.IsNaN(FusedStatistics.SumOfSquares(withNaN)));
        var withInf = zeros(1000); withInf[3] = tensor(float.PositiveInfinity);
        Assert.Equal(double.PositiveInfinity, FusedStatistics.Compute(withInf, perUnit: false).Max);
        Assert.False(FusedStatistics.Compute(withInf, perUnit: false).Finite);
        using var nearMax = 3e38f.ToScalar();
        Assert.True(FusedStatistics.Compute(full(new long[] { 1000 }, nearMax), perUnit: false).Finite);   // the float32 sum overflows, no value does
        var tail = zeros(1003); tail[1002] = tensor(float.NegativeInfinity);   // in the scalar tail, not a vector
        Assert.False(FusedStatistics.Compute(tail, perUnit: false).Finite);
    }

    [Fact]
    public void A_norm_sums_the_values_themselves_and_redoes_an_overflowing_chunk_in_float64()
    {
        // Uncentered: 1 followed by 99,999 values of 0.001 has sum of squares 1.099999; summing deviations from the first
        // value (as for a variance) would cancel 99,900^2 / 1e5 against itself and lose about 1%.
        var values = Enumerable.Repeat(0.001f, 100_000).ToArray();
        values[0] = 1f;
        double want = values.Sum(v => (double)v * v);
        Assert.Equal(want, FusedStatistics.SumOfSquares(tensor(values)), want * 1e-6);
        // (3e20)^2 overflows float32 in every chunk; the chunk is summed again in float64.
        using var big = 3e20f.ToScalar();
        Assert.Equal(100_000 * 9e40, FusedStatistics.SumOfSquares(full(new long[] { 100_000 }, big)), 100_000 * 9e40 * 1e-6);
    }

    [Fact]
    public void Finiteness_is_told_from_the_values_when_a_sum_of_finite_values_overflows_and_across_threads()
    {
        // +-3e38 alternating: finite values whose deviations from the first overflow float32 (the sums are not finite); the values are.
        var alternating = Enumerable.Range(0, 1000).Select(i => i % 2 == 0 ? 3e38f : -3e38f).ToArray();
        Assert.True(FusedStatistics.Compute(tensor(alternating), perUnit: false).Finite);
        alternating[501] = float.NaN;
        Assert.False(FusedStatistics.Compute(tensor(alternating), perUnit: false).Finite);
        // A NaN in the last thread's range only (200,000 values are split over LibTorch's threads when there are several).
        var late = zeros(200_000);
        late[199_000] = tensor(float.NaN);
        var r = FusedStatistics.Compute(late, perUnit: false);
        Assert.False(r.Finite);
        Assert.True(double.IsNaN(r.Sum));
    }

    [Fact]
    public void Magnitude_counts_are_strict_at_both_bounds_in_vectors_and_in_the_tail()
    {
        // 34 values: bounds at the start (in a vector) and at the end (in the scalar tail for 8- and 16-lane vectors).
        const float High = 2.993222846126381f;
        var values = Enumerable.Repeat(2f, 34).ToArray();
        (values[0], values[1], values[32], values[33]) = (1f, High, -1f, -High);
        values[5] = 0.5f;
        values[6] = -7f;
        var r = FusedStatistics.Compute(tensor(values), perUnit: false, 1f, High);
        Assert.Equal(1.0 / 34, r.Below);    // 0.5 only: |x| = 1 is not below 1
        Assert.Equal(1.0 / 34, r.Above);    // -7 only: |x| = High is not above High
    }

    [Fact]
    public void Only_contiguous_float32_CPU_tensors_are_read_in_place()
    {
        Assert.True(FusedStatistics.Applies(zeros(4, 5)));
        Assert.False(FusedStatistics.Applies(zeros(4, 5).t()));                  // not contiguous
        Assert.False(FusedStatistics.Applies(zeros(4, 5, ScalarType.Float64)));
        Assert.False(FusedStatistics.Applies(zeros(0, 5)));
        Assert.True(FusedStatistics.Applies(zeros(8, 5).narrow(0, 2, 3)));     // a contiguous view with an offset
        var offset = arange(Forty, ScalarType.Float32).reshape(8, 5).narrow(0, 2, 3);
        Assert.Equal(Enumerable.Range(10, 15).Sum(), FusedStatistics.Compute(offset, perUnit: false).Sum);
    }

    public static IEnumerable<object[]> Networks() => new[]
    {
        new object[] { "ResNet20", new Func<nn.Module<Tensor, Tensor>>(() => new ResNet20()), new long[] { 6, 1, 28, 28 } },
        new object[] { "PreActResNet20", new Func<nn.Module<Tensor, Tensor>>(() => new PreActResNet20()), new long[] { 6, 1, 28, 28 } },
        new object[] { "ProbeEdgeNet", new Func<nn.Module<Tensor, Tensor>>(() => new ProbeEdgeNet()), new long[] { 5, 6 } },
        new object[] { "TanhProbeNet", new Func<nn.Module<Tensor, Tensor>>(() => new TanhProbeNet()), new long[] { 64, 1 } },
    };

    static readonly Scalar Rate = 0.05.ToScalar();

    static StepRecord Record(Func<nn.Module<Tensor, Tensor>> create, long[] shape, bool fuse)
    {
        manual_seed(11);
        var net = create();
        using var probe = Probe.Attach(net);
        probe.FuseStatistics = fuse;
        using var scope = NewDisposeScope();
        probe.BeginStep(1);
        net.call(randn(shape) * Three).square().mean().backward();
        probe.CaptureGradients();
        using (no_grad()) foreach (var p in net.parameters()) p.sub_(p.grad! * Rate);
        probe.CaptureUpdates();
        return probe.Current;
    }

    static void Close(double? expected, double? actual, double tolerance, string what)
    {
        Assert.Equal(expected is null, actual is null);
        if (expected is { } e && actual is { } a) Assert.True(double.IsNaN(e) && double.IsNaN(a) || Math.Abs(e - a) <= tolerance * Math.Max(1e-12, Math.Abs(e)), $"{what}: {e} vs {a}");
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void The_probe_records_what_LibTorchs_reductions_give(string name, Func<nn.Module<Tensor, Tensor>> create, long[] shape)
    {
        var fusedStep = Record(create, shape, fuse: true);
        var torchStep = Record(create, shape, fuse: false);
        var (fused, torch) = (fusedStep.Taps, torchStep.Taps);
        Assert.Equal(torch.Select(t => t.Name), fused.Select(t => t.Name));
        int fractions = 0;
        for (int i = 0; i < torch.Count; i++)
        {
            var (a, b) = (torch[i], fused[i]);
            string at = $"{name}: {a.Name}";
            Assert.True(Math.Abs(a.Mean - b.Mean) <= 1e-6 * Math.Max(1, Math.Abs(a.Std)), $"{at}: mean {a.Mean} vs {b.Mean}");
            // LibTorch's float32 sums of x and x^2 can lose about 1e-7 x (mean^2 + std^2) of the variance (the fused kernel sums deviations from a shift).
            Assert.True(Math.Abs(a.Std - b.Std) <= 1e-5 * (a.Mean * a.Mean + a.Std * a.Std) / Math.Max(1e-6, a.Std), $"{at}: std {a.Std} vs {b.Std}");
            Assert.Equal(a.Min, b.Min);
            Assert.Equal(a.Max, b.Max);
            // LibTorch's path takes the fractions as a float32 mean (0.575 reads 0.57499998807907104); the fused one counts exactly.
            foreach (var (x, y) in new[] { (a.DeadFraction, b.DeadFraction), (a.AlwaysActiveFraction, b.AlwaysActiveFraction),
                (a.NearLinearFraction, b.NearLinearFraction), (a.SaturatedFraction, b.SaturatedFraction) })
            {
                Assert.Equal(x is null, y is null);
                if (x is { } p && y is { } q) Assert.True(Math.Abs(p - q) <= 1e-7, $"{at}: fraction {p} vs {q}");
            }
            Close(a.GradientNorm, b.GradientNorm, 2e-5, $"{at}: gradient norm");   // the two differed by 8e-6 on ResNet-20's conv1 gradient
            if (a.DeadFraction is > 0 || a.AlwaysActiveFraction is > 0 || a.NearLinearFraction is > 0 || a.SaturatedFraction is > 0) fractions++;
        }
        Assert.True(fractions > 0, $"{name}: no tap had a non-zero fraction, so the fractions were not compared");
        Assert.Equal(torchStep.Parameters.Select(p => p.Name), fusedStep.Parameters.Select(p => p.Name));
        foreach (var (a, b) in torchStep.Parameters.Zip(fusedStep.Parameters))
        {
            Close(a.WeightNorm, b.WeightNorm, 2e-5, $"{name}: {a.Name}: weight norm");
            Close(a.GradientNorm, b.GradientNorm, 2e-5, $"{name}: {a.Name}: gradient norm");
            Close(a.UpdateRatio, b.UpdateRatio, 1e-5, $"{name}: {a.Name}: update ratio");
        }
        foreach (var (a, b) in torchStep.ResidualSplits.Zip(fusedStep.ResidualSplits))
        {
            Close(a.ShortcutGradientNorm, b.ShortcutGradientNorm, 2e-5, $"{name}: {a.Unit}: shortcut");
            Close(a.BranchGradientNorm, b.BranchGradientNorm, 2e-5, $"{name}: {a.Unit}: branch");
            Close(a.TotalGradientNorm, b.TotalGradientNorm, 2e-5, $"{name}: {a.Unit}: total");
        }
    }
}
