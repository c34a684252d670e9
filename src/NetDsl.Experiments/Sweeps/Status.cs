using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using NetDsl.Experiments.Analysis;
using NetDsl.Experiments.Results;
using NetDsl.Experiments.Training;

namespace NetDsl.Experiments.Sweeps;

/// <summary>Where a job of a plan stands.</summary>
public enum JobState
{
    /// <summary>Its result file holds its result.</summary>
    Done,
    /// <summary>Its last run threw; its result file holds the error.</summary>
    Failed,
    /// <summary>A process runs it now (a Slurm task, or a local process that holds its lock).</summary>
    Running,
    /// <summary>Queued in Slurm, not started.</summary>
    Pending,
    /// <summary>Stopped before the end (a signal, a time limit, a killed process) and not queued: its checkpoint continues it.</summary>
    Interrupted,
    /// <summary>Nothing of it exists yet.</summary>
    NotStarted,
}

/// <summary>One job's state.</summary>
/// <param name="Job">The job.</param>
/// <param name="State">Its state.</param>
/// <param name="Detail">One line: the result, the error, the Slurm task, or how far the checkpoint got.</param>
/// <param name="Shard">Its result file, when there is one.</param>
public sealed record JobStatus(PlannedJob Job, JobState State, string Detail, JobShard? Shard);

/// <summary>The state of every job of a run folder, from the jobs' own files and, when given, the Slurm queue.</summary>
public static class JobStates
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Every job's state, in plan order.</summary>
    /// <param name="sweep">The run folder.</param>
    /// <param name="queue">Slurm's queue for this plan by job index (<see cref="Slurm.Queue"/>), or null without Slurm.</param>
    public static List<JobStatus> Of(Sweep sweep, IReadOnlyDictionary<int, QueuedTask>? queue) =>
        sweep.Plan.Jobs.Select(job => OfJob(sweep, job, queue)).ToList();

    static JobStatus OfJob(Sweep sweep, PlannedJob job, IReadOnlyDictionary<int, QueuedTask>? queue)
    {
        var shard = sweep.ReadShard(job, out var problem);
        if (shard is { State: ShardState.Done, Result: { } result })
            return new(job, JobState.Done, Summary(result, shard), shard);
        if (queue is not null && queue.TryGetValue(job.Index, out var task))
        {
            var running = task.State is "RUNNING" or "COMPLETING" or "CONFIGURING";
            return new(job, running ? JobState.Running : JobState.Pending,
                $"Slurm {task.JobId} {task.State.ToLowerInvariant()}{(running ? $" on {task.Node}" : task.Reason is { Length: > 0 } r && r != "None" ? $" ({r})" : "")}{Progress(sweep, job)}", shard);
        }
        if (LocalHolder(sweep, job) is { } holder)
            return new(job, JobState.Running, holder + Progress(sweep, job), shard);
        if (shard is { State: ShardState.Failed })
            return new(job, JobState.Failed, shard.Error ?? "failed", shard);
        var progress = Progress(sweep, job);
        // A result file that is there but unusable (corrupt, another plan's) is said first: "interrupted" alone would hide it.
        if (progress.Length > 0)
            return new(job, JobState.Interrupted, (problem is null ? "" : problem + "; ") + progress.TrimStart(',', ' ') + "; running it again continues there", shard);
        return new(job, JobState.NotStarted, problem ?? "", shard);
    }

    /// <summary>"pid N on this host since T" when a live process on this machine runs the job; null otherwise (a process on
    /// another machine is reported by Slurm's queue, or not at all without Slurm).</summary>
    static string? LocalHolder(Sweep sweep, PlannedJob job)
    {
        var path = sweep.RunningPath(job);
        if (!File.Exists(path)) return null;
        string[] parts;
        try { parts = File.ReadAllText(path).Split(' '); }
        catch (IOException) { return null; }
        if (parts.Length < 4) return null;
        if (parts[0] != Environment.MachineName) return parts[2] == "-" ? $"started on {parts[0]} (pid {parts[1]}) at {parts[3]}; cannot check it from here" : null;
        // A process killed hard (SIGKILL, out of memory) leaves its .running file: only a live pid counts.
        return Directory.Exists($"/proc/{parts[1]}") ? $"pid {parts[1]} on {parts[0]} since {parts[3]}" : null;
    }

    /// <summary>", at epoch e/E" or ", at epoch e step s/S" from the job's checkpoint; empty without one.</summary>
    static string Progress(Sweep sweep, PlannedJob job)
    {
        if (Checkpoint.Peek(sweep.CheckpointPath(job)) is not var (progress, position)) return "";
        var epochs = sweep.Plan.Settings.Epochs;
        return position is { } p
            ? string.Create(Inv, $", checkpoint at epoch {p.Epoch}/{epochs}, step {p.Steps}")
            : string.Create(Inv, $", checkpoint after epoch {progress.Epochs.Count}/{epochs}");
    }

    static string Summary(JobResult r, JobShard shard)
    {
        var parts = new List<string>();
        if (r.Diverged is not null) parts.Add($"diverged ({r.Diverged})");
        else if (Selection.BestEpoch(r) is { } best)
            parts.Add(string.Create(Inv, $"validation {100 * best.ValidationAccuracy:F1}% at epoch {best.Epoch}"));
        parts.Add(string.Create(Inv, $"{r.Seconds:F0} s"));
        parts.Add(shard.SlurmJob is { } s ? $"Slurm {s} on {shard.Host}" : $"on {shard.Host}");
        return string.Join(", ", parts);
    }

    /// <summary>"5 done, 1 running, 2 not started": the count of each state present.</summary>
    public static string Count(IEnumerable<JobStatus> states) =>
        string.Join(", ", states.GroupBy(s => s.State).OrderBy(g => g.Key).Select(g => $"{g.Count()} {Word(g.Key)}"));

    /// <summary>The state in words.</summary>
    public static string Word(JobState state) => state switch
    {
        JobState.NotStarted => "not started",
        _ => state.ToString().ToLowerInvariant(),
    };
}

