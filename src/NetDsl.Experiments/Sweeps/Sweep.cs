using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using NetDsl.Experiments.Data;
using NetDsl.Experiments;
using NetDsl.Experiments.Results;
using NetDsl.Experiments.Training;

namespace NetDsl.Experiments.Sweeps;

/// <summary>How a job's run ended, as its result file records it.</summary>
public enum ShardState
{
    /// <summary>It finished (a diverged run is finished too: its result says where the loss became non-finite).</summary>
    Done,
    /// <summary>It threw; <see cref="JobShard.Error"/> says what. Running it again starts over from its checkpoint.</summary>
    Failed,
}

/// <summary>
/// A job's result file, <c>jobs/&lt;id&gt;.json</c>: the job's <see cref="JobResult"/> or its error, with where, when and by
/// which netdsl it ran. Written atomically by the process that ran the job and by nothing else.
/// </summary>
public sealed class JobShard
{
    /// <summary>The format this netdsl writes.</summary>
    public const int CurrentFormat = 1;

    /// <summary>Format version.</summary>
    public int FormatVersion { get; set; } = CurrentFormat;
    /// <summary>The id of the plan the job belongs to (<see cref="RunPlan.IdOf"/>).</summary>
    public string PlanId { get; set; } = "";
    /// <summary>The job.</summary>
    public PlannedJob? Job { get; set; }
    /// <summary>Finished or failed.</summary>
    public ShardState State { get; set; }
    /// <summary>A failed job's error, one line.</summary>
    public string? Error { get; set; }
    /// <summary>A failed job's exception with its stack trace.</summary>
    public string? ErrorDetail { get; set; }
    /// <summary>The netdsl that ran it.</summary>
    public string Tool { get; set; } = "";
    /// <summary>Host name of the machine that ran it.</summary>
    public string Host { get; set; } = "";
    /// <summary>Its process id there.</summary>
    public int ProcessId { get; set; }
    /// <summary>The Slurm job (<c>&lt;array job&gt;_&lt;task&gt;</c>), or null outside Slurm.</summary>
    public string? SlurmJob { get; set; }
    /// <summary>LibTorch threads it used.</summary>
    public int Threads { get; set; }
    /// <summary>When its last session started, UTC (earlier sessions of a resumed job are in <see cref="JobResult.Seconds"/>).</summary>
    public DateTime StartedUtc { get; set; }
    /// <summary>When it ended, UTC.</summary>
    public DateTime FinishedUtc { get; set; }
    /// <summary>What it measured (null when it failed).</summary>
    public JobResult? Result { get; set; }
}

/// <summary>What running one job in this process came to.</summary>
public enum JobOutcomeKind
{
    /// <summary>It ran to the end and wrote its result.</summary>
    Done,
    /// <summary>Its result was there already: nothing ran.</summary>
    AlreadyDone,
    /// <summary>It threw; its result file holds the error.</summary>
    Failed,
    /// <summary>A stop signal ended it after a step; its checkpoint continues it.</summary>
    Interrupted,
    /// <summary>Another process runs it right now (it holds the job's lock): nothing ran.</summary>
    Busy,
}

/// <summary>The outcome of <see cref="Sweep.Execute"/>.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Shard">The job's result file (done, already done or failed), else null.</param>
/// <param name="Message">One line for the user.</param>
public sealed record JobOutcome(JobOutcomeKind Kind, JobShard? Shard, string Message)
{
    /// <summary><see cref="Message"/> without the job id it starts with (for displays that name the job already).</summary>
    public string Detail => Message.IndexOf(": ", StringComparison.Ordinal) is var colon and > 0 && !Message[..colon].Contains(' ', StringComparison.Ordinal)
        ? Message[(colon + 2)..] : Message;
}

/// <summary>
/// A run folder: its plan and the files of its jobs. <c>plan.json</c>; per job <c>jobs/&lt;id&gt;.json</c> (its result),
/// <c>checkpoints/&lt;id&gt;.ckpt</c>, and while it runs <c>jobs/&lt;id&gt;.lock</c> (held; removed once the job is done) and <c>jobs/&lt;id&gt;.running</c>
/// (who runs it); <c>slurm/</c> for the scripts and logs of Slurm submissions. Every job touches only its own files, so any
/// number of processes on any number of machines can run the jobs of one folder.
/// </summary>
public sealed class Sweep
{
    Runner? runner;
    (RunSpec Spec, IReadOnlyDictionary<string, JobKey> Keys)? resolved;

    Sweep(string folder, RunPlan plan, string planId) => (Folder, Plan, PlanId) = (folder, plan, planId);

    /// <summary>The run folder (absolute).</summary>
    public string Folder { get; }
    /// <summary>Its plan.</summary>
    public RunPlan Plan { get; }
    /// <summary>The plan's id.</summary>
    public string PlanId { get; }

