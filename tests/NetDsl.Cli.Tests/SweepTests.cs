using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using NetDsl.Experiments.Results;
using NetDsl.Experiments.Sweeps;
using NetDsl.Experiments.Training;
using Xunit;

namespace NetDsl.Cli.Tests;

/// <summary>A run as a plan of independent jobs, run here: the plan, idempotent jobs, child processes, stops, merging.</summary>
[Collection("sweep")]
public sealed class SweepTests(SweepFixture sweep)
{
    static readonly string[] Ids =
    [
        "DepthNet.Residual.BnAfterConv.Depth3.seed0.lr0.05", "DepthNet.Residual.BnAfterConv.Depth3.seed1.lr0.05",
        "DepthNet.Plain.BnAfterConv.Depth3.seed0.lr0.05", "DepthNet.Plain.BnAfterConv.Depth3.seed1.lr0.05",
    ];

    [Fact]
    public void The_plan_lists_every_job_with_a_stable_id_and_the_settings_to_run_it_alone()
    {
        var (plan, id) = RunPlan.Load(sweep.ReferenceFolder);
        Assert.Equal(Ids, plan.Jobs.Select(j => j.Id));
        Assert.Equal([0, 1, 2, 3], plan.Jobs.Select(j => j.Index));
        Assert.Equal(new VariantSource(VariantSource.BuiltIn, "bn-residual"), plan.Source);
        Assert.Equal(RunPlan.ToolVersion, plan.Tool);
        Assert.StartsWith("netdsl 0.1.0", plan.Tool);
        var s = plan.Settings;
        Assert.Equal((1, 16, 1, 400, 361, 39, 200), (s.Epochs, s.BatchSize, s.Threads, s.Subset, s.TrainImages, s.ValidationImages, s.TestImages));
        Assert.Equal([0.05], s.LearningRates);
        Assert.Equal(64, s.DataSha256.Length);
        Assert.True(Path.IsPathRooted(s.DataFolder));
        Assert.Equal(16, id.Length);
        // Rebuilt from the plan alone, as a fresh process does: the same jobs.
        var (spec, keys) = plan.Resolve();
        Assert.Equal(Ids, spec.Jobs().Select(j => j.Id));
        Assert.Equal(Ids.Order(), keys.Keys.Order());
        Assert.Equal(["DepthNet.Residual.BnAfterConv.Depth3", "DepthNet.Plain.BnAfterConv.Depth3"], plan.Variants.Select(v => v.Name));
        Assert.Equal(269_434, plan.Variants[0].Parameters);
        // Every job wrote its result file and its checkpoint, named by its id.
        Assert.Equal(Ids.Order(), Directory.GetFiles(Path.Combine(sweep.ReferenceFolder, "jobs"), "*.json").Select(Path.GetFileNameWithoutExtension).Order());
        Assert.Equal(Ids.Order(), Directory.GetFiles(Path.Combine(sweep.ReferenceFolder, "checkpoints"), "*.ckpt").Select(Path.GetFileNameWithoutExtension).Order());
        // Nothing else is left in the jobs folder: the locks and the "who runs it" files go once a job is done.
        Assert.Equal(Ids.Length, Directory.GetFiles(Path.Combine(sweep.ReferenceFolder, "jobs")).Length);
    }

    [Fact]
    public void A_finished_job_run_again_does_nothing()
    {
        var shard = Path.Combine(sweep.ReferenceFolder, "jobs", Ids[2] + ".json");
        var checkpoint = Path.Combine(sweep.ReferenceFolder, "checkpoints", Ids[2] + ".ckpt");
        var (bytes, written) = (File.ReadAllBytes(shard), File.GetLastWriteTimeUtc(checkpoint));
        var (code, output, error) = Cli.Run("job", sweep.ReferenceFolder, "2");
        Assert.True(code == 0, error);
        Assert.Contains("done already", output);
        Assert.DoesNotContain("step", output);
        Assert.Equal(bytes, File.ReadAllBytes(shard));
        Assert.Equal(written, File.GetLastWriteTimeUtc(checkpoint));
        // By id as well as by index.
        Assert.Contains("done already", Cli.Run("job", sweep.ReferenceFolder, Ids[2]).Out);
    }

