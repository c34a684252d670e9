using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using NetDsl.Experiments;
using NetDsl.Measurements;
using TorchSharp;
using static TorchSharp.torch;

namespace NetDsl.Experiments.Sweeps;

/// <summary>The cost of one variant's jobs, from a short timing of its training step on this machine.</summary>
/// <param name="Variant">The variant.</param>
/// <param name="Jobs">Its jobs in the plan (seeds x learning rates).</param>
/// <param name="StepSeconds">Wall time of one training step (forward, backward, SGD update) at the plan's batch size and threads, seconds.</param>
/// <param name="EvalSecondsPerImage">Wall time of evaluation (eval mode, no gradients) per image, seconds.</param>
/// <param name="JobSeconds">Estimated wall time of one job: epochs x (steps x step time + evaluated images x evaluation time), seconds.</param>
/// <param name="CoreHours">All its jobs' wall time times the threads per job, hours.</param>
public sealed record VariantCost(string Variant, int Jobs, double StepSeconds, double EvalSecondsPerImage, double JobSeconds, double CoreHours);

/// <summary>
/// <c>compare --dry-run</c>: the plan's job count and its cost in core-hours, estimated from a short timing of each variant's
/// training step on this machine (one untimed step, then timed steps until about two seconds or three steps have passed).
/// Training and the per-epoch evaluation are counted; measurements at initialization and between steps (Santurkar et al.'s,
/// the loss slice) are not (seconds per job for the presets that have them).
/// </summary>
public static class Estimate
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Times each variant of <paramref name="spec"/> and estimates its jobs' cost.</summary>
    /// <param name="spec">The run.</param>
    /// <param name="threads">LibTorch threads per job.</param>
    /// <param name="trainImages">Training images per job (after the validation split).</param>
    /// <param name="evaluatedImages">Validation plus test images evaluated after every epoch.</param>
    /// <param name="log">Receives one line per variant as it is timed.</param>
    public static List<VariantCost> Measure(RunSpec spec, int threads, int trainImages, int evaluatedImages, Action<string>? log = null)
    {
        torch.set_num_threads(threads);
        var jobs = spec.Jobs();
        var o = spec.Options;
        var steps = (trainImages + o.BatchSize - 1) / o.BatchSize;
        var costs = new List<VariantCost>();
        foreach (var variant in spec.Experiment.VariantsOf(spec.Preset))
        {
            var count = jobs.Count(j => j.Variant.Name == variant.Name);
            var (step, eval) = spec.Experiment.What.HasFlag(Measures.Training) ? Time(variant, o.BatchSize, spec.Init) : (0, 0);
            var job = o.Epochs * (steps * step + evaluatedImages * eval);
            var cost = new VariantCost(variant.Name, count, step, eval, job, count * job * threads / 3600);
            costs.Add(cost);
            log?.Invoke(string.Create(Inv, $"  {variant.Name}: {step:F3} s per step, {1000 * eval:F2} ms per evaluated image"));
        }
        return costs;
    }

    static (double Step, double EvalPerImage) Time(VariantInfo variant, int batch, InitScheme init)
    {
        torch.manual_seed(0);
        using var model = variant.Create();
        Initialization.Apply(model, init);
        using var x = randn([batch, .. variant.Summary.InputShape]);
        using var y = randint(0, variant.Summary.OutputShape[^1], [batch], dtype: ScalarType.Int64);
        using var optimizer = optim.SGD(model.parameters(), 0.01, momentum: 0.9, weight_decay: 1e-4);
        model.train();
        void Step()
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            nn.functional.cross_entropy(model.call(x), y).backward();
            optimizer.step();
        }
        Step();   // untimed: first-call allocations and kernel selection
        var clock = Stopwatch.StartNew();
        var n = 0;
        do { Step(); n++; } while (n < 3 && clock.Elapsed.TotalSeconds < 2);
        var step = clock.Elapsed.TotalSeconds / n;

        model.eval();
        var evalBatch = Math.Max(batch, 256);
        using var big = randn([evalBatch, .. variant.Summary.InputShape]);
        using (no_grad())
        {
            using (NewDisposeScope()) model.call(big);
            clock.Restart();
            using (NewDisposeScope()) model.call(big);
        }
        return (step, clock.Elapsed.TotalSeconds / evalBatch);
    }

    /// <summary>The machine's load average over the last minute (Linux), or null: timings taken under load are slower.</summary>
    public static double? LoadAverage()
    {
        try
        {
            return File.Exists("/proc/loadavg") ? double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], Inv) : null;
        }
        catch (Exception e) when (e is IOException or FormatException) { return null; }
    }

    /// <summary>A duration for people: seconds, minutes, hours or days.</summary>
    public static string Duration(double seconds) => seconds switch
    {
        < 90 => string.Create(Inv, $"{seconds:F0} s"),
        < 5400 => string.Create(Inv, $"{seconds / 60:F0} min"),
        < 172_800 => string.Create(Inv, $"{seconds / 3600:F1} h"),
        _ => string.Create(Inv, $"{seconds / 86400:F1} days"),
    };
}
