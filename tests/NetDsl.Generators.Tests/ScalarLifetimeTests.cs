using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace NetDsl.Generators.Tests;

/// <summary>
/// Generated code never makes a temporary TorchSharp Scalar (NDA0001, analyzers/NetDsl.Analyzers): the build runs the analyzer
/// over the generated code of every project (the examples, the tool's networks with all their variants, the tests' networks),
/// and the generator harness runs it over every generated file of the generator tests; here a file that uses every construct
/// the emitter knows.
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

    [Fact]
    public void Every_construct_generates_code_without_a_temporary_scalar()
    {
        var result = GeneratorHarness.Run(Constructs);
        Assert.DoesNotContain(result.GeneratorDiagnostics, d => d.Severity >= DiagnosticSeverity.Warning);
        Assert.Empty(result.InGeneratedFiles); // includes NDA0001
        // The branch scale is the emitter's one tensor operation with a number: the constructs exercise it (in blocks, nested
        // blocks, linear blocks, blocks without taps, variants), or the check above would pass for want of a site.
        var text = string.Concat(result.Sources.Values);
        foreach (var scale in new[] { "0.25", "0.5", "2.0", "0.1" })
            Assert.Contains($"global::TorchSharp.ScalarExtensionMethods.ToScalar({scale})", text);
        Assert.Contains("branch * netdslBranchScale", text);
    }
}