    /// <summary>Opens the run folder <paramref name="folder"/>.</summary>
    /// <exception cref="FileNotFoundException">No plan in it.</exception>
    /// <exception cref="InvalidDataException">A plan this netdsl cannot read.</exception>
    public static Sweep Open(string folder)
    {
        var full = Path.GetFullPath(folder);
        var (plan, id) = RunPlan.Load(full);
        return new Sweep(full, plan, id);
    }

    /// <summary>Writes <paramref name="plan"/> into <paramref name="folder"/> (which must not hold one) and opens it.</summary>
    /// <exception cref="IOException">The folder is not writable.</exception>
    public static Sweep Create(string folder, RunPlan plan)
    {
        var full = Path.GetFullPath(folder);
        Directory.CreateDirectory(full);
        var id = plan.Save(full);
        return new Sweep(full, plan, id);
    }

    /// <summary>Folder of the jobs' result files.</summary>
    public string JobsFolder => Path.Combine(Folder, "jobs");
    /// <summary>Folder of the jobs' checkpoints.</summary>
    public string CheckpointsFolder => Path.Combine(Folder, "checkpoints");
    /// <summary>A job's result file.</summary>
    public string ShardPath(PlannedJob job) => Path.Combine(JobsFolder, job.Id + ".json");
    /// <summary>A job's checkpoint.</summary>
    public string CheckpointPath(PlannedJob job) => Path.Combine(CheckpointsFolder, job.Id + ".ckpt");
    string LockPath(PlannedJob job) => Path.Combine(JobsFolder, job.Id + ".lock");
    /// <summary>While a job runs: who runs it (host, process, Slurm job, start), one line.</summary>
    public string RunningPath(PlannedJob job) => Path.Combine(JobsFolder, job.Id + ".running");

    /// <summary>
    /// Gives the run's spec from this process (the <see cref="Comparison"/> that wrote or opened the plan), so that its jobs run from
    /// the variants in memory instead of the plan's <see cref="RunPlan.Source"/>: a program's variants exist only in that program.
    /// </summary>
    /// <exception cref="InvalidDataException">The spec plans other jobs than the plan.</exception>
    internal void Provide(RunSpec spec)
    {
        var keys = spec.Jobs().ToDictionary(k => k.Id);
        if (keys.Count != Plan.Jobs.Count || Plan.Jobs.Any(j => !keys.ContainsKey(j.Id)))
            throw new InvalidDataException($"{Path.Combine(Folder, RunPlan.FileName)} plans other jobs than these options ({Plan.Jobs.Count} jobs, {Plan.Jobs[0].Id}, ...)");
        resolved = (spec, keys);
        runner = null;
    }

    /// <summary>The run's spec and job keys, rebuilt from the plan (or given by <see cref="Provide"/>).</summary>
    /// <exception cref="InvalidDataException">See <see cref="RunPlan.Resolve"/>.</exception>
    public (RunSpec Spec, IReadOnlyDictionary<string, JobKey> Keys) Resolve() => resolved ??= Plan.Resolve();

    /// <summary>
    /// The runner that executes this folder's jobs in this process: the plan's data (loaded and checked against the plan's
    /// checksum unless <paramref name="data"/> is given), checkpoints in <see cref="CheckpointsFolder"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">The data cannot be read or differs from the plan's.</exception>
    public Runner Runner(Dataset? data = null) => runner ??= new Runner(Resolve().Spec, data ?? Plan.LoadData(), CheckpointsFolder);

    /// <summary>The job's result file, or null when there is none; <paramref name="problem"/> says why a file present was not used
    /// (unreadable, or from another plan).</summary>
    public JobShard? ReadShard(PlannedJob job, out string? problem)
    {
        problem = null;
        var path = ShardPath(job);
        if (!File.Exists(path)) return null;
        JobShard? shard;
        try { shard = JsonSerializer.Deserialize<JobShard>(File.ReadAllBytes(path), RunResults.Json); }
        catch (Exception e) when (e is JsonException or IOException)
        {
            problem = $"{path} is unreadable ({e.Message.Split('.')[0]})";
            return null;
        }
        if (shard is null || shard.Job?.Id != job.Id || shard.FormatVersion != JobShard.CurrentFormat)
        {
            problem = $"{path} is not this job's result file";
            return null;
        }
        if (shard.PlanId != PlanId)
        {
            problem = $"{path} belongs to another plan ({shard.PlanId}, this folder's is {PlanId})";
            return null;
        }
        if (shard.State == ShardState.Done && shard.Result is null)
        {
            problem = $"{path} says done but holds no result";
            return null;
        }
        return shard;
    }

