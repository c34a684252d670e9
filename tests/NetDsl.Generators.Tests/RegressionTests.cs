using System.Linq;
using Xunit;

namespace NetDsl.Generators.Tests;

/// <summary>Valid declarations found by trying to break the generator: they must compile cleanly (and stay valid).</summary>
public class RegressionTests
{
    const string Usings = "using NetDsl;\nusing TorchSharp.Modules;\nusing static NetDsl.Layer;\n";

    [Theory]
    // Fields named like the generated code's locals and parameters: the generated code qualifies members with this.
    [InlineData("namespace Demo; [Network, Input(4)] public partial class Net { [Linear(3)] Linear x; [Linear(3)] Linear y; [Linear(2)] Linear scope; }")]
    [InlineData("namespace Demo; [Block, Residual] public partial class B { [Conv] Conv2d branch; [Conv] Conv2d shortcut; [Conv] Conv2d sum; }")]
    [InlineData("namespace Demo; [Block, Residual] public partial class B { [Conv] Conv2d inChannels; [Conv] Conv2d planes; [Conv] Conv2d stride; }")]
    [InlineData("namespace Demo; [Block] public partial class B { [Linear] Linear inFeatures; [Linear] Linear width; }")]
    // Keywords as names.
    [InlineData("namespace @event.foo; [Network, Input(4)] public partial class @class { [Linear(3)] Linear @event; [Linear(2)] Linear @int; }")]
    // Names that differ only in case (generated file names compare case-insensitively).
    [InlineData("namespace Demo; [Network, Input(4)] public partial class Net { [Linear(3)] Linear fc; } [Network, Input(4)] public partial class NET { [Linear(3)] Linear fc; }")]
    // A projection shortcut (option C) registers unconditionally: no nullable warning.
    [InlineData("namespace Demo; [Block, Residual(Shortcut = Shortcut.Projection), BatchNorm] public partial class B { [Conv] Conv2d conv1; }")]
    [InlineData("namespace Demo; [Block, Residual(Shortcut = Shortcut.Projection)] public partial class B { [Linear] Linear fc1; }")]
    // BatchNorm after a Flatten is BatchNorm1d, in a network whose input is an image.
    [InlineData("namespace Demo; [Network, Input(1, 4, 4), BatchNorm] public partial class Net { [Conv(2)] Conv2d conv1; [Flatten] Flatten flat; [Linear(8)] Linear fc1; [Linear(2)] Linear fc2; }")]
    [InlineData("namespace Demo; [Network, Input(1, 4, 4)] public partial class Net { [Conv(2)] Conv2d conv1; [Flatten] Flatten flat; [BatchNorm] BatchNorm1d bn; [Linear(2)] Linear fc; }")]
    // Global pooling, then a stage of fully connected blocks.
    [InlineData("namespace Demo; [Block] public partial class D { [Linear] Linear fc1; } [Network, Input(3, 8, 8)] public partial class Net { [Conv(4)] Conv2d conv1; [GlobalAvgPool] AdaptiveAvgPool2d pool; [Stage(Blocks = 2, Channels = 6)] ModuleList<D> layers; [Linear(2)] Linear fc; }")]
    // A member named downsample is fine where no projection is generated.
    [InlineData("namespace Demo; [Block, Residual(Shortcut = Shortcut.Identity)] public partial class B { [Conv] Conv2d conv1; int downsample => 0; }")]
    // An explicit LeakyReLU layer is its own module: its slope may differ from the class policy's.
    [InlineData("namespace Demo; [Network, Input(4), Activation(Nonlinearity.LeakyReLU, NegativeSlope = 0.2)] public partial class Net { [Linear(3)] Linear fc1; [Activation(Nonlinearity.LeakyReLU)] LeakyReLU act; [Linear(2)] Linear fc2; }")]
    // Nested stages: the outer block's stride and output come from them.
    [InlineData("namespace Demo; [Block] public partial class Inner { [Conv] Conv2d conv1; } [Block, Residual] public partial class Outer { [Stage] ModuleList<Inner> inner; }")]
    // Variants: a block named like a variant, keyword names, explicit BatchNorm/activation layers under the axes.
    [InlineData("namespace Demo; [Block, Residual] public partial class Plain { [Linear] Linear fc1; } [Network, Input(4), Variants(Residual = new[] { true, false })] public partial class Net { [Linear(8)] Linear fc; [Stage(Blocks = 2, Channels = 8)] ModuleList<Plain> layers; }")]
    [InlineData("namespace @event.@class; [Block, Residual] public partial class @int { [Linear] Linear fc1; } [Network, Input(4), Variants(Residual = new[] { true, false })] public partial class @object { [Linear(8)] Linear fc; [Stage(Blocks = 2, Channels = 8)] ModuleList<@int> layers; }")]
    [InlineData("namespace Demo; [Block, Residual(Order = UnitOrder.FullPreActivation), BatchNorm, Activation(Nonlinearity.ReLU)] public partial class B { [Conv] Conv2d conv1; } [Network, Input(1, 8, 8), Activation(Nonlinearity.ReLU), Variants(BatchNorm = new[] { BatchNormVariant.AfterConv, BatchNormVariant.None }, Activation = new[] { Nonlinearity.ReLU, Nonlinearity.Tanh })] public partial class Net { [Conv(4), Activation(Nonlinearity.None)] Conv2d conv1; [Stage(Blocks = 2, Channels = 4)] ModuleList<B> layer1; [BatchNorm] BatchNorm2d bn; [Activation(Nonlinearity.ReLU)] ReLU final_relu; [GlobalAvgPool] AdaptiveAvgPool2d pool; [Linear(2)] Linear fc; }")]
    public void Declaration_generates_code_that_compiles_without_warnings(string code)
    {
        var result = GeneratorHarness.Run(Usings + code);
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.NotEmpty(result.Sources);
        Assert.All(result.Sources.Values, s => Assert.DoesNotContain("this stub only keeps", s));
        Assert.Empty(result.CompilationDiagnostics);
    }

