using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using NetDsl.Examples;
using static TorchSharp.torch;

namespace NetDsl.Benchmarks;

/// <summary>
/// What the input checks of a generated forward (<see cref="ForwardChecks.Input"/>) cost, as a share of the forward they
/// guard: the check alone (1,000 calls per sample) against the whole forward, interleaved, medians of the rounds.
/// </summary>
public static class ForwardCheckCost
{
    public static void Run(int rounds = 30)
    {
        Console.WriteLine("forward checks vs the forward they guard (median per call over interleaved rounds; eval mode, no_grad):");
        var resnet = new ResNet20();
        resnet.eval();
        Measure("ResNet-20, batch 128, 1x28x28", resnet, randn(128, 1, 28, 28), ResNet20.Summary, Conv1(resnet), rounds);
        Measure("ResNet-20, batch 1", resnet, randn(1, 1, 28, 28), ResNet20.Summary, Conv1(resnet), rounds);
        var mlp = new DeepResidualMlp();
        mlp.eval();
        // A batch of one into a BatchNorm1d network: the slow path that reads every BatchNorm's training flag.
        Measure("DeepResidualMlp (1-D input, BatchNorm1d), batch 1", mlp, randn(1, 1), DeepResidualMlp.Summary, First(mlp), rounds);
        Measure("DeepResidualMlp, batch 256", mlp, randn(256, 1), DeepResidualMlp.Summary, First(mlp), rounds);
    }

    static nn.Module Conv1(nn.Module net) => First(net);

    static nn.Module First(nn.Module net)
    {
        foreach (var (_, child) in net.named_children()) return child;
        throw new InvalidOperationException("no children");
    }

    static void Measure(string what, nn.Module<Tensor, Tensor> net, Tensor x, ModelSummary summary, nn.Module first, int rounds)
    {
        const int calls = 1000;
        var check = new List<double>();
        var forward = new List<double>();
        var sw = new Stopwatch();
        using var _ = no_grad();
        for (int r = 0; r < rounds + 3; r++)
        {
            sw.Restart();
            for (int i = 0; i < calls; i++) ForwardChecks.Input(net, x, summary, first);
            double c = sw.Elapsed.TotalMilliseconds * 1000 / calls;
            sw.Restart();
            using (var scope = NewDisposeScope()) net.call(x);
            double f = sw.Elapsed.TotalMilliseconds * 1000;
            if (r < 3) continue; // warm-up
            check.Add(c);
            forward.Add(f);
        }
        double mc = Interleaved.Median(check), mf = Interleaved.Median(forward);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {what}: check {mc:F2} us, forward {mf:F1} us, ratio check/forward {mc / mf:E1}"));
    }
}
