using System;
using System.Diagnostics;
using System.Linq;
using NetDsl.Instrumentation;
using static TorchSharp.torch;

namespace NetDsl.Benchmarks;

/// <summary>
/// The probe's forward statistics of one activation: LibTorch's reductions (sum, dot, <c>aminmax</c> and the small
/// tensors after them, as the probe's tensor path runs them) against the fused one-pass kernel
/// (<see cref="FusedStatistics"/>), interleaved, on ResNet-20's activation sizes. Run with <c>-- fused-stats</c>.
/// </summary>
public static class FusedStatisticsCost
{
    /// <summary>Prints, per shape, both values and the interleaved ratio fused / LibTorch.</summary>
    public static void Run(int rounds, int warmup)
    {
        manual_seed(0);
        foreach (var shape in new long[][] { [128, 16, 28, 28], [128, 32, 14, 14], [128, 64, 7, 7], [128, 10] })
        {
            using var scope = NewDisposeScope();
            var x = randn(shape).relu_();
            double[] Torch()
            {
                using var s = NewDisposeScope();
                var flat = x.flatten();
                var (lowest, highest) = x.aminmax(0, false);
                var stats = new[] { flat.sum(), flat.dot(flat), lowest.min(), highest.max(),
                    highest.le(NetDsl.Native.Scalars.Zero).to_type(ScalarType.Float32).mean(), lowest.gt(NetDsl.Native.Scalars.Zero).to_type(ScalarType.Float32).mean() };
                return stack(stats.Select(t => t.to_type(ScalarType.Float64)).ToArray()).data<double>().ToArray();
            }
            double[] Fused()
            {
                var r = FusedStatistics.Compute(x, perUnit: true);
                return [r.Sum, r.SumOfSquares, r.Min, r.Max, r.NeverActive, r.AlwaysActive];
            }
            var a = Torch();
            var b = Fused();
            Console.WriteLine($"[{string.Join(", ", shape)}] LibTorch: {string.Join(" ", a.Select(v => v.ToString("G9", System.Globalization.CultureInfo.InvariantCulture)))}");
            Console.WriteLine($"{new string(' ', 20)}fused:    {string.Join(" ", b.Select(v => v.ToString("G9", System.Globalization.CultureInfo.InvariantCulture)))}");
            var sw = new Stopwatch();
            double Time(Func<double[]> f) { sw.Restart(); f(); return sw.Elapsed.TotalMilliseconds; }
            Console.WriteLine($"  fused vs LibTorch: {Interleaved.Compare(() => Time(Fused), () => Time(Torch), rounds, warmup)}");
        }
    }
}
