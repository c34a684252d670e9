using System;
using System.IO;
using System.Linq;
using NetDsl.Experiments.Results;
using NetDsl.Experiments.Sweeps;
using NetDsl.Experiments.Training;
using Xunit;

namespace NetDsl.Cli.Tests;

/// <summary>
/// The Slurm backend against a real single-node cluster (Debian's slurm-wlm; <see cref="SlurmCluster"/>): the tiny sweep
/// submitted through sbatch as a job array with a report job after it, and a task cancelled mid-run and resubmitted. Both
/// must give the local run's numbers exactly.
/// </summary>
[Collection("sweep")]
public sealed class SlurmTests(SweepFixture sweep)
{
    const double Patience = 240;   // seconds for a whole sweep under Slurm on a busy 2-core machine (measured: about 20-40)

    /// <summary>The array job and report job ids printed by compare --slurm / submit.</summary>
    static (string Array, string Report) Submitted(string output)
    {
        var line = output.Split('\n').Single(l => l.StartsWith("submitted ", StringComparison.Ordinal));
        string After(string word) => new string(line[(line.IndexOf(word, StringComparison.Ordinal) + word.Length)..].TakeWhile(char.IsAsciiDigit).ToArray());
        return (After("array job "), After("report job "));
    }

    static string Logs(string folder) =>
        string.Join("\n", Directory.GetFiles(Path.Combine(folder, "slurm", "logs")).Order().Select(f => $"--- {Path.GetFileName(f)}\n{File.ReadAllText(f)}"));

    [SkippableFact]
    public void A_sweep_submitted_through_sbatch_gives_the_local_numbers()
    {
        Skip.If(sweep.Cluster.SkipReason is not null, sweep.Cluster.SkipReason);
        var folder = Path.Combine(sweep.Root, "slurm-run");
        var (code, output, error) = Cli.Run(SweepFixture.Args(folder, "--slurm", "--max-running", "2"));
        Assert.True(code == 0, error + output);
        var (array, report) = Submitted(output);
        Assert.Contains("submitted 4 job(s) to Slurm as array job", output);
        Assert.Contains("(tasks 0-3, at most 2 at once, 1 cpu(s) each)", output);
        var script = File.ReadAllText(Path.Combine(folder, "slurm", "jobs.sbatch"));
        Assert.Contains("--array=0-3%2 --cpus-per-task=1", script);
        Assert.Contains($"job {folder} \"$SLURM_ARRAY_TASK_ID\"", script);
        Assert.Contains($"--dependency=afterany:{array}", File.ReadAllText(Path.Combine(folder, "slurm", "report.sbatch")));

        Cli.WaitUntil(() => SlurmCluster.Queued(array, report).Count == 0, Patience, () => $"the array and report jobs are still queued\n{Logs(folder)}");
        Assert.True(File.Exists(Path.Combine(folder, "index.html")), $"the report job wrote no report\n{Logs(folder)}");
        var merged = RunResults.Load(Path.Combine(folder, "results.json"));
        Assert.Empty(merged.Incomplete);
        SameNumbers.Assert(sweep.Reference, merged);
        // Each job ran as its own array task.
        var runFolder = Sweep.Open(folder);
        Assert.Equal(Enumerable.Range(0, 4).Select(i => $"{array}_{i}"), runFolder.Plan.Jobs.Select(j => runFolder.ReadShard(j, out _)!.SlurmJob));
        var status = Cli.Run("status", folder).Out;
        Assert.Contains("4 jobs: 4 done", status);
        Assert.True(status.Contains($"Slurm {array}_3 on ", StringComparison.Ordinal), status);
    }

    [SkippableFact]
    public void A_task_cancelled_mid_run_and_resubmitted_continues_from_its_checkpoint_with_the_same_numbers()
    {
        Skip.If(sweep.Cluster.SkipReason is not null, sweep.Cluster.SkipReason);
        var folder = Path.Combine(sweep.Root, "slurm-cancel");
        var (code, output, error) = Cli.Run(SweepFixture.Args(folder, "--slurm"));
        Assert.True(code == 0, error + output);
        var (array, report) = Submitted(output);

        // Task 1: wait for its first step, freeze it (SIGSTOP) so that the cancel surely lands mid-epoch, then scancel it: Slurm
        // sends SIGCONT and SIGTERM, the job finishes its step, checkpoints and exits.
        var log = Path.Combine(folder, "slurm", "logs", $"{array}_1.out");
        Cli.WaitUntil(() => File.Exists(log) && File.ReadAllText(log).Contains("step 1/23", StringComparison.Ordinal), Patience, () => $"task 1 never started training\n{Logs(folder)}");
        var pid = int.Parse(File.ReadAllText(log).Split("pid ")[1].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        Cli.kill(pid, Cli.SIGSTOP);
        Assert.Equal(0, Cli.Exec("scancel", $"{array}_1").Code);
        Cli.WaitUntil(() => SlurmCluster.Queued(array, report).Count == 0, Patience, () => $"the first submission is still queued\n{Logs(folder)}");
        Assert.Contains("SIGTERM: stopping after the current step with a checkpoint", File.ReadAllText(log));
        var job = Sweep.Open(folder).Plan.Jobs[1];
        var position = Checkpoint.Peek(Path.Combine(folder, "checkpoints", job.Id + ".ckpt"))?.Position;
        Assert.True(position is { Epoch: 1, Steps: >= 1 and < 23 }, $"no checkpoint within the epoch: {position}\n{Logs(folder)}");
        // The report job ran after the array all the same (afterany) and lists the cancelled job, not silently dropping it.
        var partial = RunResults.Load(Path.Combine(folder, "results.json"));
        Assert.Equal([(job.Id, "interrupted")], partial.Incomplete.Select(j => (j.Id, j.State)));
        Assert.Contains("1 interrupted", Cli.Run("status", folder).Out);

        // Resubmitted: only the interrupted job goes, and it continues from its checkpoint's step.
        var (again, resubmitted, againError) = Cli.Run("submit", folder);
        Assert.True(again == 0, againError);
        Assert.Contains("submitted 1 job(s) to Slurm as array job", resubmitted);
        Assert.Contains("(tasks 1, 1 cpu(s) each)", resubmitted);
        var (array2, report2) = Submitted(resubmitted);
        Cli.WaitUntil(() => SlurmCluster.Queued(array2, report2).Count == 0, Patience, () => $"the resubmission is still queued\n{Logs(folder)}");
        Assert.Contains($"step {position!.Steps + 1}/23", File.ReadAllText(Path.Combine(folder, "slurm", "logs", $"{array2}_1.out")));
        var merged = RunResults.Load(Path.Combine(folder, "results.json"));
        Assert.Empty(merged.Incomplete);
        SameNumbers.Assert(sweep.Reference, merged);
        Assert.Contains("nothing to submit: 4 done", Cli.Run("submit", folder).Out);
    }
}
