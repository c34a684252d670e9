using System;
using System.Collections.Generic;
using System.Linq;
using NetDsl.Measurements;
using NetDsl.Tests.Generated.Constructs;
using NetDsl.Tests.Generated.Edges;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace NetDsl.Tests.InitFamily;

/// <summary>The initialization family (<see cref="Init"/>): the initial weights against the papers' formulas, and each residual unit at step 0.</summary>
public class InitsTests
{
    static Tensor Param(nn.Module m, string name) => m.named_parameters().Single(p => p.name == name).parameter;
    static nn.Module<Tensor, Tensor> Child(nn.Module m, string name) => (nn.Module<Tensor, Tensor>)m.named_modules().Single(c => c.name == name).module;
    static double Std(Tensor t) => t.to_type(ScalarType.Float64).std().item<double>();

    [Theory]
    [InlineData(9, 2, 1.0 / 3)]            // L^(-1/2) for the basic block
    [InlineData(16, 3, 0.5)]               // L^(-1/4) for a bottleneck: 16^(-1/4)
    [InlineData(54, 1, 1.0)]               // one layer per branch: nothing to scale
    public void The_Fixup_factor_is_L_to_the_minus_one_over_2m_minus_2(int branches, int layers, double expected) =>
        Assert.Equal(expected, Inits.FixupScale(branches, layers), 12);

    [Fact]
    public void Fixup_starts_the_last_layer_of_each_branch_and_the_classifier_at_zero_and_scales_the_other_branch_layers_by_L_to_the_minus_half()
    {
        manual_seed(3);
        var net = new FixupWideNet(); // 4 residual branches of 2 convolutions, 32 channels
        Assert.Equal(Init.Fixup, ((IDeclaresInit)net).Init);
        double he = Math.Sqrt(2.0 / (32 * 9));  // He normal on fan_out = out-channels x kernel area
        var first = Enumerable.Range(0, 4).Select(b => Param(net, $"layer1.{b}.conv1.weight")).ToList();
        // 4 x 9,216 draws: the standard deviation is known to about 0.4%.
        Assert.Equal(he * 0.5, Std(cat(first.Select(w => w.flatten()).ToList())), 0.03 * he * 0.5);
        for (int b = 0; b < 4; b++)
        {
            Assert.Equal(0, Param(net, $"layer1.{b}.conv2.weight").abs().max().item<float>());
            Assert.Equal(1f, Param(net, $"layer1.{b}.scale").item<float>());
            foreach (var bias in new[] { "bias1a", "bias1b", "bias2a", "bias2b" }) Assert.Equal(0f, Param(net, $"layer1.{b}.{bias}").item<float>());
        }
        Assert.Equal(0, Param(net, "fc.weight").abs().max().item<float>());
        Assert.Equal(0, Param(net, "fc.bias").abs().max().item<float>());
        // The stem is outside the branches: He, unscaled (864 draws: about 2.4%).
        Assert.Equal(he, Std(Param(net, "conv1.weight")), 0.1 * he);
        // So the network's output at step 0 is exactly zero.
        using var logits = net.call(randn(2, 3, 8, 8));
        Assert.Equal(0, logits.abs().max().item<float>());
    }

    public static IEnumerable<object[]> ZeroBranchVariants() =>
        InitMatrixNet.Variants.All.Where(v => v.Settings["Init"] is "ZeroGamma" or "Fixup" or "SkipInit").Select(v => new object[] { v.Name });

    [Theory]
    [MemberData(nameof(ZeroBranchVariants))]
    public void A_zero_initialized_branch_makes_each_residual_unit_its_shortcut_at_step_0(string name)
    {
        var variant = InitMatrixNet.Variants.All.Single(v => v.Name == name);
        manual_seed(4);
        using var net = variant.Create();
        net.train();
        using var x = randn(4, 4, 8, 8);
        // layer1.0 keeps 4 channels at stride 1: an identity shortcut, so the unit is relu(0 + x).
        using var y = Child(net, "layer1.0").call(x);
        Assert.Equal(0, (y - x.relu()).abs().max().item<float>());
        // The plain counterpart of the claim: the same unit under HeFanIn is not its shortcut.
        var he = InitMatrixNet.Variants.All.Single(v => v.Settings["Init"] == "HeFanIn" && v.Settings["Normalization"] == variant.Settings["Normalization"]);
        manual_seed(4);
        using var other = he.Create();
        using var z = Child(other, "layer1.0").call(x);
        Assert.True((z - x.relu()).abs().max().item<float>() > 0.1f);
    }

