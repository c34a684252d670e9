using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Threading.Tasks;
using NetDsl.Experiments;
using NetDsl.Experiments.Results;
using NetDsl.Experiments.Training;

namespace NetDsl.Experiments.Sweeps;

/// <summary>Exit codes of <c>netdsl job</c>, which the local backend reads.</summary>
public static class JobExit
{
    /// <summary>The job finished now or had finished before.</summary>
    public const int Done = 0;
    /// <summary>The job threw; its result file holds the error.</summary>
    public const int Failed = 1;
    /// <summary>Another process holds the job's lock: nothing ran.</summary>
    public const int Busy = 3;
    /// <summary>A signal stopped it after a step; its checkpoint continues it (EX_TEMPFAIL: try again).</summary>
    public const int Interrupted = 75;
}

/// <summary>
/// Progress of <c>netdsl job --events</c> as JSON lines on standard output, for the process that started it:
/// <c>{"event":"begin","epochs":3}</c>, <c>{"event":"step","step":12,"total":50,"loss":2.1}</c> (the first, then at most every 0.2 s and the
/// last) and <c>{"event":"epoch","epochs":3,"record":{...}}</c>. The job's result is read from its result file.
/// </summary>
public sealed class EventProgress : IRunProgress
{
    readonly TextWriter output;

    /// <summary>Writes events to <paramref name="output"/>.</summary>
    public EventProgress(TextWriter output) => this.output = output;

    /// <inheritdoc/>
    public ITrainingProgress? Begin(JobKey job, int totalEpochs)
    {
        Write(new Dictionary<string, object?> { ["event"] = "begin", ["epochs"] = totalEpochs });
        return new Sink(this);
    }

    /// <inheritdoc/>
    public void End(JobKey job, JobResult result) { }

    void Write(Dictionary<string, object?> e)
    {
        lock (output)
        {
            output.WriteLine(JsonSerializer.Serialize(e, RunResults.Json).ReplaceLineEndings(""));
            output.Flush();
        }
    }

    sealed class Sink(EventProgress owner) : ITrainingProgress
    {
        readonly Stopwatch since = Stopwatch.StartNew();
        bool first = true;

        public void Step(int step, int totalSteps, double loss)
        {
            if (!first && since.ElapsedMilliseconds < 200 && step != totalSteps) return;
            first = false;
            since.Restart();
            owner.Write(new() { ["event"] = "step", ["step"] = step, ["total"] = totalSteps, ["loss"] = loss });
        }

        public void Epoch(EpochRecord record, int totalEpochs) =>
            owner.Write(new() { ["event"] = "epoch", ["epochs"] = totalEpochs, ["record"] = record });
    }
}