    /// <summary>
    /// Runs <paramref name="job"/> in this process unless its result is there already (then nothing runs): resumes from its
    /// checkpoint, mid-epoch included, and writes its result file. Holds the job's lock meanwhile, so a second process given
    /// the same job does nothing. A stop request (<paramref name="stop"/>) ends it after the current step with a checkpoint.
    /// </summary>
    /// <param name="job">A job of the plan.</param>
    /// <param name="progress">Receives its progress.</param>
    /// <param name="stop">Asked after every step; true stops the job there.</param>
    /// <param name="data">The plan's data when the caller has loaded it already (else it is loaded and checked).</param>
    /// <returns>What happened; a failed job's error is in its result file and in <see cref="JobOutcome.Message"/>.</returns>
    /// <exception cref="InvalidDataException">The plan cannot be run by this netdsl (another version, or variants it does not have).</exception>
    public JobOutcome Execute(PlannedJob job, IRunProgress? progress, Func<bool>? stop = null, Dataset? data = null)
    {
        if (ReadShard(job, out _) is { State: ShardState.Done } done) return new(JobOutcomeKind.AlreadyDone, done, $"{job.Id}: done already");
        if (Plan.Tool != RunPlan.ToolVersion)
            throw new InvalidDataException($"the plan was written by {Plan.Tool} and this is {RunPlan.ToolVersion}; a plan's jobs all run under the netdsl that wrote it (its results must be comparable): run them with that binary, or start a new run");
        var key = Resolve().Keys[job.Id];
        Directory.CreateDirectory(JobsFolder);
        FileStream held;
        // FileShare.None takes an exclusive advisory lock (flock) on Linux and macOS: one process per job, on any machine of a shared folder.
        try { held = new FileStream(LockPath(job), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
        catch (IOException) { return new(JobOutcomeKind.Busy, null, $"{job.Id}: another process runs it ({Describe(RunningPath(job))}); nothing to do"); }
        using (held)
        {
            if (ReadShard(job, out _) is { State: ShardState.Done } finished)
            {
                RemoveLock(job);
                return new(JobOutcomeKind.AlreadyDone, finished, $"{job.Id}: done already");
            }
            var started = DateTime.UtcNow;
            var shard = new JobShard
            {
                PlanId = PlanId, Job = job, Tool = RunPlan.ToolVersion, Host = Environment.MachineName, ProcessId = Environment.ProcessId,
                SlurmJob = SlurmJobOfThisProcess(), Threads = TorchSharp.torch.get_num_threads(), StartedUtc = started,
            };
            File.WriteAllText(RunningPath(job), string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{shard.Host} {shard.ProcessId} {shard.SlurmJob ?? "-"} {started:O}"));
            try
            {
                // Data that cannot be read fails the job (its result file says why) like any other error.
                var run = Runner(data);
                run.StopRequested = stop;
                shard.Result = run.RunJob(key, progress);
                shard.State = ShardState.Done;
            }
            catch (JobInterruptedException e)
            {
                return new(JobOutcomeKind.Interrupted, null, $"{job.Id}: {e.Message}");
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                shard.State = ShardState.Failed;
                shard.Error = $"{e.GetType().Name}: {e.Message.Split('\n')[0]}";
                shard.ErrorDetail = e.ToString();
            }
            finally
            {
                if (runner is not null) runner.StopRequested = null;
                File.Delete(RunningPath(job));
            }
            shard.FinishedUtc = DateTime.UtcNow;
            var bytes = JsonSerializer.SerializeToUtf8Bytes(shard, RunResults.Json);
            Checkpoint.WriteAtomically(ShardPath(job), w => w.Write(bytes));
            if (shard.State == ShardState.Done) RemoveLock(job);
            return shard.State == ShardState.Done
                ? new(JobOutcomeKind.Done, shard, $"{job.Id}: done")
                : new(JobOutcomeKind.Failed, shard, $"{job.Id}: failed: {shard.Error}");
        }
    }

    /// <summary>
    /// Deletes a done job's lock file while still holding it. Safe only once the result file says done: a process that opened
    /// the old file before the delete and locks it afterwards, and one that creates a new file, both find the job done. An
    /// unfinished job keeps its lock file, so two processes can never hold different files for a job that still runs.
    /// </summary>
    void RemoveLock(PlannedJob job)
    {
        try { File.Delete(LockPath(job)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // Windows refuses to delete an open file: the lock file stays.
    }

    /// <summary>The Slurm job this process runs in (<c>&lt;array job&gt;_&lt;task&gt;</c> or the job id), or null outside Slurm.</summary>
    public static string? SlurmJobOfThisProcess()
    {
        var (array, task, id) = (Environment.GetEnvironmentVariable("SLURM_ARRAY_JOB_ID"), Environment.GetEnvironmentVariable("SLURM_ARRAY_TASK_ID"), Environment.GetEnvironmentVariable("SLURM_JOB_ID"));
        return !string.IsNullOrEmpty(array) && !string.IsNullOrEmpty(task) ? $"{array}_{task}" : string.IsNullOrEmpty(id) ? null : id;
    }

    /// <summary>Who runs a job, from its <c>.running</c> file: host, process and Slurm job.</summary>
    public static string Describe(string runningFile)
    {
        try
        {
            var parts = File.ReadAllText(runningFile).Split(' ');
            return parts.Length >= 4 ? $"pid {parts[1]} on {parts[0]}{(parts[2] == "-" ? "" : $", Slurm job {parts[2]}")}, since {parts[3]}" : "unknown process";
        }
        catch (IOException) { return "unknown process"; }
    }
}
