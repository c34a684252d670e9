using System;
using System.Collections.Generic;
using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace NetDsl.Benchmarks;

/// <summary>What one tap's autograd function costs: 104 identity functions (ResNet-20's tap count) in a chain on a tiny tensor,
/// forward and backward, against 104 <c>alias()</c> calls. Run with <c>-- tap-cost</c>.</summary>
public static class TapCost
{
    sealed class Identity : autograd.SingleTensorFunction<Identity>
    {
        public override string Name => "Identity";
        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars) { ctx.save_data("sink", vars[1]); return ((Tensor)vars[0]).alias(); }
        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad) { _ = ctx.get_data("sink"); return new List<Tensor> { grad, null! }; }
    }

    /// <summary>Prints the median time per tap of both chains.</summary>
    public static void Run(int rounds)
    {
        var sw = new Stopwatch();
        double Chain(bool function)
        {
            using var scope = NewDisposeScope();
            var x = ones(new long[] { 10 }, requires_grad: true);
            sw.Restart();
            var y = x;
            for (int i = 0; i < 104; i++) y = function ? Identity.apply(y, "sink") : y.alias();
            y.sum().backward();
            return sw.Elapsed.TotalMilliseconds;
        }
        var r = Interleaved.Compare(() => Chain(true), () => Chain(false), rounds, 10);
        Console.WriteLine($"104 taps as autograd functions vs 104 alias(), forward + backward: {r}");
        Console.WriteLine($"per tap: {(r.Ours - r.Reference) / 104 * 1000:F1} us more than an alias");
    }
}