/// <summary>
/// The local backend: a plan's jobs in up to N child processes at once (<c>netdsl job FOLDER k --events</c>), each with its
/// share of the cores (the plan's threads per job), their progress relayed to one display. A stop (Ctrl+C, SIGTERM) reaches
/// every child, which checkpoints after its step and exits.
/// </summary>
public static class LocalJobs
{
    /// <summary>Runs <paramref name="jobs"/> with at most <paramref name="parallel"/> at once; returns each job's outcome, in
    /// the order they ended. Jobs not started because of a stop are left out.</summary>
    /// <param name="sweep">The run folder.</param>
    /// <param name="jobs">Jobs of its plan.</param>
    /// <param name="parallel">Child processes at once, at least 1.</param>
    /// <param name="progress">The display.</param>
    /// <param name="stop">Whether the parent was asked to stop (a signal): no new job starts, running ones are told to stop.</param>
    /// <param name="command">The netdsl command to start (<see cref="Slurm.Command"/> by default).</param>
    public static List<JobOutcome> Run(Sweep sweep, IReadOnlyList<PlannedJob> jobs, int parallel, IRunProgress? progress, Func<bool> stop, IReadOnlyList<string>? command = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parallel, 1);
        command ??= Slurm.Command();
        var keys = sweep.Resolve().Keys;
        var pending = new Queue<PlannedJob>(jobs);
        var running = new Dictionary<Task, (PlannedJob Job, Process Process)>();
        var outcomes = new List<JobOutcome>();
        var told = false;
        while (pending.Count > 0 || running.Count > 0)
        {
            while (!stop() && pending.Count > 0 && running.Count < parallel)
            {
                var job = pending.Dequeue();
                var process = Start(command, sweep, job);
                running[Task.Run(() => Relay(sweep, job, keys[job.Id], process, progress))] = (job, process);
            }
            if (running.Count == 0) break;
            if (stop() && !told)
            {
                // Ctrl+C reaches the children from the terminal already; a SIGTERM sent to this process alone must be passed on.
                foreach (var (_, p) in running.Values) Terminate(p);
                told = true;
            }
            var finished = Task.WhenAny(running.Keys).Wait(500) ? running.Keys.First(t => t.IsCompleted) : null;
            if (finished is null) continue;
            running.Remove(finished, out var entry);
            outcomes.Add(((Task<JobOutcome>)finished).Result);
            entry.Process.Dispose();
        }
        return outcomes;
    }

    static Process Start(IReadOnlyList<string> command, Sweep sweep, PlannedJob job)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in command.Skip(1)) start.ArgumentList.Add(a);
        foreach (var a in new[] { "job", sweep.Folder, job.Index.ToString(CultureInfo.InvariantCulture), "--events" }) start.ArgumentList.Add(a);
        start.Environment["OMP_WAIT_POLICY"] = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "PASSIVE";
        return Process.Start(start) ?? throw new IOException($"could not start {command[0]}");
    }

    static JobOutcome Relay(Sweep sweep, PlannedJob job, JobKey key, Process process, IRunProgress? progress)
    {
        var errors = new Queue<string>();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (errors)
            {
                errors.Enqueue(e.Data);
                if (errors.Count > 20) errors.Dequeue();
            }
        };
        process.BeginErrorReadLine();
        ITrainingProgress? sink = null;
        while (process.StandardOutput.ReadLine() is { } line)
        {
            try
            {
                using var document = JsonDocument.Parse(line);
                var e = document.RootElement;
                switch (e.GetProperty("event").GetString())
                {
                    case "begin":
                        sink = progress?.Begin(key, e.GetProperty("epochs").GetInt32());
                        break;
                    case "step":
                        sink?.Step(e.GetProperty("step").GetInt32(), e.GetProperty("total").GetInt32(), e.GetProperty("loss").GetDouble());
                        break;
                    case "epoch":
                        sink?.Epoch(e.GetProperty("record").Deserialize<EpochRecord>(RunResults.Json)!, e.GetProperty("epochs").GetInt32());
                        break;
                }
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                // Not an event (a library writing to stdout): not progress, nothing to relay.
            }
        }
        process.WaitForExit();
        string Tail() { lock (errors) return string.Join(" | ", errors.Where(l => l.Trim().Length > 0).TakeLast(3)); }
        var shard = sweep.ReadShard(job, out _);
        JobOutcome outcome = process.ExitCode switch
        {
            JobExit.Done when shard is { State: ShardState.Done } => new(JobOutcomeKind.Done, shard, $"{job.Id}: done"),
            JobExit.Failed when shard is { State: ShardState.Failed } => new(JobOutcomeKind.Failed, shard, $"{job.Id}: failed: {shard.Error}"),
            JobExit.Interrupted => new(JobOutcomeKind.Interrupted, null, $"{job.Id}: stopped; its checkpoint continues it"),
            JobExit.Busy => new(JobOutcomeKind.Busy, null, $"{job.Id}: another process runs it"),
            var code => new(JobOutcomeKind.Failed, shard, $"{job.Id}: its process ended with {Describe(code)}{(Tail() is { Length: > 0 } t ? $": {t}" : "")}"),
        };
        if (outcome.Kind == JobOutcomeKind.Done) progress?.End(key, shard!.Result!);
        else if (outcome.Kind is JobOutcomeKind.Failed or JobOutcomeKind.Interrupted) progress?.Failed(key, outcome.Detail);
        return outcome;
    }

    static string Describe(int code) => code > 128 ? $"signal {code - 128} (exit code {code})" : $"exit code {code}";

    static void Terminate(Process process)
    {
        try
        {
            if (!process.HasExited && !OperatingSystem.IsWindows()) kill(process.Id, 15);
        }
        catch (InvalidOperationException) { }
    }

    [DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int signal);
}
