using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;

namespace NetDsl.Benchmarks;

/// <summary>
/// Ratios robust to a shared, noisy machine: the two sides of a comparison run alternately, step by
/// step, so drift (another process waking up, frequency changes) hits both; the ratio reported is the
/// median of the per-round ratios. Run with <c>-- interleaved</c>.
/// </summary>
public static class Interleaved
{
    public static void Run(int rounds = 40, int warmup = 5)
    {
        var b = new TrainingStepBenchmarks();
        b.Setup();
        Compare("ResNet-20 training step, batch 128, 28x28: generated vs hand-written", b.ResNet20_Generated, b.ResNet20_HandWritten, rounds, warmup);
        Compare("residual MLP (50 units, width 200) training step, batch 256: generated vs hand-written", b.ResidualMlp50_Generated, b.ResidualMlp50_HandWritten, rounds, warmup);
        var probes = new ProbeBenchmarks();
        probes.Setup();
        Compare("ResNet-20 training step: taps detached vs generated without taps", probes.Detached, probes.NoTaps, rounds, warmup);
        Compare("ResNet-20 training step: all probes attached (recording everything) vs detached", probes.Attached, probes.Detached, rounds, warmup);
        Compare("ResNet-20 training step: attached, activation statistics over 16 of 128 samples, vs detached", probes.AttachedSampled, probes.Detached, rounds, warmup);
        Compare("ResNet-20 training step: attached, activation statistics every 10th step, vs detached", probes.AttachedEvery10, probes.Detached, rounds, warmup);
    }

    static void Compare(string what, Action ours, Action reference, int rounds, int warmup)
    {
        for (int i = 0; i < warmup; i++) { ours(); reference(); }
        var a = new List<double>();
        var r = new List<double>();
        var ratios = new List<double>();
        var sw = new Stopwatch();
        for (int i = 0; i < rounds; i++)
        {
            // Alternate which side goes first, so neither always runs on a warmer cache.
            double tOurs, tRef;
            if (i % 2 == 0) { tOurs = Time(ours, sw); tRef = Time(reference, sw); }
            else { tRef = Time(reference, sw); tOurs = Time(ours, sw); }
            a.Add(tOurs);
            r.Add(tRef);
            ratios.Add(tOurs / tRef);
        }
        Console.WriteLine($"{what}: {Median(a):F1} ms vs {Median(r):F1} ms, ratio (median of {rounds} interleaved rounds) {Median(ratios):F3}, "
            + $"interquartile range {Quantile(ratios, 0.25):F3} to {Quantile(ratios, 0.75):F3}");
    }

    static double Time(Action action, Stopwatch sw)
    {
        sw.Restart();
        action();
        return sw.Elapsed.TotalMilliseconds;
    }

    static double Median(List<double> v) => Quantile(v, 0.5);

    static double Quantile(List<double> v, double q)
    {
        var s = v.OrderBy(x => x).ToList();
        double pos = q * (s.Count - 1);
        int lo = (int)Math.Floor(pos), hi = (int)Math.Ceiling(pos);
        return s[lo] + (s[hi] - s[lo]) * (pos - lo);
    }
}