    [Fact]
    public void Zero_gamma_zeroes_the_scale_of_the_normalization_ending_each_branch_only()
    {
        var variant = InitMatrixNet.Variants.All.Single(v => v.Name == "InitMatrixNet.BatchNorm.ZeroGamma");
        using var net = variant.Create();
        foreach (var unit in new[] { "layer1.0", "layer2.0" })
        {
            Assert.Equal(0, Param(net, unit + ".bn2.weight").abs().max().item<float>());
            Assert.Equal(1f, Param(net, unit + ".bn1.weight").min().item<float>());
            Assert.Equal(0, Param(net, unit + ".bn2.bias").abs().max().item<float>());
        }
        Assert.Equal(1f, Param(net, "layer2.0.downsample.1.weight").min().item<float>()); // the projection's BatchNorm is not the branch's
        // torchvision's fan-out: conv2 of layer2.0 has fan_out 6 x 9 and fan_in 6 x 9, but layer2.0.conv1 has fan_in 4 x 9, fan_out 6 x 9.
        Assert.Equal(Math.Sqrt(2.0 / 54), Std(Param(net, "layer2.0.conv1.weight")), 0.25 * Math.Sqrt(2.0 / 54));
    }

    [Fact]
    public void A_declared_initialization_is_kept_when_a_comparison_applies_its_own()
    {
        var fixup = InitMatrixNet.Variants.All.Single(v => v.Name == "InitMatrixNet.NoNorm.Fixup");
        using var net = fixup.Create();
        Initialization.Apply(net, InitScheme.HeFanIn);
        Assert.Equal(0, Param(net, "fc.weight").abs().max().item<float>());
        Assert.Equal("Fixup (declared)", Initialization.Applied(net, InitScheme.HeFanIn));
        using var plain = new ProjectionNet(); // declares nothing: the comparison's scheme applies
        Assert.Equal("HeFanIn", Initialization.Applied(plain, InitScheme.HeFanIn));
        // The report reads the declared scheme back from the name; a comparison's scheme is not a declared one.
        Assert.Equal("Fixup", Initialization.Declared("Fixup (declared)"));
        Assert.Null(Initialization.Declared("HeFanIn"));
    }