    [Fact]
    public void Jobs_in_child_processes_give_the_same_numbers_as_in_one_process()
    {
        var folder = Path.Combine(sweep.Root, "children");
        var (code, output, error) = Cli.Run(SweepFixture.Args(folder, "--jobs", "2"));
        Assert.True(code == 0, error + output);
        Assert.Contains("2 jobs at once", output);
        // The children's progress reaches this process's display.
        Assert.Contains("DepthNet.Plain.BnAfterConv.Depth3 (seed 1, lr 0.05) epoch 1/1", output);
        SameNumbers.Assert(sweep.Reference, RunResults.Load(Path.Combine(folder, "results.json")));
        var shards = Directory.GetFiles(Path.Combine(folder, "jobs"), "*.json").Select(f => JsonSerializer.Deserialize<JobShard>(File.ReadAllBytes(f), RunResults.Json)!).ToList();
        Assert.Equal(4, shards.Select(s => s.ProcessId).Distinct().Count());
        Assert.DoesNotContain(Environment.ProcessId, shards.Select(s => s.ProcessId));
        Assert.All(shards, s => Assert.Equal(1, s.Threads));
    }

    [Fact]
    public void SIGTERM_during_training_leaves_a_checkpoint_and_the_job_continues_exactly()
    {
        var folder = sweep.CopyOfPlan("sigterm");
        using (var child = Cli.Start(null, "job", folder, "1"))
        {
            // Stop the process right after its first step (SIGSTOP), so that the SIGTERM surely lands mid-epoch.
            string? line;
            do line = child.StandardOutput.ReadLine();
            while (line is not null && !line.Contains("step 1/23", StringComparison.Ordinal));
            if (line is null) Assert.Fail("the job ended before its first step: " + child.StandardError.ReadToEnd());
            foreach (var signal in new[] { Cli.SIGSTOP, Cli.SIGTERM, Cli.SIGCONT }) Assert.Equal(0, Cli.kill(child.Id, signal));
            var rest = child.StandardOutput.ReadToEnd() + child.StandardError.ReadToEnd();
            child.WaitForExit();
            Assert.True(child.ExitCode == JobExit.Interrupted, $"exit code {child.ExitCode}: {rest}");
            Assert.Contains("SIGTERM: stopping after the current step", rest);
        }
        var peek = Checkpoint.Peek(Path.Combine(folder, "checkpoints", Ids[1] + ".ckpt"));
        Assert.NotNull(peek);
        var position = peek.Value.Position;
        Assert.NotNull(position);
        Assert.Equal(1, position.Epoch);
        Assert.InRange(position.Steps, 1, 22);
        Assert.Empty(peek.Value.Progress.Epochs);
        Assert.False(File.Exists(Path.Combine(folder, "jobs", Ids[1] + ".json")));
        var status = Cli.Run("status", folder).Out;
        Assert.Contains($"checkpoint at epoch 1/1, step {position.Steps}", status);
        Assert.Contains("1 interrupted, 3 not started", status);

        // Running it again continues from the checkpoint (no first step) and ends where the uninterrupted run ended.
        var (code, output, error) = Cli.Run("job", folder, "1");
        Assert.True(code == 0, error);
        Assert.Contains($"step {position.Steps + 1}/23", output);
        var resumed = Sweep.Open(folder);
        SameNumbers.Job(sweep.Reference.Variants[0].Jobs[1], resumed.ReadShard(resumed.Plan.Jobs[1], out _)!.Result!);
    }

