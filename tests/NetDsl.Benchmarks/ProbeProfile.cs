using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using NetDsl.Examples;
using NetDsl.Instrumentation;
using TorchSharp;
using static TorchSharp.torch;

namespace NetDsl.Benchmarks;

/// <summary>
/// Where attached probes spend their time (run with <c>-- probe-profile [rounds]</c>): each recording option alone, on a
/// ResNet-20 training step (batch 128). Configurations are interleaved round by round, and each step reports its wall
/// time and the CPU time of the whole process (all threads): on a shared machine the CPU time is the steadier measure of
/// the work a configuration adds (LibTorch threads sleep instead of spinning under OMP_WAIT_POLICY=PASSIVE).
/// </summary>
public static class ProbeProfile
{
    public static void Run(int rounds = 15)
    {
        manual_seed(0);
        var net = new ResNet20();
        var opt = optim.SGD(net.parameters(), 0.01, momentum: 0.9);
        using var x = randn(128, 1, 28, 28);
        using var y = randint(0, 10, new long[] { 128 });
        // The last two configurations turn the probe's gradient-norm sharing off (Probe.ShareGradientNorms, internal), to
        // measure what it saves.
        var configurations = new (string Name, ProbeOptions? Options, bool Parameters)[]
        {
            ("detached", null, false),
            ("attached, nothing recorded", new ProbeOptions { Activations = false, Gradients = false }, false),
            ("activations only", new ProbeOptions { Gradients = false }, false),
            ("gradients only (with residual split)", new ProbeOptions { Activations = false }, false),
            ("gradients only, no residual split", new ProbeOptions { Activations = false, ResidualSplit = false }, false),
            ("parameters only", new ProbeOptions { Activations = false, Gradients = false }, true),
            ("everything", new ProbeOptions(), true),
            ("everything, statistics over 16 of 128 samples", new ProbeOptions { ActivationSamples = 16 }, true),
            ("gradients only, norms not shared", new ProbeOptions { Activations = false }, false),
            ("everything, norms not shared", new ProbeOptions(), true),
        };
        int unshared = configurations.Length - 2;
        var wall = configurations.Select(_ => new List<double>()).ToArray();
        var cpu = configurations.Select(_ => new List<double>()).ToArray();
        var self = Process.GetCurrentProcess();
        for (int round = -2; round < rounds; round++) // two warm-up rounds
        {
            for (int c = 0; c < configurations.Length; c++)
            {
                var (_, options, parameters) = configurations[c];
                using var probe = options is null ? null : Probe.Attach(net, options);
                if (probe is not null && c >= unshared) probe.ShareGradientNorms = false;
                self.Refresh();
                var cpuBefore = self.TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                using (var scope = NewDisposeScope())
                {
                    probe?.BeginStep(round + 2);
                    opt.zero_grad();
                    nn.functional.cross_entropy(net.call(x), y).backward();
                    if (parameters) probe?.CaptureGradients();
                    opt.step();
                    if (parameters) probe?.CaptureUpdates();
                    _ = probe?.Current;
                }
                var elapsed = sw.Elapsed.TotalMilliseconds;
                self.Refresh();
                if (round < 0) continue;
                wall[c].Add(elapsed);
                cpu[c].Add((self.TotalProcessorTime - cpuBefore).TotalMilliseconds);
            }
        }
        static double Median(List<double> v) => v.OrderBy(t => t).ElementAt(v.Count / 2);
        double baseWall = Median(wall[0]), baseCpu = Median(cpu[0]);
        Console.WriteLine($"{rounds} interleaved rounds; medians per step, and the ratio to the detached step");
        Console.WriteLine($"{"configuration",-48} {"wall ms",9} {"ratio",6} {"CPU ms",9} {"ratio",6}");
        for (int c = 0; c < configurations.Length; c++)
            Console.WriteLine($"{configurations[c].Name,-48} {Median(wall[c]),9:F0} {Median(wall[c]) / baseWall,6:F3} {Median(cpu[c]),9:F0} {Median(cpu[c]) / baseCpu,6:F3}");
    }
}
