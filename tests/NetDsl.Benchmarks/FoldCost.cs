using System;
using System.Diagnostics;
using System.Linq;
using NetDsl.Examples;
using NetDsl.Inference;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NetDsl.Benchmarks;

/// <summary>
/// What the eval path's fold costs per pass on ResNet-20 (19 (convolution, BatchNorm) pairs), with and without the fold cache
/// (<see cref="BatchNormFolding.CacheFolds"/>), all interleaved and under <c>no_grad</c>: (1) the 19 folds computed, each applied
/// to a 1x1 input (the fold's element-wise operations and a negligible convolution), against one eval pass at batch 128;
/// (2) the cache's check alone (19 cache hits: the byte comparison of the fold's inputs and two new handles per fold) against
/// the 19 folds computed, neither with a convolution; (3) the eval pass at batch 128 and (4) at batch 1 with the cache against without it. Run with
/// <c>-- fold-cost [rounds]</c>.
/// </summary>
public static class FoldCost
{
    /// <summary>Prints the four comparisons (medians and the median of per-round ratios with its quartiles).</summary>
    /// <param name="rounds">Timed rounds of each comparison (after 5 untimed ones).</param>
    public static void Run(int rounds)
    {
        manual_seed(0);
        var net = new ResNet20();
        net.eval();
        var modules = net.named_modules().ToList();
        var pairs = modules.Where(m => m.module is Conv2d).Select(m => ((Conv2d)m.module, modules.SkipWhile(x => x.name != m.name).Skip(1).Select(x => x.module).OfType<BatchNorm2d>().FirstOrDefault()))
            .Where(p => p.Item2 is not null).ToList();
        var tiny = pairs.Select(p => zeros(1, p.Item1.weight!.shape[1], 3, 3)).ToList();
        long bytes = pairs.Sum(p => new[] { p.Item1.weight, p.Item1.bias, p.Item2!.weight, p.Item2.bias, p.Item2.running_mean, p.Item2.running_var }
            .Where(t => t is not null).Sum(t => t!.numel() * t.ElementSize));
        var x = randn(128, 1, 28, 28);
        var one = randn(1, 1, 28, 28);
        var sw = new Stopwatch();
        double Timed(Action pass, bool cache)
        {
            BatchNormFolding.CacheFolds = cache;
            try
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                sw.Restart();
                pass();
                return sw.Elapsed.TotalMilliseconds;
            }
            finally { BatchNormFolding.CacheFolds = true; }
        }
        void Folds() { for (int i = 0; i < pairs.Count; i++) BatchNormFolding.Conv(pairs[i].Item1, pairs[i].Item2!, tiny[i]); }
        void Checks() { for (int i = 0; i < pairs.Count; i++) FoldCache.Fold(pairs[i].Item1, pairs[i].Item1.weight!, pairs[i].Item1.bias, pairs[i].Item2!); }
        void Eval() => net.call(x);
        void EvalOne() => net.call(one);

        Console.WriteLine($"ResNet-20: {pairs.Count} folds over {bytes / 1e6:F2} MB of inputs (conv weights and biases, BatchNorm weights, biases, running statistics)");
        var folds = Interleaved.Compare(() => Timed(Folds, cache: false), () => Timed(Eval, cache: false), rounds, 5);
        Console.WriteLine($"{pairs.Count} folds on a 1x1 input (no cache) vs one eval pass at batch 128 (no cache): {folds}");
        var checks = Interleaved.Compare(() => Timed(Checks, cache: true), () => Timed(Checks, cache: false), rounds, 5);
        Console.WriteLine($"{pairs.Count} cache checks (hits: {checks.Ours * 1000:F0} us) vs {pairs.Count} folds computed ({checks.Reference * 1000:F0} us), no convolution: {checks}");
        var eval = Interleaved.Compare(() => Timed(Eval, cache: true), () => Timed(Eval, cache: false), rounds, 5);
        Console.WriteLine($"eval pass at batch 128, cache on vs cache off: {eval}");
        var single = Interleaved.Compare(() => Timed(EvalOne, cache: true), () => Timed(EvalOne, cache: false), rounds, 5);
        Console.WriteLine($"eval pass at batch 1, cache on vs cache off: {single}");
        var hits = FoldCache.Inspect(pairs[0].Item1);
        Console.WriteLine($"stem fold: {hits.Hits} hits, {hits.Misses} miss(es) (the cache was used, not recomputed)");
    }
}