    [Fact]
    public void A_corrupt_result_file_is_named_in_the_status_and_running_the_job_again_replaces_it()
    {
        var folder = sweep.CopyOfPlan("corrupt-result");
        Directory.CreateDirectory(Path.Combine(folder, "jobs"));
        Directory.CreateDirectory(Path.Combine(folder, "checkpoints"));
        foreach (var id in Ids)
        {
            File.Copy(Path.Combine(sweep.ReferenceFolder, "jobs", id + ".json"), Path.Combine(folder, "jobs", id + ".json"));
            File.Copy(Path.Combine(sweep.ReferenceFolder, "checkpoints", id + ".ckpt"), Path.Combine(folder, "checkpoints", id + ".ckpt"));
        }
        var corrupt = Path.Combine(folder, "jobs", Ids[3] + ".json");
        File.WriteAllText(corrupt, "{\"broken");
        var status = Cli.Run("status", folder).Out;
        Assert.Contains($"{corrupt} is unreadable (", status);
        Assert.Contains("; checkpoint after epoch 1/1; running it again continues there", status);
        Assert.Contains("3 done, 1 interrupted", status);

        // The checkpoint holds the finished epoch: running the job again writes the same result without training.
        var (code, output, error) = Cli.Run("job", folder, "3");
        Assert.True(code == 0, error);
        Assert.DoesNotContain("step 1/", output);
        var run = Sweep.Open(folder);
        SameNumbers.Job(sweep.Reference.Variants[1].Jobs[1], run.ReadShard(run.Plan.Jobs[3], out var problem)!.Result!);
        Assert.Null(problem);
        Assert.Contains("4 done", Cli.Run("status", folder).Out);
    }

    [Fact]
    public void Checkpoints_within_an_epoch_change_no_number()
    {
        // A checkpoint after every step, each continued in the same process as a resumed one would be: 22 stops and resumes.
        var folder = sweep.CopyOfPlan("every-step");
        var run = Sweep.Open(folder);
        TorchSharp.torch.set_num_threads(1);
        run.Runner().CheckpointEvery = TimeSpan.Zero;
        var outcome = run.Execute(run.Plan.Jobs[2], null);
        Assert.Equal(JobOutcomeKind.Done, outcome.Kind);
        SameNumbers.Job(sweep.Reference.Variants[1].Jobs[0], outcome.Shard!.Result!);
    }

    [Fact]
    public void The_report_merges_the_job_results_and_lists_every_job_without_one()
    {
        var folder = sweep.CopyOfPlan("partial");
        var jobs = Path.Combine(folder, "jobs");
        Directory.CreateDirectory(jobs);
        foreach (var i in new[] { 0, 2 }) File.Copy(Path.Combine(sweep.ReferenceFolder, "jobs", Ids[i] + ".json"), Path.Combine(jobs, Ids[i] + ".json"));
        // Job 1 failed; job 3 never ran.
        var failed = JsonSerializer.Deserialize<JobShard>(File.ReadAllBytes(Path.Combine(jobs, Ids[0] + ".json")), RunResults.Json)!;
        failed.Job = Sweep.Open(folder).Plan.Jobs[1];
        failed.State = ShardState.Failed;
        failed.Result = null;
        failed.Error = "OutOfMemoryException: the node ran out | of memory";
        File.WriteAllBytes(Path.Combine(jobs, Ids[1] + ".json"), JsonSerializer.SerializeToUtf8Bytes(failed, RunResults.Json));

        var (code, output, error) = Cli.Run("report", folder);
        Assert.True(code == 0, error);
        Assert.Contains("partial: 2 of 4 jobs have no result (1 failed, 1 not started)", output);
        var results = RunResults.Load(Path.Combine(folder, "results.json"));
        Assert.Equal(4, results.PlannedJobs);
        Assert.Equal([1, 1], results.Variants.Select(v => v.Jobs.Count));
        Assert.Equal([(Ids[1], "failed"), (Ids[3], "not started")], results.Incomplete.Select(j => (j.Id, j.State)));
        Assert.Contains("ran out | of memory", results.Incomplete[0].Detail);
        SameNumbers.Job(sweep.Reference.Variants[0].Jobs[0], results.Variants[0].Jobs[0]);
        var markdown = File.ReadAllText(Path.Combine(folder, "report.md"));
        Assert.Contains("## Incomplete: 2 of 4 jobs have no result", markdown);
        Assert.Contains($"| {Ids[1]} | failed | OutOfMemoryException: the node ran out \\| of memory |", markdown);
        Assert.Contains($"| {Ids[3]} | not started |", markdown);
        Assert.True(File.Exists(Path.Combine(folder, "index.html")));

        // A result file of another plan is not merged: it is named instead.
        var other = JsonSerializer.Deserialize<JobShard>(File.ReadAllBytes(Path.Combine(sweep.ReferenceFolder, "jobs", Ids[3] + ".json")), RunResults.Json)!;
        other.PlanId = "0123456789abcdef";
        File.WriteAllBytes(Path.Combine(jobs, Ids[3] + ".json"), JsonSerializer.SerializeToUtf8Bytes(other, RunResults.Json));
        Cli.Run("report", folder);
        var again = RunResults.Load(Path.Combine(folder, "results.json"));
        Assert.Contains("belongs to another plan", again.Incomplete.Single(j => j.Id == Ids[3]).Detail);

        // With no result at all there is nothing to report: an error, not an empty report.
        var empty = sweep.CopyOfPlan("empty");
        var (none, _, noneError) = Cli.Run("report", empty);
        Assert.Equal(2, none);
        Assert.Contains("none of the plan's 4 jobs has finished (4 not started)", noneError);
    }

