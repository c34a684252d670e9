using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using Xunit;

namespace NetDsl.Tests.Packaging;

/// <summary>
/// What users install is what we test: pack NetDsl, add it with one PackageReference to a fresh
/// project outside the repository (no Directory.Build.* files), build and run a generated module.
/// TorchSharp runs natively in that app, so the package's own build fix is exercised too.
/// </summary>
public class PackageTests
{
    static string Run(string workingDirectory, params string[] args)
    {
        var (code, output) = TestSupport.Run("dotnet", workingDirectory, args);
        Assert.True(code == 0, $"dotnet {string.Join(" ", args)} exited {code}:\n{output}");
        return output;
    }

    [Fact]
    public void Packed_package_builds_and_runs_a_generated_network_in_a_fresh_project()
    {
        var work = Directory.CreateTempSubdirectory("netdsl-pack-");
        // A unique version, so the global packages folder never serves a stale copy of an earlier run.
        var version = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        try
        {
            var feed = Path.Combine(work.FullName, "feed");
            Run(TestSupport.RepoRoot(), "pack", "src/NetDsl/NetDsl.csproj", "-c", "Release", "-o", feed, $"-p:Version={version}");

            var package = Path.Combine(feed, $"NetDsl.{version}.nupkg");
            using (var zip = ZipFile.OpenRead(package))
            {
                var entries = zip.Entries.Select(e => e.FullName).ToList();
                Assert.Contains("analyzers/dotnet/cs/NetDsl.Generators.dll", entries);
                Assert.Contains("lib/net10.0/NetDsl.dll", entries);
                Assert.Contains("buildTransitive/NetDsl.targets", entries);
                Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal) && e.EndsWith("NetDsl.Generators.dll", StringComparison.Ordinal));
            }

            var app = Path.Combine(work.FullName, "app");
            Directory.CreateDirectory(app);
            File.WriteAllText(Path.Combine(app, "App.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                    <RestoreAdditionalProjectSources>{feed}</RestoreAdditionalProjectSources>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="NetDsl" Version="{version}" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(app, "Program.cs"), """
                using NetDsl;
                using TorchSharp;
                using TorchSharp.Modules;

                var net = new Classifier();
                using var y = net.call(torch.ones(2, 1, 8, 8));
                System.Console.WriteLine($"params={Classifier.Summary.TotalParameters} built={net.parameters().Sum(p => p.numel())} shape={string.Join("x", y.shape)}");

                [Block, Residual, BatchNorm, Activation(Nonlinearity.ReLU)]
                public partial class Unit { [Conv] Conv2d conv1; [Conv] Conv2d conv2; }

                [Network, Input(1, 8, 8), BatchNorm, Activation(Nonlinearity.ReLU)]
                public partial class Classifier
                {
                    [Conv(4)] Conv2d conv1;
                    [Stage(Blocks = 2, Channels = 8, Stride = 2)] ModuleList<Unit> layer1;
                    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
                    [Linear(3)] Linear fc;
                }
                """);
            File.WriteAllText(Path.Combine(app, "Usings.cs"), "global using System.Linq;\n");

            var output = Run(app, "run");
            // conv1 36 + bn1 8; layer1.0: 288 + 16 + 576 + 16 + downsample 32 + 16; layer1.1: 576 + 16 + 576 + 16; fc 27
            Assert.Contains("params=2199 built=2199 shape=2x3", output);

            // Without the build fix, on a system whose libstdc++ lacks GLIBCXX_3.4.32, the first generated
            // constructor must fail with NetDsl's explanation, not a bare DllNotFoundException.
            var unpatched = Path.Combine(work.FullName, "unpatched");
            Run(app, "build", "-p:NetDslPatchLibTorchSharp=false", "-o", unpatched);
            var (code, text) = TestSupport.Run("dotnet", unpatched, Path.Combine(unpatched, "App.dll"));
            bool systemNeedsFix = NetDsl.Build.LibStdCxxCompat.Analyze(
                File.ReadAllBytes(Path.Combine(unpatched, "runtimes", "linux-x64", "native", "libLibTorchSharp.so")),
                File.ReadAllBytes(NetDsl.Build.LibStdCxxCompat.FindSystemLibStdCxx()!)).Verdict == NetDsl.Build.ShimVerdict.Patchable;
            if (systemNeedsFix)
            {
                Assert.NotEqual(0, code);
                Assert.Contains("NetDsl.Native.TorchSharpLoadException", text);
                Assert.Contains("GLIBCXX_3.4.32", text);
                Assert.Contains("NetDslPatchLibTorchSharp", text);
            }
            else Assert.Equal(0, code);
        }
        finally
        {
            try { work.Delete(recursive: true); } catch (IOException) { }
            // Leave no test package behind in the user's NuGet cache.
            var globalPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            var cached = Path.Combine(globalPackages, "netdsl", version.ToLowerInvariant());
            try { if (Directory.Exists(cached)) Directory.Delete(cached, recursive: true); } catch (IOException) { }
        }
    }
}
