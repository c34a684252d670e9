using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using NetDsl.Experiments.Results;
using Xunit;

namespace NetDsl.Cli.Tests;

/// <summary>
/// <c>dotnet new netdsl-lab</c> as a user gets it: the template package, NetDsl and NetDsl.Experiments packed from this repository, the template
/// installed (into a private hive), a project created, built against the packed NetDsl and NetDsl.Experiments, its Program's comparison run
/// (report and results.json checked), and the same project compared with <c>netdsl compare --assembly</c>.
/// </summary>
[Collection("console")]
public sealed class TemplateTests : IDisposable
{
    readonly string work = Directory.CreateTempSubdirectory("netdsl-template-").FullName;

    public void Dispose() => Directory.Delete(work, recursive: true);

    static string RepoRoot([System.Runtime.CompilerServices.CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", ".."));

    static string Dotnet(string directory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"dotnet {string.Join(" ", args)} exited {process.ExitCode}:\n{output}\n{error.Result}");
        return output;
    }

    [Fact]
    public void The_lab_template_creates_a_project_that_builds_runs_and_compares()
    {
        // A unique version, so the global packages folder never serves a stale copy of an earlier run.
        var version = $"0.1.0-template.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        var feed = Path.Combine(work, "feed");
        var hive = Path.Combine(work, "hive");
        Dotnet(RepoRoot(), "pack", "src/NetDsl/NetDsl.csproj", "-c", "Release", "-o", feed, $"-p:Version={version}");
        Dotnet(RepoRoot(), "pack", "src/NetDsl.Experiments/NetDsl.Experiments.csproj", "-c", "Release", "-o", feed, $"-p:Version={version}");
        Dotnet(RepoRoot(), "pack", "templates/NetDsl.Templates/NetDsl.Templates.csproj", "-c", "Release", "-o", feed, $"-p:Version={version}");
        Dotnet(work, "new", "install", Path.Combine(feed, $"NetDsl.Templates.{version}.nupkg"), "--debug:custom-hive", hive);
        Dotnet(work, "new", "netdsl-lab", "-n", "Lab", "-o", Path.Combine(work, "Lab"), "--NetDslVersion", version, "--debug:custom-hive", hive);
        var project = Path.Combine(work, "Lab");
        Assert.Equal(["Lab.csproj", "Networks.cs", "Program.cs"], Directory.GetFiles(project).Select(Path.GetFileName).Order());
        var csproj = File.ReadAllText(Path.Combine(project, "Lab.csproj"));
        Assert.Contains($"<PackageReference Include=\"NetDsl\" Version=\"{version}\" />", csproj, StringComparison.Ordinal);
        Assert.Contains($"<PackageReference Include=\"NetDsl.Experiments\" Version=\"{version}\" />", csproj, StringComparison.Ordinal);

        // Its Program prints every variant's compile-time summary (counted by hand: conv1 144 + bn1 32; layer1: 2 units of
        // 2 x (2,304 + 32); layer2: 4,608 + 64 + 9,216 + 64 + downsample 512 + 64, then 2 x (9,216 + 64); fc 330: 42,938 residual
        // with BatchNorm) and compares the four variants with the library on 300 images, 1 epoch, 1 seed, rates 0.01 and 0.05.
        var report = Path.Combine(work, "lab-report");
        var run = Dotnet(project, "run", "-c", "Release", $"-p:RestoreAdditionalProjectSources={feed}", "--",
            "--images", "300", "--test-images", "100", "--epochs", "1", "--seeds", "1", "--output", report);
        Assert.Matches(@"LabNet\.Residual\.BnAfterConv +42,938 +13,761,088", run);
        Assert.Matches(@"LabNet\.Plain\.NoBn +42,154 +13,660,736", run);
        Assert.Contains("LabNet (custom): 4 variants x 1 seed x 2 learning rates (0.01, 0.05) = 8 jobs", run, StringComparison.Ordinal);
        Assert.Contains("ranked on validation; test accuracy at the learning rate and epoch chosen on validation", run, StringComparison.Ordinal);
        Assert.Contains($"report: {Path.Combine(report, "index.html")}", run, StringComparison.Ordinal);
        var labResults = RunResults.Load(Path.Combine(report, "results.json"));
        string[] variants = ["LabNet.Residual.BnAfterConv", "LabNet.Residual.NoBn", "LabNet.Plain.BnAfterConv", "LabNet.Plain.NoBn"];
        Assert.Equal(variants, labResults.Variants.Select(v => v.Name));
        Assert.Equal(8, labResults.PlannedJobs);
        Assert.Empty(labResults.Incomplete);
        Assert.Equal([0], labResults.Settings.Seeds);
        // 10% of each class held out (rounded per class; which images depends on the data found here).
        Assert.Equal(300, labResults.Settings.TrainImages + labResults.Settings.ValidationImages);
        Assert.InRange(labResults.Settings.ValidationImages, 25, 35);
        Assert.Equal(100, labResults.Settings.TestImages);
        Assert.All(labResults.Variants, v =>
        {
            Assert.Equal([0.01, 0.05], v.Jobs.Select(j => j.LearningRate!.Value));
            Assert.All(v.Jobs, j => Assert.InRange(Assert.Single(j.Epochs).TestAccuracy, 0, 1));
            Assert.InRange(v.Selection!.Epochs[0].TestAccuracy, 0, 1);
        });
        var html = File.ReadAllText(Path.Combine(report, "index.html"));
        Assert.All(variants, v => Assert.Contains(v, html, StringComparison.Ordinal));
        // The package put the bundled Fashion-MNIST test split next to the program, where the data search finds it.
        var bundled = Path.Combine(project, "bin", "Release", "net10.0", "data", "fashion-mnist");
        Assert.True(File.Exists(Path.Combine(bundled, "t10k-images-idx3-ubyte.gz")) && File.Exists(Path.Combine(bundled, "t10k-labels-idx1-ubyte.gz")));
        if (labResults.Settings.DataOrigin == "bundled test split") Assert.Equal(bundled, labResults.Settings.DataFolder);

        // netdsl compare on the built assembly trains all four variants.
        var assembly = Path.Combine(project, "bin", "Release", "net10.0", "Lab.dll");
        var output = Path.Combine(work, "report");
        var (code, stdout, error) = CommandLineTests.Run("compare", "--assembly", assembly, "--subset", "300", "--epochs", "1", "--seeds", "0", "--lr", "0.05",
            "--test-subset", "100", "--threads", "1", "--output", output, "--plain");
        Assert.True(code == 0, error + stdout);
        var results = RunResults.Load(Path.Combine(output, "results.json"));
        Assert.Equal(["LabNet.Residual.BnAfterConv", "LabNet.Residual.NoBn", "LabNet.Plain.BnAfterConv", "LabNet.Plain.NoBn"], results.Variants.Select(v => v.Name));
        Assert.True(File.Exists(Path.Combine(output, "index.html")));
    }
}
