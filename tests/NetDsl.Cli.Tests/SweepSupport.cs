using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Threading;
using NetDsl.Experiments.Results;
using NetDsl.Experiments.Sweeps;
using Xunit;

namespace NetDsl.Cli.Tests;

[CollectionDefinition("sweep", DisableParallelization = true)]
public sealed class SweepCollection : ICollectionFixture<SweepFixture>;

/// <summary>
/// The tiny sweep of the sweep and Slurm tests: 2 variants (20-layer plain and residual with BatchNorm) x 2 seeds x 1 rate,
/// 400 images (360 train, 23 steps of 16), 1 epoch, 200 test images, 1 thread; its local run (in this process, once) is the
/// reference every other backend must match number for number. Also the Slurm cluster, started on first use.
/// </summary>
public sealed class SweepFixture : IDisposable
{
    public static readonly string Bundled = Path.Combine(AppContext.BaseDirectory, "data", "fashion-mnist");
    public readonly string Root = Directory.CreateTempSubdirectory("netdsl-sweep-").FullName;
    readonly Lazy<string> reference;
    readonly Lazy<SlurmCluster> cluster = new(() => new SlurmCluster());

    public SweepFixture() => reference = new(() =>
    {
        var folder = Path.Combine(Root, "reference");
        var (code, output, error) = Cli.Run(Args(folder));
        Assert.True(code == 0, $"the local reference run failed ({code}): {error}\n{output}");
        return folder;
    });

    /// <summary>The sweep's command line, writing to <paramref name="output"/>.</summary>
    public static string[] Args(string output, params string[] more) =>
    [
        "compare", "--only", "BnAfterConv", "--subset", "400", "--batch-size", "16", "--epochs", "1", "--lr", "0.05", "--seeds", "0", "1",
        "--test-subset", "200", "--threads", "1", "--data", Bundled, "--output", output, "--plain", .. more,
    ];

    /// <summary>The folder of the local run (plan, job results, checkpoints, report).</summary>
    public string ReferenceFolder => reference.Value;

    public RunResults Reference => RunResults.Load(Path.Combine(ReferenceFolder, "results.json"));

    /// <summary>A new folder holding only the reference's plan (its id is the same: the plan file is the same bytes).</summary>
    public string CopyOfPlan(string name)
    {
        var folder = Path.Combine(Root, name);
        Directory.CreateDirectory(folder);
        File.Copy(Path.Combine(ReferenceFolder, RunPlan.FileName), Path.Combine(folder, RunPlan.FileName));
        return folder;
    }

    public SlurmCluster Cluster => cluster.Value;

    public void Dispose()
    {
        if (cluster.IsValueCreated) cluster.Value.Dispose();
        Directory.Delete(Root, recursive: true);
    }
}

/// <summary>Runs netdsl in this process (console redirected) or as a child process.</summary>
public static class Cli
{
    public static (int Code, string Out, string Error) Run(params string[] args)
    {
        var (stdout, stderr) = (Console.Out, Console.Error);
        var (o, e) = (new StringWriter(), new StringWriter());
        Console.SetOut(o);
        Console.SetError(e);
        try { return (Program.Main(args), o.ToString(), e.ToString()); }
        finally { Console.SetOut(stdout); Console.SetError(stderr); }
    }

    /// <summary>Starts netdsl as a child process (the same binary the local and Slurm backends start).</summary>
    public static Process Start(IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        var command = Slurm.Command();
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in command.Skip(1).Concat(args)) start.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string?>()) start.Environment[k] = v;
        return Process.Start(start)!;
    }

    /// <summary>Runs a program to its end; exit code -1 when it is not installed.</summary>
    public static (int Code, string Out, string Error) Exec(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(start)!;
            var error = p.StandardError.ReadToEndAsync();
            var output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, output, error.Result);
        }
        catch (System.ComponentModel.Win32Exception) { return (-1, "", $"{file} is not installed"); }
    }

    [DllImport("libc", SetLastError = true)]
    public static extern int kill(int pid, int signal);

    public const int SIGTERM = 15, SIGCONT = 18, SIGSTOP = 19;

    /// <summary>Polls <paramref name="done"/> every 50 ms until it holds or <paramref name="seconds"/> pass; fails with <paramref name="what"/>.</summary>
    public static void WaitUntil(Func<bool> done, double seconds, Func<string> what)
    {
        var clock = Stopwatch.StartNew();
        while (!done())
        {
            if (clock.Elapsed.TotalSeconds > seconds) Assert.Fail($"not within {seconds} s: {what()}");
            Thread.Sleep(50);
        }
    }
}

