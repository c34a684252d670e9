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
    /// <summary>Runs every comparison and prints one line each.</summary>
    /// <param name="rounds">Timed rounds per comparison.</param>
    /// <param name="warmup">Untimed rounds first.</param>
    /// <param name="only">"probes" for the probe comparisons alone; null for all.</param>
    public static void Run(int rounds = 40, int warmup = 5, string? only = null)
    {
        if (only == "probes")
        {
            var p = new ProbeBenchmarks();
            p.Setup();
            Compare("ResNet-20 training step: all probes attached (recording everything) vs detached", p.Attached, p.Detached, rounds, warmup);
            return;
        }
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
        var sw = new Stopwatch();
        var result = Compare(() => Time(ours, sw), () => Time(reference, sw), rounds, warmup);
        Console.WriteLine($"{what}: {result}");
    }

    /// <summary>A comparison's medians and the median and interquartile range of its per-round ratios.</summary>
    /// <param name="Ours">Median time of our side, ms.</param>
    /// <param name="Reference">Median time of the reference side, ms.</param>
    /// <param name="Ratio">Median of the per-round ratios ours / reference.</param>
    /// <param name="Q1">First quartile of the per-round ratios.</param>
    /// <param name="Q3">Third quartile of the per-round ratios.</param>
    /// <param name="Rounds">Number of rounds.</param>
    public sealed record Result(double Ours, double Reference, double Ratio, double Q1, double Q3, int Rounds)
    {
        /// <summary>One line: both medians, the ratio and its interquartile range.</summary>
        public override string ToString() =>
            $"{Ours:F1} ms vs {Reference:F1} ms, ratio (median of {Rounds} interleaved rounds) {Ratio:F3}, interquartile range {Q1:F3} to {Q3:F3}";
    }

    /// <summary>
    /// Runs <paramref name="ours"/> and <paramref name="reference"/> alternately (who goes first alternates
    /// too), each returning the milliseconds it measured, after <paramref name="warmup"/> untimed rounds.
    /// </summary>
    /// <param name="ours">One timed unit of our side; returns its time in ms.</param>
    /// <param name="reference">One timed unit of the reference side; returns its time in ms.</param>
    /// <param name="rounds">Timed rounds.</param>
    /// <param name="warmup">Rounds run first and discarded.</param>
    public static Result Compare(Func<double> ours, Func<double> reference, int rounds, int warmup)
    {
        for (int i = 0; i < warmup; i++) { ours(); reference(); }
        var a = new List<double>();
        var r = new List<double>();
        var ratios = new List<double>();
        for (int i = 0; i < rounds; i++)
        {
            // Alternate which side goes first, so neither always runs on a warmer cache.
            double tOurs, tRef;
            if (i % 2 == 0) { tOurs = ours(); tRef = reference(); }
            else { tRef = reference(); tOurs = ours(); }
            a.Add(tOurs);
            r.Add(tRef);
            ratios.Add(tOurs / tRef);
        }
        return new Result(Median(a), Median(r), Median(ratios), Quantile(ratios, 0.25), Quantile(ratios, 0.75), rounds);
    }

    static double Time(Action action, Stopwatch sw)
    {
        sw.Restart();
        action();
        return sw.Elapsed.TotalMilliseconds;
    }

    /// <summary>The median of <paramref name="v"/>.</summary>
    public static double Median(List<double> v) => Quantile(v, 0.5);

    /// <summary>The <paramref name="q"/>-quantile of <paramref name="v"/>, linear interpolation between order statistics.</summary>
    public static double Quantile(List<double> v, double q)
    {
        var s = v.OrderBy(x => x).ToList();
        double pos = q * (s.Count - 1);
        int lo = (int)Math.Floor(pos), hi = (int)Math.Ceiling(pos);
        return s[lo] + (s[hi] - s[lo]) * (pos - lo);
    }
}
