using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using NetDsl.Experiments;
using NetDsl.Experiments.Results;
using NetDsl.Experiments.Training;
using Spectre.Console;
using static System.FormattableString;

namespace NetDsl.Experiments.Progress;

/// <summary>Progress as plain lines (output redirected to a file or a pipe, or <see cref="ProgressDisplay.Lines"/>): one line per
/// job start, epoch and end.</summary>
/// <param name="output">Where the lines go; null: <see cref="Console.Out"/> at the time of each line.</param>
public sealed class LineProgress(TextWriter? output = null) : IRunProgress
{
    /// <summary>Progress lines on the console.</summary>
    public LineProgress() : this(null) { }

    TextWriter Out => output ?? Console.Out;

    /// <inheritdoc/>
    public ITrainingProgress? Begin(JobKey job, int totalEpochs)
    {
        Out.WriteLine($"{Name(job)}: {(totalEpochs > 0 ? $"training {totalEpochs} epoch(s)" : "measuring at initialization")}");
        return new Sink(Name(job), this);
    }

    /// <inheritdoc/>
    public void End(JobKey job, JobResult run) => Out.WriteLine($"{Name(job)}: {Describe(run)}");

    /// <inheritdoc/>
    public void Failed(JobKey job, string message) => Out.WriteLine($"{Name(job)}: {message}");

    static string Name(JobKey job) =>
        $"{job.Variant.Name} (seed {job.Seed}{(job.LearningRate is { } lr ? $", lr {lr.ToString(CultureInfo.InvariantCulture)}" : "")})";

    /// <summary>One-line summary of a finished job; <paramref name="compact"/> keeps only its main result (for a progress bar).</summary>
    public static string Describe(JobResult run, bool compact = false)
    {
        var parts = new List<string>();
        if (run.Diverged is not null) parts.Add(compact ? "diverged" : $"diverged ({run.Diverged})");
        else
        {
            if (run.Epochs.Count > 0) parts.Add(Invariant($"val{(compact ? "" : "idation accuracy")} {100 * run.Epochs[^1].ValidationAccuracy:F1}%"));
            // NaN: no gradient reached the units at step 0 (a Fixup network's zero classifier).
            if (run.Initial?.Log10Ratio is { } ratio)
                parts.Add((compact ? "log10 ratio " : "log10 gradient ratio ") + (double.IsFinite(ratio) ? ratio.ToString("F2", CultureInfo.InvariantCulture) : "n/a (no gradient at the units)"));
            if (run.Shattering is { } s) parts.Add(Invariant($"lag-1 ACF {s.Autocorrelation[1]:F3}"));
            if (run.Slice is not null) parts.Add("slice done");
        }
        if (compact && parts.Count > 1) parts.RemoveRange(1, parts.Count - 1);
        parts.Add(Invariant($"{run.Seconds:F0} s"));
        return string.Join(", ", parts);
    }

    sealed class Sink(string name, LineProgress owner) : ITrainingProgress
    {
        public void Step(int step, int totalSteps, double loss) { }

        public void Epoch(EpochRecord r, int totalEpochs) =>
            owner.Out.WriteLine(Invariant($"  {name} epoch {r.Epoch}/{totalEpochs}: train loss {r.TrainLoss:F3}, train accuracy {100 * r.TrainAccuracy:F1}%, validation accuracy {100 * r.ValidationAccuracy:F1}%, test accuracy {100 * r.TestAccuracy:F1}%, {r.Seconds:F1} s"));
    }
}

/// <summary>
/// Progress on a terminal (Spectre.Console): one bar per job (variant, seed, learning rate) with epoch, loss, validation
/// accuracy and the remaining time, kept short enough for an 80-column terminal.
/// </summary>
public sealed class BarProgress : IRunProgress
{
    readonly Dictionary<string, (ProgressTask Task, string Name)> tasks;

    /// <summary>Adds one (not yet started) bar per job to <paramref name="context"/>.</summary>
    public BarProgress(ProgressContext context, IReadOnlyList<JobKey> jobs) =>
        tasks = jobs.ToDictionary(j => j.Id, j => (context.AddTask(Markup.Escape(j.Label), autoStart: false, maxValue: 1), j.Label));

    /// <inheritdoc/>
    public ITrainingProgress? Begin(JobKey job, int totalEpochs)
    {
        var (task, name) = tasks[job.Id];
        task.StartTask();
        return new Sink(task, name);
    }

    /// <inheritdoc/>
    public void End(JobKey job, JobResult run)
    {
        var (task, name) = tasks[job.Id];
        task.Description = Markup.Escape($"{name} {LineProgress.Describe(run, compact: true)}");
        task.Value = task.MaxValue;
        task.StopTask();
    }

    /// <inheritdoc/>
    public void Failed(JobKey job, string message)
    {
        var (task, name) = tasks[job.Id];
        task.StartTask();
        task.Description = Markup.Escape($"{name} {(message.Contains("stopped", StringComparison.Ordinal) ? "stopped" : "failed")}");
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
            task.Description = Markup.Escape(Invariant($"{name} e{epoch} loss {loss:F2}{last}"));
        }

        public void Epoch(EpochRecord r, int totalEpochs)
        {
            epoch = Math.Min(r.Epoch + 1, totalEpochs);
            last = Invariant($" val {100 * r.ValidationAccuracy:F1}%");
            task.Description = Markup.Escape(Invariant($"{name} e{r.Epoch}/{totalEpochs} loss {r.TrainLoss:F2}{last}"));
        }
    }
}

/// <summary>How <see cref="Comparison.Run(System.Threading.CancellationToken)"/> shows its progress.</summary>
public enum ProgressDisplay
{
    /// <summary>Bars (<see cref="BarProgress"/>) on an interactive terminal, else lines (<see cref="LineProgress"/>) to <see cref="ComparisonOptions.Log"/>.</summary>
    Auto,
    /// <summary>Plain lines to <see cref="ComparisonOptions.Log"/>, even on a terminal (<c>netdsl compare --plain</c>).</summary>
    Lines,
    /// <summary>No per-job progress; the summary, notes, headline and report path still go to <see cref="ComparisonOptions.Log"/>.</summary>
    None,
}
