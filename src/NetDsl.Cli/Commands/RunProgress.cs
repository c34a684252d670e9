using System;
using System.Collections.Generic;
using System.Linq;
using NetDsl.Cli.Experiments;
using NetDsl.Cli.Results;
using NetDsl.Cli.Training;
using Spectre.Console;

namespace NetDsl.Cli.Commands;

/// <summary>Progress as plain lines (output redirected to a file or a pipe): one line per variant start, epoch and end.</summary>
public sealed class LineProgress : IRunProgress
{
    /// <inheritdoc/>
    public ITrainingProgress? Begin(string variant, int seed, int totalEpochs)
    {
        Console.WriteLine($"{variant} (seed {seed}): {(totalEpochs > 0 ? $"training {totalEpochs} epoch(s)" : "measuring at initialization")}");
        return new Sink(variant);
    }

    /// <inheritdoc/>
    public void End(string variant, SeedResult run) => Console.WriteLine($"{variant} (seed {run.Seed}): {Describe(run)}");

    /// <summary>One-line summary of a finished run; <paramref name="compact"/> keeps only its main result (for a progress bar).</summary>
    public static string Describe(SeedResult run, bool compact = false)
    {
        var parts = new List<string>();
        if (run.Diverged is not null) parts.Add(compact ? "diverged" : $"diverged ({run.Diverged})");
        else
        {
            if (run.Epochs.Count > 0) parts.Add($"test{(compact ? "" : " accuracy")} {100 * run.Epochs[^1].TestAccuracy:F1}%");
            if (run.Initial?.Log10Ratio is { } ratio) parts.Add($"log10{(compact ? "" : " gradient")} ratio {ratio:F2}");
            if (run.Shattering is { } s) parts.Add($"lag-1 ACF {s.Autocorrelation[1]:F3}");
            if (run.Slice is not null) parts.Add("slice done");
        }
        if (compact && parts.Count > 1) parts.RemoveRange(1, parts.Count - 1);
        parts.Add($"{run.Seconds:F0} s");
        return string.Join(", ", parts);
    }

    sealed class Sink(string variant) : ITrainingProgress
    {
        public void Step(int step, int totalSteps, double loss) { }

        public void Epoch(EpochRecord r, int totalEpochs) =>
            Console.WriteLine($"  {variant} epoch {r.Epoch}/{totalEpochs}: train loss {r.TrainLoss:F3}, train accuracy {100 * r.TrainAccuracy:F1}%, test accuracy {100 * r.TestAccuracy:F1}%, {r.Seconds:F1} s");
    }
}

/// <summary>
/// Progress on a terminal (Spectre.Console): one bar per variant and seed with epoch, loss, test accuracy and the
/// remaining time, kept short enough for an 80-column terminal.
/// </summary>
public sealed class BarProgress : IRunProgress
{
    readonly Dictionary<(string, int), (ProgressTask Task, string Name)> tasks;

    /// <summary>Adds one (not yet started) bar per run to <paramref name="context"/>.</summary>
    public BarProgress(ProgressContext context, IReadOnlyList<(string Variant, int Seed)> runs)
    {
        var seeds = runs.Select(r => r.Seed).Distinct().Count();
        tasks = runs.ToDictionary(r => (r.Variant, r.Seed), r =>
        {
            // The network's name is the same on every bar; the seed only matters when there are several.
            var name = (r.Variant.Contains('.') ? r.Variant[(r.Variant.IndexOf('.') + 1)..] : r.Variant) + (seeds > 1 ? $" s{r.Seed}" : "");
            return (context.AddTask(Markup.Escape(name), autoStart: false, maxValue: 1), name);
        });
    }

    /// <inheritdoc/>
    public ITrainingProgress? Begin(string variant, int seed, int totalEpochs)
    {
        var (task, name) = tasks[(variant, seed)];
        task.StartTask();
        return new Sink(task, name);
    }

    /// <inheritdoc/>
    public void End(string variant, SeedResult run)
    {
        var (task, name) = tasks[(variant, run.Seed)];
        task.Description = Markup.Escape($"{name} {LineProgress.Describe(run, compact: true)}");
        task.Value = task.MaxValue;
        task.StopTask();
    }

    sealed class Sink(ProgressTask task, string name) : ITrainingProgress
    {
        int epoch = 1;
        double loss = double.NaN;
        string last = "";

        public void Step(int step, int totalSteps, double value)
        {
            task.MaxValue = totalSteps;
            task.Value = step;
            loss = double.IsNaN(loss) ? value : 0.9 * loss + 0.1 * value;
            task.Description = Markup.Escape($"{name} e{epoch} loss {loss:F2}{last}");
        }

        public void Epoch(EpochRecord r, int totalEpochs)
        {
            epoch = Math.Min(r.Epoch + 1, totalEpochs);
            last = $" test {100 * r.TestAccuracy:F1}%";
            task.Description = Markup.Escape($"{name} e{r.Epoch}/{totalEpochs} loss {r.TrainLoss:F2}{last}");
        }
    }
}