    [Fact]
    public void A_plan_is_run_only_by_the_netdsl_that_wrote_it_and_only_on_its_data()
    {
        var folder = sweep.CopyOfPlan("edited");
        var path = Path.Combine(folder, RunPlan.FileName);
        var plan = File.ReadAllText(path);
        File.WriteAllText(path, plan.Replace(RunPlan.ToolVersion, "netdsl 0.0.1+old", StringComparison.Ordinal));
        var (code, _, error) = Cli.Run("job", folder, "0");
        Assert.Equal(2, code);
        Assert.Contains("was written by netdsl 0.0.1+old and this is netdsl 0.1.0", error);

        var settings = RunPlan.Load(sweep.ReferenceFolder).Plan.Settings;
        File.WriteAllText(path, plan.Replace(settings.DataSha256, new string('0', 64), StringComparison.Ordinal));
        var (failed, output, _) = Cli.Run("job", folder, "0");
        Assert.Equal(JobExit.Failed, failed);
        Assert.Contains("differ from those the plan was made with", output);
        Assert.Contains("differ from those the plan was made with", Cli.Run("status", folder).Out);
    }

    [Theory]
    [InlineData("is not a folder", "status", "/nonexistent/run")]
    [InlineData("no plan.json", "status", "{empty}")]
    [InlineData("job 9 is not in the plan: it has 4 jobs, 0 to 3", "job", "{reference}", "9")]
    [InlineData("no job 'nope' in the plan", "job", "{reference}", "nope")]
    [InlineData("--jobs must be at least 1 (got 0)", "compare", "--jobs", "0")]
    [InlineData("--jobs runs jobs on this machine and --slurm on the cluster", "compare", "--jobs", "2", "--slurm")]
    [InlineData("--partition is a Slurm option; add --slurm", "compare", "--partition", "short")]
    [InlineData("--cpus-per-task 1 is fewer than --threads 2", "compare", "--slurm", "--cpus-per-task", "1", "--threads", "2")]
    [InlineData("neither a plan.json nor a results.json", "report", "{empty}")]
    public void Bad_input_exits_2_with_a_one_line_message(string message, params string[] args)
    {
        var empty = Path.Combine(sweep.Root, "empty-folder");
        Directory.CreateDirectory(empty);
        var output = Path.Combine(sweep.Root, "never-written");
        args = args.Select(a => a.Replace("{empty}", empty, StringComparison.Ordinal).Replace("{reference}", sweep.ReferenceFolder, StringComparison.Ordinal)).ToArray();
        var (code, _, error) = Cli.Run(args[0] == "compare" ? [.. args, "--output", output] : args);
        Assert.Equal(2, code);
        Assert.Contains(message, error);
        Assert.StartsWith("error: ", error);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void Resuming_with_other_settings_names_the_setting()
    {
        var folder = Path.Combine(sweep.Root, "resume-other");
        var copy = sweep.CopyOfPlan("resume-other");
        Assert.Equal(folder, copy);
        var (code, _, error) = Cli.Run(SweepFixture.Args(folder, "--resume", "--momentum", "0.8"));
        Assert.Equal(2, code);
        Assert.Contains("written by a run with other settings (Momentum: 0.9 in the plan, 0.8 now)", error);
    }

    [Fact]
    public void Submitting_without_Slurm_says_so_and_how_to_run_here()
    {
        var folder = sweep.CopyOfPlan("no-slurm");
        using var child = Cli.Start(new Dictionary<string, string?> { ["PATH"] = "/nonexistent" }, "submit", folder);
        var error = child.StandardError.ReadToEnd();
        child.WaitForExit();
        Assert.Equal(2, child.ExitCode);
        Assert.Contains("cannot submit to Slurm: sbatch is not installed here", error);
        Assert.Contains("`netdsl compare --jobs N`", error);
    }

    [Fact]
    public void A_dry_run_counts_the_jobs_and_estimates_core_hours_and_writes_nothing()
    {
        var output = Path.Combine(sweep.Root, "dry");
        var (code, text, error) = Cli.Run("compare", "--only", "Residual.BnAfterConv", "--subset", "300", "--epochs", "2", "--threads", "1", "--data", SweepFixture.Bundled, "--dry-run", "--output", output);
        Assert.True(code == 0, error);
        Assert.Contains("dry run, nothing written: bn-residual (quick): 1 variant x 3 seeds x 2 learning rates (0.01, 0.05) = 6 jobs", text);
        Assert.Contains("DepthNet.Residual.BnAfterConv.Depth3: ", text);
        // 269 training images at batch 64: 5 steps; 31 validation + 2,000 test images evaluated after each epoch.
        Assert.Contains("total: 6 jobs, 2 epoch(s) of 5 steps (batch 64) and 2,031 evaluated images each: about ", text);
        Assert.Contains("core-hours", text);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void The_papers_presets_are_He_et_al_s_networks_and_sized_for_a_cluster()
    {
        var (_, list, _) = Cli.Run("list");
        Assert.Contains("full:  152 epoch(s) on all training images less 10% for validation, all test images (batch 128), 10 variants x 3 seed(s) x learning rates 0.01, 0.1 = 60 jobs", list);
        Assert.Contains("full:  152 epoch(s) on all training images less 10% for validation, all test images (batch 128), 5 variants x 3 seed(s) x learning rates 0.01, 0.1 = 30 jobs", list);
        // He et al. 2015, Table 6: 0.27M, 0.85M and 1.7M parameters at 20, 56 and 110 layers. Their 3-channel CIFAR nets have
        // 269,722, 853,018 and 1,727,962; the 1-channel stem here has 288 fewer weights (16 x 2 x 3 x 3).
        foreach (var (variant, parameters) in new[] { ("CifarResNet.Residual.Depth3", "269,434"), ("CifarResNet.Plain.Depth9", "852,730"), ("CifarResNet.Residual.Depth18", "1,727,674"), ("CifarOrderNet.PostAct", "1,727,674") })
            Assert.Contains($"total: {parameters} parameters", Cli.Run("summary", variant).Out);
        var experiment = Experiments.Catalog.Find("he2015-depth")!;
        Assert.Equal(Schedule.Step, experiment.Full.Schedule);
        Assert.True(experiment.Full.Augment);
        Assert.Equal([110], experiment.Variants.Where(v => v.Settings["Depth"] == "18").Select(v => v.Summary.Layers.Count(l => l.Kind is "Conv2d" or "Linear")).Distinct());
    }
}
