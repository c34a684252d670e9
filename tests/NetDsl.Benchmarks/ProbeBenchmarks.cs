using System;
using System.Linq;
using BenchmarkDotNet.Attributes;
using NetDsl.Examples;
using NetDsl.Instrumentation;
using TorchSharp;
using static TorchSharp.torch;

namespace NetDsl.Benchmarks;

/// <summary>
/// What instrumentation costs on a ResNet-20 training step (batch 128, 28x28): taps detached vs the same
/// network generated without taps (goal &lt;= 1.02), and a probe recording everything vs detached (goal &lt;= 1.10).
/// </summary>
[Config(typeof(TorchConfig))]
public class ProbeBenchmarks
{
    nn.Module<Tensor, Tensor> tapped = null!, attachedNet = null!, plain = null!, sampledNet = null!, everyNet = null!;
    optim.Optimizer tappedOpt = null!, attachedOpt = null!, plainOpt = null!, sampledOpt = null!, everyOpt = null!;
    Probe probe = null!, sampledProbe = null!, everyProbe = null!;
    Tensor images = null!, labels = null!;
    int step;

    [GlobalSetup]
    public void Setup()
    {
        TorchConfig.ApplyThreads();
        manual_seed(0);
        tapped = new ResNet20();
        attachedNet = new ResNet20();
        plain = new ResNet20NoTaps();
        if (tapped.parameters().Sum(p => p.numel()) != plain.parameters().Sum(p => p.numel()))
            throw new InvalidOperationException("ResNet20NoTaps does not match ResNet20");
        tappedOpt = optim.SGD(tapped.parameters(), 0.01, momentum: 0.9);
        attachedOpt = optim.SGD(attachedNet.parameters(), 0.01, momentum: 0.9);
        plainOpt = optim.SGD(plain.parameters(), 0.01, momentum: 0.9);
        probe = Probe.Attach(attachedNet);
        sampledNet = new ResNet20();
        everyNet = new ResNet20();
        sampledOpt = optim.SGD(sampledNet.parameters(), 0.01, momentum: 0.9);
        everyOpt = optim.SGD(everyNet.parameters(), 0.01, momentum: 0.9);
        sampledProbe = Probe.Attach(sampledNet, new ProbeOptions { ActivationSamples = 16 });
        everyProbe = Probe.Attach(everyNet, new ProbeOptions { ActivationEvery = 10 });
        images = randn(128, 1, 28, 28);
        labels = randint(0, 10, new long[] { 128 });
    }

    static void Step(nn.Module<Tensor, Tensor> net, optim.Optimizer opt, Tensor x, Tensor y, Probe? probe, int step)
    {
        using var scope = NewDisposeScope();
        probe?.BeginStep(step);
        opt.zero_grad();
        nn.functional.cross_entropy(net.call(x), y).backward();
        probe?.CaptureGradients();
        opt.step();
        probe?.CaptureUpdates();
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Detached")]
    public void NoTaps() => Step(plain, plainOpt, images, labels, null, 0);

    [Benchmark, BenchmarkCategory("Detached")]
    public void Detached() => Step(tapped, tappedOpt, images, labels, null, 0);

    [Benchmark, BenchmarkCategory("Attached")]
    public void Attached() => Step(attachedNet, attachedOpt, images, labels, probe, ++step);

    [Benchmark, BenchmarkCategory("Attached")]
    public void AttachedSampled() => Step(sampledNet, sampledOpt, images, labels, sampledProbe, ++step);

    [Benchmark, BenchmarkCategory("Attached")]
    public void AttachedEvery10() => Step(everyNet, everyOpt, images, labels, everyProbe, ++step);
}
