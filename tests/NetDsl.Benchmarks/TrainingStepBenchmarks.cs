using System;
using System.Linq;
using BenchmarkDotNet.Attributes;
using NetDsl.Examples;
using TorchSharp;
using static TorchSharp.torch;

namespace NetDsl.Benchmarks;

/// <summary>
/// One SGD training step (forward, backward, update) of a generated module vs its hand-written twin,
/// same process, same threads. Goal: ratio &lt;= 1.02 (no abstraction cost).
/// </summary>
[Config(typeof(TorchConfig))]
public class TrainingStepBenchmarks
{
    nn.Module<Tensor, Tensor> generatedResNet = null!, handResNet = null!, generatedMlp = null!, handMlp = null!;
    optim.Optimizer genResNetOpt = null!, handResNetOpt = null!, genMlpOpt = null!, handMlpOpt = null!;
    Tensor images = null!, labels = null!, points = null!, targets = null!;

    [GlobalSetup]
    public void Setup()
    {
        TorchConfig.ApplyThreads();
        manual_seed(0);
        generatedResNet = new ResNet20();
        handResNet = new HandWrittenResNet20();
        generatedMlp = new DeepResidualMlp();
        handMlp = new HandWrittenResidualMlp();
        static long Count(nn.Module m) => m.parameters().Sum(p => p.numel());
        if (Count(generatedResNet) != Count(handResNet) || Count(generatedMlp) != Count(handMlp))
            throw new InvalidOperationException("the hand-written twins do not match the generated architectures");
        genResNetOpt = optim.SGD(generatedResNet.parameters(), 0.01, momentum: 0.9);
        handResNetOpt = optim.SGD(handResNet.parameters(), 0.01, momentum: 0.9);
        genMlpOpt = optim.SGD(generatedMlp.parameters(), 1e-4, momentum: 0.9);   // at 0.01 this MLP diverges to NaN within 5 steps
        handMlpOpt = optim.SGD(handMlp.parameters(), 1e-4, momentum: 0.9);
        images = randn(128, 1, 28, 28);
        labels = randint(0, 10, new long[] { 128 });
        points = randn(256, 1);
        targets = randn(256, 1);
    }

    /// <summary>One training step: forward, cross-entropy (<paramref name="classify"/>) or MSE, backward, SGD update. With
    /// <paramref name="read"/> (outside timing), returns the loss before the update and the output; otherwise (NaN, []).
    /// With <paramref name="phases"/>, writes the milliseconds of zero_grad, forward and loss; backward; the update.</summary>
    internal static (double Loss, double[] Output) Step(nn.Module<Tensor, Tensor> net, optim.Optimizer opt, Tensor x, Tensor y, bool classify, bool read = false, double[]? phases = null)
    {
        using var scope = NewDisposeScope();
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        opt.zero_grad();
        var output = net.call(x);
        var loss = classify ? nn.functional.cross_entropy(output, y) : nn.functional.mse_loss(output, y);
        long forward = System.Diagnostics.Stopwatch.GetTimestamp();
        loss.backward();
        long backward = System.Diagnostics.Stopwatch.GetTimestamp();
        opt.step();
        if (phases is not null)
        {
            long end = System.Diagnostics.Stopwatch.GetTimestamp();
            phases[0] = System.Diagnostics.Stopwatch.GetElapsedTime(start, forward).TotalMilliseconds;
            phases[1] = System.Diagnostics.Stopwatch.GetElapsedTime(forward, backward).TotalMilliseconds;
            phases[2] = System.Diagnostics.Stopwatch.GetElapsedTime(backward, end).TotalMilliseconds;
        }
        if (!read) return (double.NaN, []);
        return (loss.item<float>(), output.detach().reshape(-1).to_type(ScalarType.Float64).data<double>().ToArray());
    }

    [Benchmark(Baseline = true), BenchmarkCategory("ResNet20")]
    public void ResNet20_HandWritten() => Step(handResNet, handResNetOpt, images, labels, true);

    [Benchmark, BenchmarkCategory("ResNet20")]
    public void ResNet20_Generated() => Step(generatedResNet, genResNetOpt, images, labels, true);

    [Benchmark(Baseline = true), BenchmarkCategory("ResidualMlp50")]
    public void ResidualMlp50_HandWritten() => Step(handMlp, handMlpOpt, points, targets, false);

    [Benchmark, BenchmarkCategory("ResidualMlp50")]
    public void ResidualMlp50_Generated() => Step(generatedMlp, genMlpOpt, points, targets, false);
}