    [Fact]
    public void Meaningless_matrix_combinations_are_skipped_with_an_informational_diagnostic()
    {
        var result = GeneratorHarness.Run(Usings + "namespace Demo;\n"
            + "[Block, Residual, BatchNorm, Activation(Nonlinearity.ReLU)] public partial class B { [Linear] Linear fc1; [Linear] Linear fc2; }\n"
            + "[Network, Input(4), Variants(Residual = new[] { true, false }, Order = new[] { UnitOrder.Original, UnitOrder.BnAfterAddition })]\n"
            + "public partial class Net { [Linear(8)] Linear fc; [Stage(Blocks = 2, Channels = 8)] ModuleList<B> layers; [Linear(2)] Linear head; }\n");

        var info = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal(("ND0027", Microsoft.CodeAnalysis.DiagnosticSeverity.Info), (info.Id, info.Severity));
        Assert.Contains("Net.Plain.BnAfterAddition (BnAfterAddition needs a residual addition)", info.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(new[] { "Demo.Net.Variants.Plain_PostAct.g.cs", "Demo.Net.Variants.Residual_BnAfterAddition.g.cs", "Demo.Net.Variants.Residual_PostAct.g.cs" },
            result.Sources.Keys.Where(k => k.Contains(".Variants.") && !k.EndsWith("Variants.g.cs", System.StringComparison.Ordinal)).OrderBy(k => k, System.StringComparer.Ordinal));
        Assert.Empty(result.CompilationDiagnostics);
    }

    [Fact]
    public void Variants_without_BatchNorm_drop_explicit_BatchNorm_layers_and_activation_axes_reach_explicit_activations()
    {
        var result = GeneratorHarness.Run(Usings + "namespace Demo;\n"
            + "[Block, Residual(Order = UnitOrder.FullPreActivation), BatchNorm, Activation(Nonlinearity.ReLU)] public partial class B { [Conv] Conv2d conv1; }\n"
            + "[Network, Input(1, 8, 8), Activation(Nonlinearity.ReLU), Variants(BatchNorm = new[] { BatchNormVariant.AfterConv, BatchNormVariant.None }, Activation = new[] { Nonlinearity.ReLU, Nonlinearity.Tanh })]\n"
            + "public partial class Net { [Conv(4), Activation(Nonlinearity.None)] Conv2d conv1; [Stage(Blocks = 2, Channels = 4)] ModuleList<B> layer1; [BatchNorm] BatchNorm2d bn; [Activation(Nonlinearity.ReLU)] ReLU final_relu; [GlobalAvgPool] AdaptiveAvgPool2d pool; [Linear(2)] Linear fc; }\n");
        var noBnTanh = result.Sources["Demo.Net.Variants.NoBn_Tanh.g.cs"];
        Assert.DoesNotContain("BatchNorm2d", noBnTanh);
        Assert.Contains("final_relu = global::TorchSharp.torch.nn.Tanh()", noBnTanh);
        Assert.Contains("BatchNorm2d", result.Sources["Demo.Net.Variants.BnAfterConv_ReLU.g.cs"]);
    }

    [Fact]
    public void A_network_using_a_cyclic_block_is_not_itself_reported_as_a_cycle()
    {
        var result = GeneratorHarness.Run(Usings + "namespace Demo;\n"
            + "[Block] public partial class B { [Conv] Conv2d conv1; [Stage] ModuleList<B> inner; }\n"
            + "[Network, Input(1, 8, 8)] public partial class Net { [Conv(4)] Conv2d conv1; [Stage(Blocks = 1, Channels = 4)] ModuleList<B> layer1; }\n");

        var cycle = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal("ND0012", cycle.Id);
        Assert.Contains("Block 'B' contains itself through stage 'inner' (B -> B)", cycle.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(result.CompilationDiagnostics);
    }

    [Fact]
    public void Errors_inside_a_block_name_the_layer_once_quoted()
    {
        var result = GeneratorHarness.Run(Usings + "namespace Demo;\n"
            + "[Block] public partial class B { [Conv(Kernel = 7, Padding = 0)] Conv2d conv1; }\n"
            + "[Network, Input(1, 4, 4)] public partial class Net { [Stage(Blocks = 1, Channels = 4)] ModuleList<B> layer1; }\n");

        var d = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal("ND0010", d.Id);
        Assert.StartsWith("'layer1.0.conv1 in block B' maps a [1, 4, 4] input to an empty output", d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }
}