/// <summary>Number-for-number comparison of runs: everything a job measured except wall times.</summary>
public static class SameNumbers
{
    static string Canonical(JobResult job)
    {
        var copy = JsonSerializer.Deserialize<JobResult>(JsonSerializer.Serialize(job))!;
        copy.Seconds = 0;
        copy.Epochs = copy.Epochs.Select(e => e with { Seconds = 0 }).ToList();
        return JsonSerializer.Serialize(copy, new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals });
    }

    /// <summary>Every job of <paramref name="expected"/> is in <paramref name="actual"/> with the same numbers (wall times aside:
    /// epoch and job seconds), and every variant's selection is the same.</summary>
    public static void Assert(RunResults expected, RunResults actual)
    {
        Xunit.Assert.Equal(expected.Variants.Select(v => v.Name), actual.Variants.Select(v => v.Name));
        foreach (var (e, a) in expected.Variants.Zip(actual.Variants))
        {
            Xunit.Assert.Equal(e.Jobs.Count, a.Jobs.Count);
            foreach (var (je, ja) in e.Jobs.Zip(a.Jobs)) Job(je, ja);
            Xunit.Assert.Equal(JsonSerializer.Serialize(e.Selection), JsonSerializer.Serialize(a.Selection));
        }
    }

    public static void Job(JobResult expected, JobResult actual)
    {
        var (x, y) = (Canonical(expected), Canonical(actual));
        if (x == y) return;
        var (lx, ly) = (x.Split('\n'), y.Split('\n'));
        var at = Enumerable.Range(0, Math.Min(lx.Length, ly.Length)).FirstOrDefault(i => lx[i] != ly[i]);
        Xunit.Assert.Fail($"{expected.Variant} seed {expected.Seed} differs at line {at}: expected {lx[at].Trim()}, got {ly[at].Trim()}");
    }
}

/// <summary>
/// A Slurm cluster for the tests: the one <c>SLURM_CONF</c> names when it answers (<c>.ci/run</c> starts one), else a private
/// single-node cluster started with <c>tests/slurm/cluster.sh</c> and stopped at the end. <see cref="SkipReason"/> says why
/// there is none (Slurm not installed, not root).
/// </summary>
public sealed class SlurmCluster : IDisposable
{
    readonly string? owned;
    readonly string? previous = Environment.GetEnvironmentVariable("SLURM_CONF");

    public string? SkipReason { get; }

    public SlurmCluster()
    {
        if (previous is not null && Cli.Exec("sinfo", "-h", "-o", "%t").Code == 0) return;
        var script = FindScript();
        if (script is null)
        {
            SkipReason = "tests/slurm/cluster.sh not found above the test binaries";
            return;
        }
        var folder = Directory.CreateTempSubdirectory("netdsl-slurm-").FullName;
        var (code, output, error) = Cli.Exec("bash", script, "start", folder);
        if (code != 0)
        {
            Directory.Delete(folder, recursive: true);
            SkipReason = $"no Slurm cluster can run here ({error.Trim()}); .ci/run installs slurm-wlm and munge and starts one";
            return;
        }
        owned = folder;
        Environment.SetEnvironmentVariable("SLURM_CONF", output.Trim().Split('=', 2)[1]);
    }

    static string? FindScript()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "tests", "slurm", "cluster.sh"))) return Path.Combine(d.FullName, "tests", "slurm", "cluster.sh");
        return null;
    }

    /// <summary>Slurm's ids of the queued jobs among <paramref name="ids"/> (array tasks as <c>123_4</c>).</summary>
    public static List<string> Queued(params string[] ids)
    {
        var (code, output, _) = Cli.Exec("squeue", "-h", "-r", "-o", "%i");
        Xunit.Assert.Equal(0, code);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim())
            .Where(l => ids.Any(id => l == id || l.StartsWith(id + "_", StringComparison.Ordinal))).ToList();
    }

    public void Dispose()
    {
        if (owned is null) return;
        Cli.Exec("bash", FindScript()!, "stop", owned);
        Environment.SetEnvironmentVariable("SLURM_CONF", previous);
        Directory.Delete(owned, recursive: true);
    }
}