    [Fact]
    public void A_scheme_for_residual_branches_on_a_network_without_them_is_refused_with_the_fix()
    {
        using var net = new CnnWithDenseHead();
        var e = Assert.Throws<ArgumentException>(() => Inits.Apply(net, Init.ZeroGamma));
        Assert.Contains("acts on residual branches, and 'CnnWithDenseHead' has no residual units: use HeFanIn or HeFanOut", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Inits.Apply(net, (Init)42));
        Assert.Equal("network", Assert.Throws<ArgumentNullException>(() => Inits.Apply(null!, Init.HeFanIn)).ParamName);
        var undefined = Assert.Throws<ArgumentOutOfRangeException>(() => Inits.Apply(net, (Init)42));
        Assert.Equal("init", undefined.ParamName);
        Assert.StartsWith("not an Init", undefined.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Zero_gamma_on_units_whose_branch_ends_without_a_normalization_is_refused_with_the_fix()
    {
        // The Init axis never pairs ZeroGamma with NoNorm, but Inits.Apply can be called on any network: the SkipInit variant's units
        // expose their branches (IResidualUnit), which end without a scale to zero.
        using var net = InitMatrixNet.Variants.All.Single(v => v.Name == "InitMatrixNet.NoNorm.SkipInit").Create();
        var e = Assert.Throws<ArgumentException>(() => Inits.Apply(net, Init.ZeroGamma));
        Assert.Equal("network", e.ParamName);
        Assert.StartsWith("Init.ZeroGamma needs a normalization with a scale at the end of each residual branch, and a unit of 'InitMatrixNet.NoNorm.SkipInit' has none: " +
                          "use a unit order that ends the branch with one (Original, ReluBeforeAddition, ReluOnlyPreActivation), or Init.SkipInit", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("PyTorchDefault", false, false, 1 / 1.7320508075688772)]   // U(-1/sqrt(fan_in), 1/sqrt(fan_in)): sd 1/sqrt(3 fan_in)
    [InlineData("HeFanIn", true, true, 1.4142135623730951)]                 // N(0, 2/fan_in)
    [InlineData("SkipInit", true, true, 1.4142135623730951)]                // SkipInit's branch weights are He fan-in too
    [InlineData("HeFanOut", true, false, 0)]                                // N(0, 2/fan_out): checked per layer below
    public void Each_Init_draws_the_convolutions_and_the_classifier_its_scheme_gives(string init, bool convBiasesZero, bool classifierReset, double sdTimesSqrtFanIn)
    {
        manual_seed(5);
        using var net = InitMatrixNet.Variants.All.Single(v => v.Name == $"InitMatrixNet.NoNorm.{init}").Create();
        var convs = net.named_modules().Where(m => m.module is Conv2d).Select(m => (Conv2d)m.module).ToList();
        Assert.Equal(6, convs.Count);   // stem, 2 x 2 in the units, the projection
        // Biases: a scheme sets them to exactly 0; PyTorch's default draws them.
        Assert.All(convs, c => Assert.Equal(convBiasesZero, c.bias!.abs().max().item<float>() == 0));
        Assert.Equal(classifierReset, Param(net, "fc.bias").abs().max().item<float>() == 0);
        // Weights: every convolution's values divided by the scheme's standard deviation, pooled (1,000 draws: about 2% to 3%).
        var scaled = convs.SelectMany(c =>
        {
            var w = c.weight!;
            double fanIn = w.shape[1] * w.shape[2] * w.shape[3], fanOut = w.shape[0] * w.shape[2] * w.shape[3];
            double sd = init == "HeFanOut" ? Math.Sqrt(2 / fanOut) : sdTimesSqrtFanIn / Math.Sqrt(fanIn);
            return w.data<float>().ToArray().Select(v => v / sd);
        }).ToList();
        double mean = scaled.Average();
        Assert.Equal(1.0, Math.Sqrt(scaled.Sum(v => (v - mean) * (v - mean)) / (scaled.Count - 1)), 0.1);
    }

    [Fact]
    public void The_Init_axis_skips_zero_gamma_without_normalization_and_Fixup_with_it_and_states_each_variants_scheme()
    {
        Assert.Equal(new[]
        {
            "InitMatrixNet.BatchNorm.PyTorchDefault", "InitMatrixNet.BatchNorm.HeFanIn", "InitMatrixNet.BatchNorm.HeFanOut", "InitMatrixNet.BatchNorm.ZeroGamma", "InitMatrixNet.BatchNorm.SkipInit",
            "InitMatrixNet.NoNorm.PyTorchDefault", "InitMatrixNet.NoNorm.HeFanIn", "InitMatrixNet.NoNorm.HeFanOut", "InitMatrixNet.NoNorm.Fixup", "InitMatrixNet.NoNorm.SkipInit",
        }, InitMatrixNet.Variants.All.Select(v => v.Name));
        foreach (var v in InitMatrixNet.Variants.All)
        {
            using var net = v.Create();
            Assert.Equal(Enum.Parse<Init>(v.Settings["Init"]), ((IDeclaresInit)net).Init);
            Assert.Equal(net.parameters().Sum(p => p.numel()), v.Summary.TotalParameters);
        }
        // 1,041 with BatchNorm (NormMatrixNet without its explicit bn), 1,011 without; SkipInit adds one alpha per unit; Fixup drops the
        // convolutions' biases (112 - 4, 148 - 4 ...) and adds 5 scalars per unit, 1 after the stem and 1 before fc.
        var counts = InitMatrixNet.Variants.All.ToDictionary(v => v.Name, v => v.Summary.TotalParameters);
        Assert.Equal(1041, counts["InitMatrixNet.BatchNorm.HeFanIn"]);
        Assert.Equal(1043, counts["InitMatrixNet.BatchNorm.SkipInit"]);
        Assert.Equal(1013, counts["InitMatrixNet.NoNorm.SkipInit"]);
        Assert.Equal(108 + 1 + (144 + 144 + 5) + (216 + 324 + 5 + 24) + (21 + 1), counts["InitMatrixNet.NoNorm.Fixup"]);
    }
}
