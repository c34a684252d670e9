using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace NetDsl.Generators.Tests;

/// <summary>
/// Generated code never makes a temporary TorchSharp Scalar (see <see cref="ScalarScan"/>): every example, every network
/// of the tool's experiments with all their variants, the networks the runtime tests define, and a file that uses every
/// construct the emitter knows are generated, compiled and scanned with Roslyn's semantic model.
/// </summary>
public class ScalarLifetimeTests
{
    /// <summary>Every construct that changes the emitted forward: the five unit orders, the four shortcuts, a branch scale,
    /// every activation, BatchNorm before and after the activation, explicit BatchNorm and activation fields, every pooling
    /// layer, dropout, flatten, linear blocks, nested stages, a block without taps, a network that starts with a stage, and
    /// a variant matrix over every axis.</summary>
    const string Constructs = """
        using NetDsl;
        using TorchSharp.Modules;
        namespace Constructs;

        [Block, Residual(Shortcut = Shortcut.Projection, Order = UnitOrder.BnAfterAddition, BranchScale = 0.25), BatchNorm, Activation(Nonlinearity.LeakyReLU, NegativeSlope = 0.2)]
        public partial class ProjectionUnit { [Conv(Kernel = 3)] Conv2d conv1; [Conv(Kernel = 3)] Conv2d conv2; }

        [Block, Residual(Shortcut = Shortcut.ZeroPad, Order = UnitOrder.ReluBeforeAddition, BranchScale = 0.5), BatchNorm(After = Layer.Activation), Activation(Nonlinearity.GELU)]
        public partial class ZeroPadUnit { [Conv(Kernel = 3)] Conv2d conv1; [Conv(Kernel = 1)] Conv2d conv2; }

        [Block(Taps = false), Residual(Order = UnitOrder.ReluOnlyPreActivation, BranchScale = 2.0), BatchNorm, Activation(Nonlinearity.Tanh)]
        public partial class QuietUnit { [Conv(Kernel = 3)] Conv2d conv1; }

        [Block, BatchNorm, Activation(Nonlinearity.Sigmoid)]
        public partial class Inner { [Conv(Kernel = 3)] Conv2d conv1; }

        [Block, Residual(Shortcut = Shortcut.Identity, BranchScale = 0.1)]
        public partial class NestedUnit { [Stage(Blocks = 2)] ModuleList<Inner> inner; }

        [Block, Residual(Order = UnitOrder.FullPreActivation, BranchScale = 0.1), BatchNorm, Activation(Nonlinearity.ReLU)]
        public partial class DenseUnit { [Linear] Linear fc1; [Dropout(P = 0.25)] Dropout drop; [Linear] Linear fc2; }

        [Network, Input(3, 16, 16), BatchNorm, Activation(Nonlinearity.ReLU)]
        public partial class EveryLayer
        {
            [Stage(Blocks = 2, Channels = 8, Stride = 2)] ModuleList<ProjectionUnit> layer1;
            [Stage(Blocks = 2, Channels = 12, Stride = 2)] ModuleList<ZeroPadUnit> layer2;
            [Stage(Blocks = 1, Channels = 12)] ModuleList<QuietUnit> layer3;
            [Stage(Blocks = 1, Channels = 12)] ModuleList<NestedUnit> layer4;
            [MaxPool(Kernel = 2)] MaxPool2d maxpool;
            [AvgPool(Kernel = 2, Padding = 1)] AvgPool2d avgpool;
            [BatchNorm] BatchNorm2d bn;
            [Activation(Nonlinearity.ReLU)] ReLU final_relu;
            [Conv(6, Kernel = 1)] Conv2d conv2;
            [GlobalAvgPool] AdaptiveAvgPool2d gap;
            [Flatten] Flatten flatten;
            [Linear(16), Activation(Nonlinearity.LeakyReLU, NegativeSlope = 0.3)] Linear fc1;
            [Stage(Blocks = 2, Channels = 16)] ModuleList<DenseUnit> dense;
            [Dropout(P = 0.1)] Dropout drop;
            [Linear(4)] Linear fc;
        }

        [Network, Input(1, 8, 8), BatchNorm, Activation(Nonlinearity.ReLU)]
        [Variants(Residual = new[] { true, false }, BatchNorm = new[] { BatchNormVariant.AfterConv, BatchNormVariant.AfterActivation, BatchNormVariant.None },
                  Order = new[] { UnitOrder.Original, UnitOrder.FullPreActivation }, Activation = new[] { Nonlinearity.ReLU, Nonlinearity.LeakyReLU }, Depth = new[] { 1, 2 })]
        public partial class EveryAxis
        {
            [Conv(4)] Conv2d conv1;
            [Stage(Blocks = 1, Channels = 4)] ModuleList<ProjectionUnit> layer1;
            [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
            [Linear(2)] Linear fc;
        }
        """;

