using System;
using System.Diagnostics;
using System.Linq;
using NetDsl.Examples;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NetDsl.Benchmarks;

/// <summary>What the eval path's fold costs per pass: ResNet-20's 19 (convolution, BatchNorm) pairs folded and applied to a
/// 1x1 input (the fold's element-wise operations and a negligible convolution), against one eval pass at batch 128. Run with <c>-- fold-cost</c>.</summary>
public static class FoldCost
{
    /// <summary>Prints both medians.</summary>
    public static void Run(int rounds)
    {
        manual_seed(0);
        var net = new ResNet20();
        net.eval();
        var modules = net.named_modules().ToList();
        var pairs = modules.Where(m => m.module is Conv2d).Select(m => ((Conv2d)m.module, modules.SkipWhile(x => x.name != m.name).Skip(1).Select(x => x.module).OfType<BatchNorm2d>().FirstOrDefault()))
            .Where(p => p.Item2 is not null).ToList();
        var tiny = pairs.Select(p => zeros(1, p.Item1.weight!.shape[1], 3, 3)).ToList();
        var x = randn(128, 1, 28, 28);
        var sw = new Stopwatch();
        double Folds()
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            sw.Restart();
            for (int i = 0; i < pairs.Count; i++) NetDsl.Inference.BatchNormFolding.Conv(pairs[i].Item1, pairs[i].Item2!, tiny[i]);
            return sw.Elapsed.TotalMilliseconds;
        }
        double Eval()
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            sw.Restart();
            net.call(x);
            return sw.Elapsed.TotalMilliseconds;
        }
        var r = Interleaved.Compare(Folds, Eval, rounds, 5);
        Console.WriteLine($"{pairs.Count} folds on a 1x1 input vs one folded eval pass at batch 128: {r}");
    }
}
