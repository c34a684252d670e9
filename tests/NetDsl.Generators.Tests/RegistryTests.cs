using System;
using System.Linq;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace NetDsl.Generators.Tests;

/// <summary>The variant registry <c>Net.Variants.All</c> passes each variant's settings typed: the runtime's enum members, at every language version the generated code supports.</summary>
public class RegistryTests
{
    const string Code = "using NetDsl;\nusing TorchSharp.Modules;\nnamespace Axes {\n"
        + "[Block, Residual, BatchNorm, Activation(Nonlinearity.ReLU)] public partial class Unit { [Conv(Kernel = 3)] Conv2d conv1; [Conv(Kernel = 3)] Conv2d conv2; }\n"
        + "[Network, Input(1, 8, 8), BatchNorm, Activation(Nonlinearity.ReLU), Variants(Residual = new[] { true, false }, BatchNorm = new[] { BatchNormVariant.AfterConv, BatchNormVariant.AfterActivation, BatchNormVariant.None })]\n"
        + "public partial class Bn { [Conv(4)] Conv2d conv1; [Stage(Blocks = 1, Channels = 4)] ModuleList<Unit> layer1; [GlobalAvgPool] AdaptiveAvgPool2d pool; [Linear(2)] Linear fc; }\n"
        + "[Network, Input(1, 8, 8), BatchNorm, Activation(Nonlinearity.ReLU), Variants(Normalization = new[] { NormalizationVariant.BatchNorm, NormalizationVariant.GroupNorm, NormalizationVariant.LayerNorm, NormalizationVariant.InstanceNorm, NormalizationVariant.None }, Groups = 2)]\n"
        + "public partial class Norm { [Conv(4)] Conv2d conv1; [Stage(Blocks = 1, Channels = 4)] ModuleList<Unit> layer1; [GlobalAvgPool] AdaptiveAvgPool2d pool; [Linear(2)] Linear fc; }\n"
        + "[Network, Input(1, 8, 8), BatchNorm, Activation(Nonlinearity.ReLU), Variants(Order = new[] { UnitOrder.Original, UnitOrder.BnAfterAddition, UnitOrder.ReluBeforeAddition, UnitOrder.ReluOnlyPreActivation, UnitOrder.FullPreActivation }, Depth = new[] { 1, 12 })]\n"
        + "public partial class Order { [Conv(4)] Conv2d conv1; [Stage(Blocks = 1, Channels = 4)] ModuleList<Unit> layer1; [GlobalAvgPool] AdaptiveAvgPool2d pool; [Linear(2)] Linear fc; }\n"
        + "[Network, Input(1, 8, 8), BatchNorm, Activation(Nonlinearity.ReLU), Variants(Normalization = new[] { NormalizationVariant.BatchNorm, NormalizationVariant.None }, Init = new[] { Init.PyTorchDefault, Init.HeFanIn, Init.HeFanOut, Init.ZeroGamma, Init.Fixup, Init.SkipInit })]\n"
        + "public partial class Start { [Conv(4)] Conv2d conv1; [Stage(Blocks = 1, Channels = 4)] ModuleList<Unit> layer1; [GlobalAvgPool] AdaptiveAvgPool2d pool; [Linear(2)] Linear fc; }\n"
        + "[Network, Input(6), Variants(Activation = new[] { Nonlinearity.None, Nonlinearity.ReLU, Nonlinearity.LeakyReLU, Nonlinearity.Sigmoid, Nonlinearity.Tanh, Nonlinearity.GELU })]\n"
        + "public partial class Act { [Linear(4)] Linear fc1; [Linear(2)] Linear fc2; }\n"
        + "}";

    [Theory]
    [InlineData(LanguageVersion.CSharp7_3)]
    [InlineData(LanguageVersion.Latest)]
    public void Every_value_of_every_axis_is_passed_as_the_runtimes_enum_member(LanguageVersion version)
    {
        var result = GeneratorHarness.Run(new CSharpParseOptions(version), Code);
        Assert.Empty(result.GeneratorDiagnostics.Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        Assert.True(!result.InGeneratedFiles.Any(), string.Join("; ", result.InGeneratedFiles));
        string Registry(string network) => result.Sources.Single(s => s.Key.StartsWith($"Axes.{network}.Variants.", StringComparison.Ordinal) && s.Value.Contains("IReadOnlyList<global::NetDsl.VariantInfo> All")).Value;
        string[] Typed(string network) => Registry(network).Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("new global::NetDsl.VariantSettings(", StringComparison.Ordinal)).ToArray();
        const string B = "global::NetDsl.BatchNormVariant.", N = "global::NetDsl.NormalizationVariant.", I = "global::NetDsl.Init.", O = "global::NetDsl.UnitOrder.", A = "global::NetDsl.Nonlinearity.";
        Assert.Equal(new[] { true, false }.SelectMany(r => new[] { "AfterConv", "AfterActivation", "None" }.Select(b => $"new global::NetDsl.VariantSettings(residual: {(r ? "true" : "false")}, batchNorm: {B}{b}),")), Typed("Bn"));
        Assert.Equal(new[] { "BatchNorm", "GroupNorm", "LayerNorm", "InstanceNorm", "None" }.Select(n => $"new global::NetDsl.VariantSettings(normalization: {N}{n}),"), Typed("Norm"));
        // Zero-gamma without normalization and Fixup with it are skipped (ND0027).
        Assert.Equal(new[] { "PyTorchDefault", "HeFanIn", "HeFanOut", "ZeroGamma", "SkipInit" }.Select(i => $"new global::NetDsl.VariantSettings(normalization: {N}BatchNorm, init: {I}{i}),")
            .Concat(new[] { "PyTorchDefault", "HeFanIn", "HeFanOut", "Fixup", "SkipInit" }.Select(i => $"new global::NetDsl.VariantSettings(normalization: {N}None, init: {I}{i}),")), Typed("Start"));
        Assert.Equal(new[] { "Original", "BnAfterAddition", "ReluBeforeAddition", "ReluOnlyPreActivation", "FullPreActivation" }
            .SelectMany(o => new[] { 1, 12 }.Select(d => $"new global::NetDsl.VariantSettings(order: {O}{o}, depth: {d}),")), Typed("Order"));
        Assert.Equal(Enum.GetNames<Nonlinearity>().Select(a => $"new global::NetDsl.VariantSettings(activation: {A}{a}),"), Typed("Act"));
        Assert.DoesNotContain(result.Sources.Values, s => s.Contains("#error", StringComparison.Ordinal));
    }

    [Fact]
    public void A_project_type_in_place_of_VariantSettings_gets_ND0037_instead_of_a_registry_that_does_not_compile()
    {
        var result = GeneratorHarness.Run(Code + "\nnamespace NetDsl { public class VariantSettings { } }");
        var d = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal("ND0037", d.Id);
        Assert.Contains("which takes the place of 'NetDsl.VariantSettings'", d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(result.Sources);
    }
}
