using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using NetDsl.Experiments;
using NetDsl.Experiments.Progress;
using NetDsl.Experiments.Results;
using NetDsl.Experiments.Sweeps;
using NetDsl.Experiments.Training;
using Spectre.Console;
using TorchSharp;

namespace NetDsl.Cli.Commands;

/// <summary>The commands over a run folder: <c>job</c>, <c>status</c>, <c>submit</c> and <c>report</c>.</summary>
public static class SweepCommands
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Opens a run folder, turning a missing or unreadable plan into a usage error.</summary>
    /// <exception cref="UsageException">No plan, or one this netdsl cannot read.</exception>
    public static Sweep Open(string folder)
    {
        if (!Directory.Exists(folder)) throw new UsageException($"'{folder}' is not a folder; give the run folder `netdsl compare` wrote (its --output)");
        try { return Sweep.Open(folder); }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException) { throw new UsageException(e.Message); }
    }

    /// <summary>
    /// <c>netdsl job FOLDER K</c>: runs job K (an index or an id) of the plan in this process, as a child process of
    /// <c>compare --jobs N</c> or a Slurm array task does. Does nothing when the job is done; continues it from its checkpoint
    /// when one is there. SIGTERM, SIGINT and SIGUSR1 stop it after the current step with a checkpoint; after SIGUSR1 (Slurm's
    /// time-limit warning) it also requeues its Slurm job.
    /// </summary>
    /// <returns>A <see cref="JobExit"/> code.</returns>
    /// <exception cref="UsageException">No plan, no such job, or a plan this netdsl cannot run.</exception>
    public static int Job(string folder, string which, bool events)
    {
        var sweep = Open(folder);
        PlannedJob job;
        try { job = sweep.Plan.Find(which); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        torch.set_num_threads(sweep.Plan.Settings.Threads);
        using var stop = new StopSignal(reason => Console.Error.WriteLine($"{job.Id}: {reason}: stopping after the current step with a checkpoint"));
        IRunProgress progress = events ? new EventProgress(Console.Out) : new JobLog(job);
        JobOutcome outcome;
        try { outcome = sweep.Execute(job, progress, () => stop.Requested); }
        catch (InvalidDataException e) { throw new UsageException(e.Message); }
        (events ? Console.Error : Console.Out).WriteLine(outcome.Message);
        switch (outcome.Kind)
        {
            case JobOutcomeKind.Failed:
                Console.Error.WriteLine($"{job.Id}: {outcome.Shard?.ErrorDetail}");
                return JobExit.Failed;
            case JobOutcomeKind.Busy:
                return JobExit.Busy;
            case JobOutcomeKind.Interrupted:
                if (stop.TimeLimit)
                {
                    Slurm.RequeueThisJob(out var message);
                    Console.Error.WriteLine($"{job.Id}: time limit near: {message}");
                }
                return JobExit.Interrupted;
            default:
                return JobExit.Done;
        }
    }

    /// <summary>
    /// <c>netdsl status FOLDER</c>: every job's state from the jobs' own files, and from Slurm's queue (and accounting, when the
    /// cluster keeps it) when Slurm is there; then what to do next.
    /// </summary>
    /// <exception cref="UsageException">No plan.</exception>
    public static int Status(string folder)
    {
        var sweep = Open(folder);
        var submissions = Slurm.Submissions(sweep);
        var why = "";
        var queue = submissions.Count > 0 ? Slurm.Queue(sweep, out why) : null;
        string? historyWhy = null;
        var history = queue is not null ? Slurm.History(sweep, out historyWhy) : null;
        var states = JobStates.Of(sweep, queue);
        var plan = sweep.Plan;
        Console.WriteLine($"{sweep.Folder}: {plan.Experiment} ({plan.Preset}), {plan.Jobs.Count} jobs, planned {plan.CreatedUtc.ToString("yyyy-MM-dd HH:mm", Inv)} UTC by {plan.Tool}");
        if (submissions.Count > 0)
            Console.WriteLine($"Slurm: {submissions.Count} submission(s), the last array job {submissions[^1].ArrayJob} and report job {submissions[^1].ReportJob}; " +
                              (queue is null ? $"the queue cannot be read here ({why})" : $"{queue.Count} of its tasks in the queue") +
                              (queue is not null && history is null ? $"; no accounting history ({historyWhy}): states come from the queue and the jobs' files" : ""));
        // Plain aligned columns: readable on a terminal, and grep-able in logs and scripts.
        var rows = states.Select(s =>
        {
            var detail = s.Detail;
            if (s.State is JobState.Failed or JobState.Interrupted or JobState.NotStarted && history?.GetValueOrDefault(s.Job.Index) is { } recorded)
                detail = $"{detail}{(detail.Length > 0 ? "; " : "")}Slurm: {recorded}";
            if (s.State is JobState.Failed or JobState.Interrupted && LogOf(sweep, submissions, s.Job) is { } log)
                detail = $"{detail}; log {Path.GetRelativePath(sweep.Folder, log)}";
            return (Index: s.Job.Index.ToString(Inv), s.Job.Id, State: JobStates.Word(s.State), Detail: detail);
        }).ToList();
        var (wi, wj, ws) = (Math.Max(1, rows.Max(r => r.Index.Length)), rows.Max(r => r.Id.Length), Math.Max(5, rows.Max(r => r.State.Length)));
        Console.WriteLine($"{"#".PadLeft(wi)}  {"job".PadRight(wj)}  {"state".PadRight(ws)}  detail");
        foreach (var r in rows) Console.WriteLine($"{r.Index.PadLeft(wi)}  {r.Id.PadRight(wj)}  {r.State.PadRight(ws)}  {r.Detail}".TrimEnd());
        Console.WriteLine($"{plan.Jobs.Count} jobs: {JobStates.Count(states)}");
        var quoted = Slurm.Quote(sweep.Folder);
        var open = states.Count(s => s.State is JobState.Failed or JobState.Interrupted or JobState.NotStarted);
        if (open > 0)
            Console.WriteLine($"{open} job(s) neither done nor queued: `netdsl submit {quoted}` submits them (alone) to Slurm; `netdsl job {quoted} <#>` runs one here");
        if (states.Any(s => s.State == JobState.Done))
            Console.WriteLine($"`netdsl report {quoted}` merges the finished jobs into results.json and the report (jobs without a result are listed in it)");
        return 0;
    }

    /// <summary>The Slurm log of the latest submission that ran <paramref name="job"/>, if it exists.</summary>
    static string? LogOf(Sweep sweep, List<SlurmSubmission> submissions, PlannedJob job)
    {
        var last = submissions.LastOrDefault(s => s.Indices.Contains(job.Index));
        var path = last is null ? null : Path.Combine(Slurm.FolderOf(sweep), "logs", $"{last.ArrayJob}_{job.Index.ToString(Inv)}.out");
        return path is not null && File.Exists(path) ? path : null;
    }

    /// <summary>
    /// <c>netdsl submit FOLDER</c> and <c>compare --slurm</c>: submits the plan's jobs that are neither done nor queued (or the
    /// ones named) as one Slurm job array, and a report job after it. Options not given are taken from the previous submission.
    /// </summary>
    /// <param name="sweep">The run folder.</param>
    /// <param name="which">Job indices or ids to submit, or null for every job neither done nor in Slurm's queue.</param>
    /// <param name="options">Slurm options given on the command line.</param>
    /// <param name="announce">Print what was submitted and how to follow it.</param>
    /// <exception cref="UsageException">Slurm cannot be reached or refuses, a named job is done or queued already, or bad options.</exception>
    public static int Submit(Sweep sweep, IReadOnlyList<string>? which, SlurmOptions options, bool announce = true)
    {
        if (!Slurm.Available(out var why)) throw new UsageException($"cannot submit to Slurm: {why}; run the jobs here with `netdsl compare --jobs N` (same options), or submit from a Slurm login node");
        var queue = Slurm.Queue(sweep, out var queueWhy) ?? throw new UsageException($"cannot read Slurm's queue ({queueWhy}); is the controller up? (`sinfo`)");
        var states = JobStates.Of(sweep, queue);
        List<PlannedJob> jobs;
        if (which is { Count: > 0 })
        {
            jobs = new();
            foreach (var w in which)
            {
                PlannedJob job;
                try { job = sweep.Plan.Find(w); }
                catch (ArgumentException e) { throw new UsageException(e.Message); }
                var state = states[job.Index].State;
                if (state is JobState.Done or JobState.Running or JobState.Pending)
                    throw new UsageException($"job {job.Index} ({job.Id}) is {JobStates.Word(state)} already; submit jobs that are failed, interrupted or not started (`netdsl status {Slurm.Quote(sweep.Folder)}`)");
                jobs.Add(job);
            }
        }
        else jobs = states.Where(s => s.State is JobState.Failed or JobState.Interrupted or JobState.NotStarted).Select(s => s.Job).ToList();
        if (jobs.Count == 0)
        {
            Console.WriteLine($"nothing to submit: {JobStates.Count(states)}");
            return 0;
        }
        var previous = Slurm.Submissions(sweep).LastOrDefault()?.Options;
        var merged = new SlurmOptions
        {
            Partition = options.Partition ?? previous?.Partition,
            Time = options.Time ?? previous?.Time,
            Memory = options.Memory ?? previous?.Memory,
            CpusPerTask = options.CpusPerTask ?? previous?.CpusPerTask,
            MaxRunning = options.MaxRunning ?? previous?.MaxRunning,
            Extra = options.Extra.Count > 0 ? options.Extra : previous?.Extra ?? new(),
            Binary = options.Binary ?? previous?.Binary,
            SignalSeconds = options.SignalSeconds,
        };
        var submission = Slurm.Submit(sweep, jobs, merged);
        if (announce)
        {
            var quoted = Slurm.Quote(sweep.Folder);
            Console.WriteLine($"submitted {jobs.Count} job(s) to Slurm as array job {submission.ArrayJob} (tasks {Slurm.ArraySpec(submission.Indices)}{(merged.MaxRunning is { } m ? $", at most {m} at once" : "")}, " +
                              $"{submission.Options.CpusPerTask} cpu(s) each) and report job {submission.ReportJob}, which merges the results when the array has ended");
            Console.WriteLine($"logs: {Path.Combine(Slurm.FolderOf(sweep), "logs")}; follow with `netdsl status {quoted}`; the report will be {Path.Combine(sweep.Folder, "index.html")}");
        }
        return 0;
    }

    /// <summary>
    /// Merges the run folder's finished jobs into <c>results.json</c> and the report in <paramref name="output"/>; lists the jobs
    /// without a result. Returns 1 when a job failed (the report is written all the same), else 0.
    /// </summary>
    /// <exception cref="UsageException">No job has finished, or the report cannot be written.</exception>
    public static int Report(Sweep sweep, string output, bool headline) =>
        Comparison.Report(sweep, output, headline, Console.Out).Status == ComparisonStatus.JobsFailed ? 1 : 0;
}

/// <summary>Progress of <c>netdsl job</c> as log lines (a Slurm task's log): start, the first step, each epoch, the end.</summary>
public sealed class JobLog(PlannedJob job) : IRunProgress
{
    /// <inheritdoc/>
    public ITrainingProgress? Begin(JobKey key, int totalEpochs)
    {
        Console.WriteLine($"{job.Id}: job {job.Index} started, pid {Environment.ProcessId} on {Environment.MachineName}, {TorchSharp.torch.get_num_threads()} thread(s)" +
                          (totalEpochs > 0 ? $", {totalEpochs} epoch(s)" : ""));
        return new Sink(job.Id);
    }

    /// <inheritdoc/>
    public void End(JobKey key, JobResult result) => Console.WriteLine($"{job.Id}: {LineProgress.Describe(result)}");

    sealed class Sink(string id) : ITrainingProgress
    {
        bool first = true;

        public void Step(int step, int totalSteps, double loss)
        {
            if (!first) return;
            first = false;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{id}: step {step}/{totalSteps}, loss {loss:F3}"));
        }

        public void Epoch(EpochRecord r, int totalEpochs) =>
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{id}: epoch {r.Epoch}/{totalEpochs}: train loss {r.TrainLoss:F4}, validation accuracy {100 * r.ValidationAccuracy:F2}%, test accuracy {100 * r.TestAccuracy:F2}%, {r.Seconds:F1} s"));
    }
}
