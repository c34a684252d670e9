using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using NetDsl.Experiments;
using NetDsl.Experiments.Results;
using NetDsl.Experiments.Sweeps;
using TorchSharp.Modules;
using Xunit;

namespace NetDsl.Cli.Tests;

// A user's own networks, as `netdsl compare --assembly` finds them in a built assembly: this test assembly plays the user's.

/// <summary>A user's residual unit.</summary>
[Block, Residual]
public partial class LabUnit
{
    [Conv(Kernel = 3)] Conv2d conv1;
}

/// <summary>A user's network with a variant matrix: residual or plain, times BatchNorm after the convolution or none.</summary>
[Network, Input(1, 28, 28), BatchNorm, Activation(Nonlinearity.ReLU)]
[Variants(Residual = new[] { true, false }, BatchNorm = new[] { BatchNormVariant.AfterConv, BatchNormVariant.None })]
public partial class LabNet
{
    [Conv(4, Kernel = 3, Stride = 2)] Conv2d conv1;
    [Stage(Blocks = 1, Channels = 4)] ModuleList<LabUnit> layer1;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(10)] Linear fc;
}

/// <summary>A network for colour images: it does not fit Fashion-MNIST.</summary>
[Network, Input(3, 32, 32)]
public partial class LabColourNet
{
    [Conv(4, Kernel = 3)] Conv2d conv1;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(10)] Linear fc;
}

/// <summary>A network with two outputs: not Fashion-MNIST's ten classes.</summary>
[Network, Input(1, 28, 28)]
public partial class LabTwoClassNet
{
    [Conv(4, Kernel = 3)] Conv2d conv1;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(2)] Linear fc;
}

