using System;
using System.Linq;
using NetDsl.Measurements;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace NetDsl.Tests.Measurements;

/// <summary>Each <see cref="InitScheme"/> draws the variance its documentation gives, layer kind by layer kind.</summary>
public class InitializationTests
{
    // conv: 16 in, 32 out, 3x3: fan_in = 144, fan_out = 288 (4,608 weights); fc: 64 in (640 weights).
    static nn.Module<Tensor, Tensor> Net() => nn.Sequential(
        ("conv", nn.Conv2d(16, 32, 3)),
        ("bn2d", nn.BatchNorm2d(32)),
        ("pool", nn.AdaptiveAvgPool2d(1)),
        ("flat", nn.Flatten()),
        ("proj", nn.Linear(32, 64)),
        ("bn1d", nn.BatchNorm1d(64)),
        ("fc", nn.Linear(64, 10)),
        ("plain", nn.BatchNorm1d(10, affine: false)));

    static Tensor P(nn.Module m, string name) => m.named_parameters().Single(p => p.name == name).parameter;

    static double Std(nn.Module m, string name) => P(m, name).std().item<float>();

    static readonly Scalar Three = 3.ToScalar();

    /// <summary>Every parameter 3: whatever the scheme does not set stays 3.</summary>
    static void Scramble(nn.Module m)
    {
        using var _ = no_grad();
        foreach (var (_, p) in m.named_parameters()) p.copy_(full_like(p, Three));
    }

    [Fact]
    public void He_fan_in_draws_conv_and_linear_weights_from_N_0_2_over_fan_in_and_resets_biases_and_BatchNorm()
    {
        manual_seed(0);
        var net = Net();
        Scramble(net);
        Initialization.Apply(net, InitScheme.HeFanIn);
        Assert.InRange(Std(net, "conv.weight"), 0.95 * Math.Sqrt(2.0 / 144), 1.05 * Math.Sqrt(2.0 / 144));
        Assert.InRange(Std(net, "fc.weight"), 0.9 * Math.Sqrt(2.0 / 64), 1.1 * Math.Sqrt(2.0 / 64));
        Assert.InRange(Std(net, "proj.weight"), 0.9 * Math.Sqrt(2.0 / 32), 1.1 * Math.Sqrt(2.0 / 32));
        foreach (var bias in new[] { "conv.bias", "proj.bias", "fc.bias", "bn2d.bias", "bn1d.bias" })
            Assert.Equal(0, P(net, bias).abs().max().item<float>());
        foreach (var scale in new[] { "bn2d.weight", "bn1d.weight" })
            Assert.True(P(net, scale).eq(ones_like(P(net, scale))).all().item<bool>(), scale);
    }

    [Theory]
    [InlineData(InitScheme.HeFanIn)]
    [InlineData(InitScheme.TorchvisionFanOut)]
    public void A_scheme_resets_GroupNorm_and_LayerNorm_to_scale_1_and_shift_0_as_it_does_BatchNorm(InitScheme scheme)
    {
        var net = nn.Sequential(("gn", NormalizationLayers.GroupNorm(2, 4)), ("ln", nn.LayerNorm(new long[] { 4, 3, 3 })));
        Scramble(net);
        Initialization.Apply(net, scheme);
        Assert.Equal(Enumerable.Repeat(1f, 4), P(net, "gn.weight").data<float>().ToArray());
        Assert.Equal(Enumerable.Repeat(0f, 4), P(net, "gn.bias").data<float>().ToArray());
        Assert.Equal(Enumerable.Repeat(1f, 36), P(net, "ln.weight").data<float>().ToArray());
        Assert.Equal(Enumerable.Repeat(0f, 36), P(net, "ln.bias").data<float>().ToArray());
    }

    [Fact]
    public void Torchvision_fan_out_draws_conv_weights_from_N_0_2_over_fan_out_and_leaves_linear_layers_alone()
    {
        manual_seed(1);
        var net = Net();
        Scramble(net);
        var fc = P(net, "fc.weight").detach().clone();
        var fcBias = P(net, "fc.bias").detach().clone();
        Initialization.Apply(net, InitScheme.TorchvisionFanOut);
        Assert.InRange(Std(net, "conv.weight"), 0.95 * Math.Sqrt(2.0 / 288), 1.05 * Math.Sqrt(2.0 / 288));
        Assert.Equal(0, P(net, "conv.bias").abs().max().item<float>());
        Assert.True(P(net, "bn2d.weight").eq(ones_like(P(net, "bn2d.weight"))).all().item<bool>());
        Assert.True(P(net, "fc.weight").equal(fc).all().item<bool>());       // linear layers keep what they had
        Assert.True(P(net, "fc.bias").equal(fcBias).all().item<bool>());
    }

    [Fact]
    public void PyTorch_default_changes_nothing_and_an_undefined_scheme_is_refused()
    {
        manual_seed(2);
        var net = Net();
        var before = net.parameters().Select(p => p.detach().clone()).ToList();
        Initialization.Apply(net, InitScheme.PyTorchDefault);
        Assert.All(net.parameters().Zip(before), p => Assert.True(p.First.equal(p.Second).all().item<bool>()));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Initialization.Apply(net, (InitScheme)7));
        Assert.Equal("scheme", e.ParamName);
        Assert.StartsWith("not an InitScheme", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_scheme_is_described_with_its_formula()
    {
        Assert.Contains("N(0, 2/fan_in)", Initialization.Describe(InitScheme.HeFanIn));
        Assert.Contains("N(0, 2/fan_out)", Initialization.Describe(InitScheme.TorchvisionFanOut));
        Assert.Contains("U(-1/sqrt(fan_in), 1/sqrt(fan_in))", Initialization.Describe(InitScheme.PyTorchDefault));
        Assert.Throws<ArgumentOutOfRangeException>(() => Initialization.Describe((InitScheme)7));
    }
}
