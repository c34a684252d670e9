using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using NetDsl.Experiments.Results;

namespace NetDsl.Experiments.Sweeps;

/// <summary>What the Slurm backend asks of the cluster for each job (one array task per job) and how it runs them.</summary>
public sealed record SlurmOptions
{
    /// <summary><c>--partition</c>, or null for the cluster's default.</summary>
    public string? Partition { get; init; }
    /// <summary><c>--time</c> per job (<c>HH:MM:SS</c>, <c>D-HH:MM:SS</c>, minutes), or null for the partition's default.</summary>
    public string? Time { get; init; }
    /// <summary><c>--mem</c> per job (<c>4G</c>), or null for the partition's default.</summary>
    public string? Memory { get; init; }
    /// <summary><c>--cpus-per-task</c>; null: the plan's threads per job.</summary>
    public int? CpusPerTask { get; init; }
    /// <summary>At most this many tasks at once (<c>--array=...%M</c>), or null for no limit.</summary>
    public int? MaxRunning { get; init; }
    /// <summary>Further <c>sbatch</c> arguments passed through unchanged to both submissions (<c>--account=lab</c>, <c>--qos=long</c>).</summary>
    public List<string> Extra { get; init; } = new();
    /// <summary>The netdsl the tasks run (a published binary in a shared folder, or a <c>NetDsl.Cli.dll</c>); null: this one.</summary>
    public string? Binary { get; init; }
    /// <summary>Seconds before the time limit at which Slurm sends SIGUSR1 (<c>--signal=B:USR1@s</c>): the task checkpoints after its
    /// current step and requeues itself.</summary>
    public int SignalSeconds { get; init; } = 120;
}

/// <summary>A task of this plan in Slurm's queue.</summary>
/// <param name="JobId">Slurm's id (<c>123_4</c> for array task 4 of job 123).</param>
/// <param name="State">Slurm's state (<c>PENDING</c>, <c>RUNNING</c>, ...).</param>
/// <param name="Node">The node it runs on.</param>
/// <param name="Reason">Why it waits (<c>Resources</c>, <c>Dependency</c>, ...).</param>
public sealed record QueuedTask(string JobId, string State, string Node, string Reason);

/// <summary>One submission to Slurm, as <c>slurm/submissions.json</c> records it.</summary>
/// <param name="SubmittedUtc">When.</param>
/// <param name="ArrayJob">The array job's id.</param>
/// <param name="ReportJob">The report job's id (runs after the array, whatever its tasks' outcome).</param>
/// <param name="Indices">The plan's job indices submitted (the array task ids).</param>
/// <param name="Options">The options used (the next <c>netdsl submit</c> starts from them).</param>
/// <param name="Commands">The two sbatch command lines.</param>
public sealed record SlurmSubmission(DateTime SubmittedUtc, string ArrayJob, string ReportJob, List<int> Indices, SlurmOptions Options, List<string> Commands);