[Collection("console")]
public sealed class UserNetworkTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("netdsl-user-").FullName;
    static readonly string Me = typeof(UserNetworkTests).Assembly.Location;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void The_networks_of_an_assembly_are_found_with_their_variants()
    {
        var found = UserNetworks.Find(Me);
        var lab = Assert.Single(found, n => n.Type == typeof(LabNet));
        Assert.Equal("NetDsl.Cli.Tests.LabNet", lab.Name);
        Assert.Equal(["LabNet.Residual.BnAfterConv", "LabNet.Residual.NoBn", "LabNet.Plain.BnAfterConv", "LabNet.Plain.NoBn"], lab.Variants.Select(v => v.Name));
        // Without [Variants] the network is its own one variant, built by its constructor.
        var colour = Assert.Single(found, n => n.Type == typeof(LabColourNet));
        var only = Assert.Single(colour.Variants);
        Assert.Equal("LabColourNet", only.Name);
        Assert.Empty(only.Settings);
        Assert.Equal(LabColourNet.Summary.TotalParameters, only.Summary.TotalParameters);
        using var built = only.Create();
        Assert.IsType<LabColourNet>(built);
        // Ordered by full name, every [Network] of the assembly.
        Assert.Equal(found.Select(n => n.Name).OrderBy(n => n, StringComparer.Ordinal), found.Select(n => n.Name));
    }

    [Fact]
    public void A_network_becomes_an_experiment_that_remembers_its_assembly()
    {
        var e = UserNetworks.ExperimentOf(UserNetworks.Select(Me, "LabNet"), Me);
        Assert.Equal("LabNet", e.Name);
        Assert.Equal(Measures.Training | Measures.InitialGradients, e.What);
        Assert.Equal(4, e.VariantsOf(e.Quick).Count);
        Assert.Equal((3, 3000, 64, 2000), (e.Quick.Epochs, e.Quick.Subset!.Value, e.Quick.BatchSize, e.Quick.TestSubset!.Value));
        Assert.Equal([0.01, 0.05], e.Quick.LearningRates);
        var origin = Assert.IsType<VariantSource>(e.Origin);
        Assert.Equal((VariantSource.UserAssembly, Me, "NetDsl.Cli.Tests.LabNet"), (origin.Kind, origin.Assembly!, origin.Network!));
        Assert.Equal(UserNetworks.Sha256(Me), origin.AssemblySha256);
        // A plan's source resolves to the same variants; a rebuilt assembly (another checksum) is refused.
        Assert.Equal(e.Variants.Select(v => v.Name), origin.Resolve().Variants.Select(v => v.Name));
        var changed = Assert.Throws<InvalidDataException>(() => (origin with { AssemblySha256 = new string('0', 64) }).Resolve());
        Assert.StartsWith($"'{Me}' changed since the plan was written", changed.Message, StringComparison.Ordinal);
        var gone = Assert.Throws<InvalidDataException>(() => (origin with { Assembly = Path.Combine(folder, "gone.dll") }).Resolve());
        Assert.Contains("which is not there", gone.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_trains_a_users_variants_and_records_where_they_come_from()
    {
        var output = Path.Combine(folder, "run");
        var (code, stdout, error) = CommandLineTests.Run("compare", "--assembly", Me, "--network", "LabNet", "--only", "Residual", "--subset", "300", "--epochs", "1",
            "--seeds", "0", "--lr", "0.05", "--test-subset", "100", "--threads", "1", "--output", output, "--plain");
        Assert.True(code == 0, error + stdout);
        Assert.Contains("LabNet (quick): 2 variants x 1 seed x 1 learning rate (0.05) = 2 jobs", stdout, StringComparison.Ordinal);
        var results = RunResults.Load(Path.Combine(output, "results.json"));
        Assert.Equal(["LabNet.Residual.BnAfterConv", "LabNet.Residual.NoBn"], results.Variants.Select(v => v.Name));
        Assert.All(results.Variants, v => Assert.Single(Assert.Single(v.Jobs).Epochs));
        Assert.Equal("The variants of NetDsl.Cli.Tests.LabNet", results.Title);
        using var plan = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "plan.json")));
        var source = plan.RootElement.GetProperty("Source");
        Assert.Equal("assembly", source.GetProperty("Kind").GetString());
        Assert.Equal(Me, source.GetProperty("Assembly").GetString());
        Assert.Equal(UserNetworks.Sha256(Me), source.GetProperty("AssemblySha256").GetString());
        // The Reproduce command names the assembly and the network, not a built-in experiment.
        Assert.StartsWith($"netdsl compare --assembly {Me} --network NetDsl.Cli.Tests.LabNet -p quick ", results.Settings.CommandLine, StringComparison.Ordinal);
    }

    [Fact]
    public void List_shows_a_users_networks_and_why_one_does_not_fit()
    {
        var (code, stdout, error) = CommandLineTests.Run("list", "--assembly", Me);
        Assert.True(code == 0, error);
        Assert.Contains("LabNet.Plain.NoBn", stdout, StringComparison.Ordinal);
        Assert.Contains("quick: 3 epoch(s) on 3,000 training images less 10% for validation, 2,000 test images (batch 64), 4 variants x 3 seed(s) x learning rates 0.01, 0.05 = 24 jobs", stdout, StringComparison.Ordinal);
        Assert.Contains("NetDsl.Cli.Tests.LabColourNet: cannot be compared on Fashion-MNIST: LabColourNet takes input [3, 32, 32] per sample; " +
                        "Fashion-MNIST images are [1, 28, 28]: declare [Input(1, 28, 28)]", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_assemblies_networks_and_options_are_refused_with_the_fix()
    {
        string Error(params string[] args)
        {
            var (code, _, error) = CommandLineTests.Run(["compare", .. args, "--output", Path.Combine(folder, "x"), "--dry-run"]);
            Assert.Equal(2, code);
            return error.Trim();
        }
        var missing = Path.Combine(folder, "missing.dll");
        Assert.Equal($"error: no assembly at '{missing}'; build your project (dotnet build) and give the path of its .dll, or use --project", Error("--assembly", missing));
        var text = Path.Combine(folder, "notes.dll");
        File.WriteAllText(text, "not an assembly");
        Assert.StartsWith($"error: '{text}' is not a .NET assembly netdsl can load (", Error("--assembly", text), StringComparison.Ordinal);
        // An assembly without NetDsl networks (xunit's).
        var xunit = typeof(FactAttribute).Assembly.Location;
        Assert.Equal($"error: '{xunit}' holds no NetDsl network: declare a [Network] partial class (with the NetDsl package referenced, so the generator builds it) and rebuild",
            Error("--assembly", xunit));
        Assert.Matches($"^error: '{System.Text.RegularExpressions.Regex.Escape(Me)}' holds [0-9]+ networks \\(.*NetDsl.Cli.Tests.LabNet.*\\); choose one with --network$", Error("--assembly", Me));
        Assert.StartsWith("error: no network named 'Nope' in ", Error("--assembly", Me, "--network", "Nope"), StringComparison.Ordinal);
        Assert.Equal("error: LabColourNet takes input [3, 32, 32] per sample; Fashion-MNIST images are [1, 28, 28]: declare [Input(1, 28, 28)]",
            Error("--assembly", Me, "--network", "LabColourNet"));
        Assert.Equal("error: LabTwoClassNet outputs [2] per sample; Fashion-MNIST has 10 classes: end the network with [Linear(10)] (after a flatten or global pooling)",
            Error("--assembly", Me, "--network", "NetDsl.Cli.Tests.LabTwoClassNet"));
        Assert.Equal("error: --assembly and --project both name your networks; give one of them", Error("--assembly", Me, "--project", "x.csproj"));
        Assert.Equal("error: --network picks a network of --assembly or --project; give one of them too", Error("--network", "LabNet"));
        Assert.Equal("error: --experiment picks a built-in experiment and --assembly/--project your own networks; give one of them",
            Error("-x", "degradation", "--assembly", Me, "--network", "LabNet"));
        var project = Path.Combine(folder, "nothere");
        Assert.Equal($"error: no project file at '{project}'; give the path of your .csproj", Error("--project", project));
    }

    [Fact]
    public void A_project_that_does_not_build_is_refused_with_the_compiler_error()
    {
        var project = Path.Combine(folder, "Broken");
        Directory.CreateDirectory(project);
        File.WriteAllText(Path.Combine(project, "Broken.csproj"),
            "<Project Sdk=\"Microsoft.NET.Sdk\"><PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup></Project>");
        File.WriteAllText(Path.Combine(project, "Lab.cs"), "class Lab { int x = ; }");
        var (code, _, error) = CommandLineTests.Run("compare", "--project", project, "--output", Path.Combine(folder, "x"), "--dry-run");
        Assert.Equal(2, code);
        Assert.StartsWith($"error: '{Path.Combine(project, "Broken.csproj")}' did not build (dotnet build exited 1); fix the errors and run again:", error, StringComparison.Ordinal);
        Assert.Contains("error CS1525", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Export_writes_a_users_variant_as_pytorch_source()
    {
        var python = Path.Combine(folder, "lab.py");
        var (code, stdout, error) = CommandLineTests.Run("export", "LabNet.Plain.NoBn", "--assembly", Me, "--pytorch", python);
        Assert.True(code == 0, error);
        Assert.Equal(LabNet.Variants.All.Single(v => v.Name == "LabNet.Plain.NoBn").PyTorchSource, File.ReadAllText(python));
        Assert.Contains("class LabNet", File.ReadAllText(python), StringComparison.Ordinal);
        Assert.Contains($"wrote {python}: PyTorch source of LabNet.Plain.NoBn", stdout, StringComparison.Ordinal);
        // A network without [Variants] exports its own PyTorchSource.
        var colour = Path.Combine(folder, "colour.py");
        Assert.Equal(0, CommandLineTests.Run("export", "LabColourNet", "--assembly", Me, "--pytorch", colour).Code);
        Assert.Equal(LabColourNet.PyTorchSource, File.ReadAllText(colour));
        // Names are looked up in the user's networks, not the built-in ones.
        var unknown = CommandLineTests.Run("export", "DepthNet.Residual.BnAfterConv.Depth3", "--assembly", Me, "--pytorch", colour);
        Assert.Equal(2, unknown.Code);
        Assert.StartsWith("error: no variant named 'DepthNet.Residual.BnAfterConv.Depth3'", unknown.Error.Trim(), StringComparison.Ordinal);
    }
}