/// <summary>Merges a run folder's job results into <see cref="RunResults"/>, listing every job without a result.</summary>
public static class Merge
{
    /// <summary>
    /// The results of every finished job, grouped by variant in the plan's order with each variant's selection; every other job
    /// of the plan is listed in <see cref="RunResults.Incomplete"/> with its state.
    /// </summary>
    /// <param name="sweep">The run folder.</param>
    /// <param name="states">Its jobs' states (<see cref="JobStates.Of"/>).</param>
    /// <exception cref="InvalidDataException">No job has finished: there is nothing to report.</exception>
    public static RunResults Results(Sweep sweep, IReadOnlyList<JobStatus> states)
    {
        var plan = sweep.Plan;
        var done = states.Where(s => s.State == JobState.Done).ToList();
        if (done.Count == 0)
            throw new InvalidDataException($"{sweep.Folder}: none of the plan's {plan.Jobs.Count} jobs has finished ({JobStates.Count(states)}); `netdsl status {sweep.Folder}` shows them");
        var results = new RunResults
        {
            Experiment = plan.Experiment,
            Preset = plan.Preset,
            Title = plan.Title,
            Question = plan.Question,
            Settings = plan.Settings,
            StartedUtc = done.Min(s => s.Shard!.StartedUtc),
            // From the first job's start to the last one's end (a job resumed in a later session counts from that session).
            WallSeconds = (done.Max(s => s.Shard!.FinishedUtc) - done.Min(s => s.Shard!.StartedUtc)).TotalSeconds,
            PlannedJobs = plan.Jobs.Count,
            Incomplete = states.Where(s => s.State != JobState.Done)
                .Select(s => new IncompleteJob(s.Job.Id, s.Job.Variant, s.Job.Seed, s.Job.LearningRate, JobStates.Word(s.State), s.Detail)).ToList(),
        };
        foreach (var v in plan.Variants)
        {
            var jobs = done.Where(s => s.Job.Variant == v.Name).Select(s => s.Shard!.Result!).ToList();
            if (jobs.Count == 0) continue;
            var variant = new VariantResult
            {
                Name = v.Name,
                Settings = new Dictionary<string, string>(v.Settings),
                Parameters = v.Parameters,
                MultiplyAccumulates = v.MultiplyAccumulates,
                WeightLayers = v.WeightLayers,
                Summary = v.Summary,
                ForwardSource = v.ForwardSource,
                Jobs = jobs,
            };
            variant.Selection = Selection.Select(variant.Jobs, Selection.ClassesOf(results.Settings));
            results.Variants.Add(variant);
        }
        return results;
    }
}