/// <summary>
/// The Slurm backend: one job array over a plan's jobs (task k runs job k, <c>netdsl job FOLDER k</c>), then a report job
/// that depends on the array (<c>--dependency=afterany:</c>) and merges whatever finished; Slurm's queue for status. Uses
/// Slurm's own commands (<c>sbatch</c>, <c>squeue</c>, <c>sacct</c>, <c>scontrol</c>), no scheduler of its own.
/// </summary>
public static class Slurm
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The job name of the plan's array tasks (<c>netdsl-&lt;plan id&gt;</c>): how the queue is read for this plan only.</summary>
    public static string JobName(Sweep sweep) => $"netdsl-{sweep.PlanId[..8]}";

    /// <summary>Folder of the scripts, logs and submission record.</summary>
    public static string FolderOf(Sweep sweep) => Path.Combine(sweep.Folder, "slurm");

    /// <summary>Whether Slurm's client answers here; <paramref name="why"/> says why not.</summary>
    public static bool Available(out string why)
    {
        var (code, output, error) = Run("sbatch", ["--version"]);
        why = code == 0 ? "" : code == -1 ? "sbatch is not installed here (no Slurm client on PATH)" : $"sbatch --version failed: {LastLine(error + output)}";
        return code == 0;
    }

    /// <summary>The submissions made for this plan so far, oldest first.</summary>
    public static List<SlurmSubmission> Submissions(Sweep sweep)
    {
        var path = Path.Combine(FolderOf(sweep), "submissions.json");
        if (!File.Exists(path)) return new();
        try { return JsonSerializer.Deserialize<List<SlurmSubmission>>(File.ReadAllBytes(path), RunResults.Json) ?? new(); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: unreadable ({e.Message.Split('.')[0]}); remove it (it only records earlier submissions)", e); }
    }

    /// <summary>
    /// Submits <paramref name="jobs"/> of the plan as one job array (task id = job index) and a report job after it. Writes the
    /// array's and the report's scripts into <c>slurm/</c>, logs go to <c>slurm/logs/&lt;array job&gt;_&lt;task&gt;.out</c>.
    /// </summary>
    /// <exception cref="UsageException">sbatch is missing or refuses the submission (its message is passed on), or options that cannot work.</exception>
    public static SlurmSubmission Submit(Sweep sweep, IReadOnlyList<PlannedJob> jobs, SlurmOptions options)
    {
        if (jobs.Count == 0) throw new UsageException("no jobs to submit");
        if (!Available(out var why)) throw new UsageException($"cannot submit to Slurm: {why}; run the jobs here with `netdsl compare --jobs N`, or submit from a Slurm login node");
        var threads = sweep.Plan.Settings.Threads;
        var cpus = options.CpusPerTask ?? threads;
        if (cpus < threads)
            throw new UsageException($"--cpus-per-task {cpus} is fewer than the plan's {threads} threads per job (results depend on the thread count, so the plan fixes it); ask for at least {threads}");
        if (options.MaxRunning is < 1) throw new UsageException($"--max-running must be at least 1 (got {options.MaxRunning})");
        var binary = Command(options.Binary);
        var folder = FolderOf(sweep);
        Directory.CreateDirectory(Path.Combine(folder, "logs"));

        var common = new List<string>();
        if (options.Partition is { } p) common.Add($"--partition={p}");
        if (options.Time is { } t) common.Add($"--time={t}");
        if (options.Memory is { } m) common.Add($"--mem={m}");
        var name = JobName(sweep);
        var arrayScript = Path.Combine(folder, "jobs.sbatch");
        var spec = ArraySpec(jobs.Select(j => j.Index)) + (options.MaxRunning is { } max ? $"%{max.ToString(Inv)}" : "");
        List<string> arrayArgs =
        [
            "--parsable", $"--job-name={name}", $"--array={spec}", $"--cpus-per-task={cpus.ToString(Inv)}",
            $"--output={Path.Combine(folder, "logs", "%A_%a.out")}", "--open-mode=append", "--requeue",
            $"--signal=B:USR1@{options.SignalSeconds.ToString(Inv)}", $"--chdir={sweep.Folder}", .. common, .. options.Extra, arrayScript,
        ];
        WriteScript(arrayScript, [
            $"# The jobs of {sweep.Folder}/plan.json as a Slurm job array, written by {RunPlan.ToolVersion}: array task k runs the plan's job k.",
            "# A task that finds its job done does nothing; an interrupted one continues from its checkpoint. Submit unfinished jobs again",
            $"# with `netdsl submit {Quote(sweep.Folder)}`. Submitted as:",
            $"#   sbatch {string.Join(" ", arrayArgs.Select(Quote))}",
            "# SIGUSR1 (--signal, before the time limit): the task checkpoints after its step and requeues itself; SIGTERM (scancel,",
            "# preemption): it checkpoints and exits, and Slurm requeues it on preemption (--requeue).",
            "export OMP_WAIT_POLICY=\"${OMP_WAIT_POLICY:-PASSIVE}\"",
            $"exec {string.Join(" ", binary.Select(Quote))} job {Quote(sweep.Folder)} \"$SLURM_ARRAY_TASK_ID\"",
        ]);
        var arrayJob = SubmitOne(arrayArgs);

        var reportScript = Path.Combine(folder, "report.sbatch");
        List<string> reportArgs =
        [
            "--parsable", $"--job-name={name}-report", $"--dependency=afterany:{arrayJob}", "--cpus-per-task=1",
            $"--output={Path.Combine(folder, "logs", "report-%j.out")}", $"--chdir={sweep.Folder}", .. common, .. options.Extra, reportScript,
        ];
        WriteScript(reportScript, [
            $"# Merges the results of {sweep.Folder}'s jobs into results.json and the report once array job {arrayJob} has ended",
            "# (afterany: finished, failed or cancelled tasks alike; the report lists every job without a result). Submitted as:",
            $"#   sbatch {string.Join(" ", reportArgs.Select(Quote))}",
            $"exec {string.Join(" ", binary.Select(Quote))} report {Quote(sweep.Folder)}",
        ]);
        var reportJob = SubmitOne(reportArgs);

        var submission = new SlurmSubmission(DateTime.UtcNow, arrayJob, reportJob, jobs.Select(j => j.Index).ToList(), options with { CpusPerTask = cpus },
            [$"sbatch {string.Join(" ", arrayArgs.Select(Quote))}", $"sbatch {string.Join(" ", reportArgs.Select(Quote))}"]);
        var all = Submissions(sweep);
        all.Add(submission);
        var bytes = JsonSerializer.SerializeToUtf8Bytes(all, RunResults.Json);
        Training.Checkpoint.WriteAtomically(Path.Combine(folder, "submissions.json"), w => w.Write(bytes));
        return submission;
    }

    static string SubmitOne(List<string> args)
    {
        var (code, output, error) = Run("sbatch", args);
        var id = output.Trim().Split(';')[0];
        if (code != 0 || id.Length == 0 || !id.All(char.IsAsciiDigit))
            throw new UsageException($"sbatch refused the submission: {LastLine(error + output)}");
        return id;
    }

    static void WriteScript(string path, IEnumerable<string> lines) =>
        File.WriteAllText(path, "#!/bin/bash\n" + string.Join("\n", lines) + "\n");

    /// <summary>
    /// This plan's tasks in Slurm's queue, by job index; null when Slurm's queue cannot be read here (no <c>squeue</c>, or no
    /// controller answers), <paramref name="why"/> then says why.
    /// </summary>
    public static Dictionary<int, QueuedTask>? Queue(Sweep sweep, out string why)
    {
        var (code, output, error) = Run("squeue", ["-h", "-r", $"--name={JobName(sweep)}", "-o", "%i|%T|%N|%r"]);
        why = code == -1 ? "squeue is not installed here" : code != 0 ? $"squeue failed: {LastLine(error + output)}" : "";
        if (code != 0) return null;
        var queue = new Dictionary<int, QueuedTask>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Trim().Split('|');
            if (f.Length < 4) continue;
            var underscore = f[0].IndexOf('_');
            if (underscore > 0 && int.TryParse(f[0][(underscore + 1)..], NumberStyles.None, Inv, out var index))
                queue[index] = new QueuedTask(f[0], f[1], f[2], f[3]);
        }
        return queue;
    }

    /// <summary>
    /// What Slurm's accounting recorded for this plan's tasks (the last record of each job index: state and exit code, such as
    /// <c>OUT_OF_MEMORY 0:125</c>); null when accounting is not there (<c>AccountingStorageType=accounting_storage/none</c>
    /// keeps no history), <paramref name="why"/> then says why.
    /// </summary>
    public static Dictionary<int, string>? History(Sweep sweep, out string why)
    {
        var (code, output, error) = Run("sacct", ["-n", "-P", "-X", $"--name={JobName(sweep)}", "-o", "JobID,State,ExitCode"]);
        why = code == -1 ? "sacct is not installed here" : code != 0 ? LastLine(error + output) : "";
        if (code != 0) return null;
        var history = new Dictionary<int, string>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Trim().Split('|');
            var underscore = f[0].IndexOf('_');
            if (f.Length >= 3 && underscore > 0 && int.TryParse(f[0][(underscore + 1)..], NumberStyles.None, Inv, out var index))
                history[index] = $"{f[1]} (exit {f[2]})";
        }
        return history;
    }

    /// <summary>Asks Slurm to requeue the job this process runs in (after a time-limit warning); false outside Slurm or when refused.</summary>
    public static bool RequeueThisJob(out string message)
    {
        var id = Environment.GetEnvironmentVariable("SLURM_JOB_ID");
        if (string.IsNullOrEmpty(id)) { message = "not in a Slurm job"; return false; }
        var (code, output, error) = Run("scontrol", ["requeue", id]);
        message = code == 0 ? $"requeued Slurm job {id}" : $"scontrol requeue {id} failed: {LastLine(error + output)}";
        return code == 0;
    }

    /// <summary>The tool's assembly, run under <c>dotnet</c> when this process is <c>dotnet</c> itself.</summary>
    public const string ToolDll = "NetDsl.Cli.dll";

    /// <summary>
    /// The command that runs netdsl: <paramref name="binary"/> when given (a <c>.dll</c> runs under this process's <c>dotnet</c>),
    /// else this process's own binary (its apphost, or <c>dotnet NetDsl.Cli.dll</c>).
    /// </summary>
    /// <exception cref="UsageException"><paramref name="binary"/> does not exist, or none is given and this process is <c>dotnet</c>
    /// without <see cref="ToolDll"/> next to it.</exception>
    public static List<string> Command(string? binary = null)
    {
        var dotnet = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        if (binary is not null)
        {
            var full = Path.GetFullPath(binary);
            if (!File.Exists(full)) throw new UsageException($"--binary '{binary}' does not exist; give the published netdsl (`dotnet publish src/NetDsl.Cli ... -o <shared folder>`), as the compute nodes see it");
            return full.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? [dotnet, full] : [full];
        }
        var self = Environment.ProcessPath;
        // Under `dotnet NetDsl.Cli.dll`, `dotnet run` or a test host, the process is dotnet itself: run the tool's dll, which sits
        // next to this engine's (NetDsl.Experiments.dll) wherever netdsl runs.
        var dll = Path.Combine(AppContext.BaseDirectory, ToolDll);
        return self is null || Path.GetFileNameWithoutExtension(self) == "dotnet" || Path.GetFileNameWithoutExtension(self).StartsWith("testhost", StringComparison.Ordinal)
            ? File.Exists(dll) ? [dotnet, dll] : throw new UsageException($"jobs in other processes run netdsl, and '{dll}' is not there; run the jobs in this process (one at a time), or give the published netdsl (--binary)")
            : [self];
    }

    /// <summary>Job indices as Slurm's <c>--array</c> list: runs of consecutive indices as ranges (<c>0-3,7,9-10</c>).</summary>
    public static string ArraySpec(IEnumerable<int> indices)
    {
        var sorted = indices.Distinct().Order().ToList();
        var parts = new List<string>();
        for (var i = 0; i < sorted.Count;)
        {
            var j = i;
            while (j + 1 < sorted.Count && sorted[j + 1] == sorted[j] + 1) j++;
            parts.Add(i == j ? sorted[i].ToString(Inv) : $"{sorted[i].ToString(Inv)}-{sorted[j].ToString(Inv)}");
            i = j + 1;
        }
        return string.Join(",", parts);
    }

    /// <summary>A word for the POSIX shell: unchanged when it holds only safe characters, else in single quotes (a quote inside as <c>'\''</c>).</summary>
    public static string Quote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,@%+".Contains(c)) ? word : "'" + word.Replace("'", "'\\''") + "'";

    /// <summary>The last non-empty line of a Slurm command's output: its error (Slurm prints the cause last, as <c>fatal:</c>).</summary>
    static string LastLine(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "(no output)";

    /// <summary>Runs a Slurm command; exit code -1 when it is not installed.</summary>
    internal static (int Code, string Output, string Error) Run(string file, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        try
        {
            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(60_000))
            {
                process.Kill();
                return (1, output, $"{file} did not answer in 60 s");
            }
            return (process.ExitCode, output, error.Result);
        }
        catch (System.ComponentModel.Win32Exception) { return (-1, "", $"{file} not found"); }
    }
}
