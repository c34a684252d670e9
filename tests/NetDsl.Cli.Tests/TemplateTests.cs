using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using NetDsl.Experiments.Results;
using Xunit;

namespace NetDsl.Cli.Tests;

/// <summary>
/// <c>dotnet new netdsl-lab</c> as a user gets it: the template package and NetDsl packed from this repository, the template
/// installed (into a private hive), a project created, built against the packed NetDsl, run, and compared with <c>netdsl compare</c>.
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
        Dotnet(RepoRoot(), "pack", "templates/NetDsl.Templates/NetDsl.Templates.csproj", "-c", "Release", "-o", feed, $"-p:Version={version}");
        Dotnet(work, "new", "install", Path.Combine(feed, $"NetDsl.Templates.{version}.nupkg"), "--debug:custom-hive", hive);
        Dotnet(work, "new", "netdsl-lab", "-n", "Lab", "-o", Path.Combine(work, "Lab"), "--NetDslVersion", version, "--debug:custom-hive", hive);
        var project = Path.Combine(work, "Lab");
        Assert.Equal(["Lab.csproj", "Networks.cs", "Program.cs"], Directory.GetFiles(project).Select(Path.GetFileName).Order());
        Assert.Contains($"<PackageReference Include=\"NetDsl\" Version=\"{version}\" />", File.ReadAllText(Path.Combine(project, "Lab.csproj")), StringComparison.Ordinal);

        // Its Program builds and steps every variant; the parameter counts are the compile-time summaries' (counted by hand:
        // conv1 144 + bn1 32; layer1: 2 units of 2 x (2,304 + 32); layer2: 4,608 + 64 + 9,216 + 64 + downsample 512 + 64, then
        // 2 x (9,216 + 64); fc 330: 42,938 residual with BatchNorm).
        var run = Dotnet(project, "run", "-c", "Release", $"-p:RestoreAdditionalProjectSources={feed}");
        Assert.Matches(@"LabNet\.Residual\.BnAfterConv +42,938 +13,761,088 +\d+\.\d{3}", run);
        Assert.Matches(@"LabNet\.Plain\.NoBn +42,154 +13,660,736 +\d+\.\d{3}", run);
        Assert.Contains("netdsl compare --project .", run, StringComparison.Ordinal);

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