    /// <summary>The source sets compiled one by one (each is a project of its own), by name.</summary>
    public static TheoryData<string> SourceSets() => new() { "examples", "cli-networks", "runtime-test-networks", "constructs" };

    static string[] Sources(string set)
    {
        var root = GeneratorHarness.RepoRoot();
        return set switch
        {
            "examples" => GeneratorHarness.ExampleSources(),
            "cli-networks" => new[] { File.ReadAllText(Path.Combine(root, "src", "NetDsl.Cli", "Experiments", "Networks.cs")) },
            "runtime-test-networks" => Directory.GetFiles(Path.Combine(root, "tests", "NetDsl.Tests", "Generated"), "*Definitions.cs")
                .OrderBy(f => f, System.StringComparer.Ordinal).Select(File.ReadAllText).ToArray(),
            _ => new[] { Constructs },
        };
    }

    /// <summary>Runs the generator; returns the compilation with the generated trees, and those trees.</summary>
    static (Compilation Output, IReadOnlyList<SyntaxTree> Generated) Generate(params string[] sources)
    {
        var compilation = GeneratorHarness.Compile(sources);
        GeneratorHarness.CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        Assert.Empty(diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error));
        // The scan refuses generated trees that do not compile; the user's trees are checked here.
        foreach (var tree in compilation.SyntaxTrees)
            Assert.Empty(output.GetSemanticModel(tree).GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        return (output, output.SyntaxTrees.Skip(compilation.SyntaxTrees.Length).ToList());
    }

    [Theory]
    [MemberData(nameof(SourceSets))]
    public void Generated_code_makes_no_temporary_scalar(string set)
    {
        var (output, generated) = Generate(Sources(set));
        Assert.NotEmpty(generated);
        var findings = ScalarScan.Find(output, generated);
        Assert.True(findings.Count == 0, $"{findings.Count} temporary Scalar(s) in generated code:\n" + string.Join("\n", findings.Take(20)));
    }

    [Fact]
    public void The_constructs_reach_every_emitter_site_that_takes_a_number()
    {
        // The branch scale is the emitter's one tensor operation with a number: the constructs and the tool's shattering
        // networks must exercise it (in blocks, nested blocks, linear blocks, blocks without taps, variants), or the scan
        // above would pass for want of a site.
        var (_, generated) = Generate(Constructs);
        var text = string.Concat(generated.Select(t => t.ToString()));
        foreach (var scale in new[] { "0.25", "0.5", "2.0", "0.1" })
            Assert.Contains($"global::TorchSharp.ScalarExtensionMethods.ToScalar({scale})", text);
        Assert.Contains("branch * netdslBranchScale", text);
        var (_, cli) = Generate(Sources("cli-networks"));
        Assert.Contains("ToScalar(0.1)", string.Concat(cli.Select(t => t.ToString())));
    }

    [Fact]
    public void The_scan_finds_each_kind_of_temporary_scalar_and_passes_scalars_kept_alive()
    {
        // A positive control: hand-written code with one site of each kind, and the safe forms beside them.
        const string code = """
            using TorchSharp;
            using static TorchSharp.torch;
            static class Sites
            {
                static readonly Scalar Kept = 0.1.ToScalar();
                static Tensor Unsafe(Tensor x, Tensor y)
                {
                    Tensor a = x * 0.1;                 // operand converted to a Scalar
                    Tensor b = x > 0;                   // int operand
                    Tensor c = x.add(y, alpha: 0.5);    // argument converted to a Scalar
                    a += 2;                             // compound assignment
                    Scalar s = 3.0;                     // conversion in a declaration
                    return a + b + c;
                }
                static Tensor Safe(Tensor x, Tensor y)
                {
                    using var half = 0.5.ToScalar();
                    return x * Kept + x.add(y, alpha: half) + (x > Kept);
                }
            }
            """;
        var compilation = GeneratorHarness.Compile(code);
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var findings = ScalarScan.Find(compilation, compilation.SyntaxTrees);
        Assert.Equal(new[] { 8, 9, 10, 11, 12 }, findings.Select(f => f.Line).Distinct().ToArray());
        Assert.All(findings, f => Assert.True(f.Line < 15, f.ToString()));
    }
}
