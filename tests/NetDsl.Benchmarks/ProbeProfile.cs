using System;
using System.Diagnostics;
using System.Linq;
using NetDsl.Examples;
using NetDsl.Instrumentation;
using TorchSharp;
using static TorchSharp.torch;

namespace NetDsl.Benchmarks;

/// <summary>Where attached probes spend their time (run with <c>-- probe-profile</c>): each recording option alone.</summary>
public static class ProbeProfile
{
    public static void Run()
    {
        manual_seed(0);
        var net = new ResNet20();
        var opt = optim.SGD(net.parameters(), 0.01, momentum: 0.9);
        using var x = randn(128, 1, 28, 28);
        using var y = randint(0, 10, new long[] { 128 });
        double Time(ProbeOptions? options, bool parameters)
        {
            using var probe = options is null ? null : Probe.Attach(net, options);
            var times = new double[12];
            for (int i = 0; i < times.Length; i++)
            {
                var sw = Stopwatch.StartNew();
                using var scope = NewDisposeScope();
                probe?.BeginStep(i);
                opt.zero_grad();
                nn.functional.cross_entropy(net.call(x), y).backward();
                if (parameters) probe?.CaptureGradients();
                opt.step();
                if (parameters) probe?.CaptureUpdates();
                times[i] = sw.Elapsed.TotalMilliseconds;
            }
            return times.Skip(2).OrderBy(t => t).ElementAt(5);
        }
        Console.WriteLine($"detached {Time(null, false):F0} ms");
        Console.WriteLine($"attached, nothing recorded {Time(new ProbeOptions { Activations = false, Gradients = false }, false):F0} ms");
        Console.WriteLine($"activations only {Time(new ProbeOptions { Gradients = false }, false):F0} ms");
        Console.WriteLine($"gradients only {Time(new ProbeOptions { Activations = false }, false):F0} ms");
        Console.WriteLine($"parameters only {Time(new ProbeOptions { Activations = false, Gradients = false }, true):F0} ms");
        Console.WriteLine($"everything {Time(new ProbeOptions(), true):F0} ms");
        Console.WriteLine($"everything, activation statistics over 16 of 128 samples {Time(new ProbeOptions { ActivationSamples = 16 }, true):F0} ms");
        Console.WriteLine($"detached {Time(null, false):F0} ms");
    }
}
