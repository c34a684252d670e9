using System.Linq;
using NetDsl.Examples;
using NetDsl.Instrumentation;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace NetDsl.Tests.Variants;

/// <summary>Variant matrices: one definition, several generated module types, each with its own forward.</summary>
public class VariantTests
{
    [Fact]
    public void Registry_lists_every_combination_with_stable_names_and_settings()
    {
        var names = BnResidualMatrix.Variants.All.Select(v => v.Name).ToArray();
        Assert.Equal(new[]
        {
            "BnResidualMatrix.Residual.BnAfterConv", "BnResidualMatrix.Residual.BnAfterActivation", "BnResidualMatrix.Residual.NoBn",
            "BnResidualMatrix.Plain.BnAfterConv", "BnResidualMatrix.Plain.BnAfterActivation", "BnResidualMatrix.Plain.NoBn",
        }, names);
        var plainNoBn = BnResidualMatrix.Variants.All[5];
        Assert.Equal("off", plainNoBn.Settings["Residual"]);
        Assert.Equal("NoBn", plainNoBn.Settings["BatchNorm"]);
        Assert.Equal(plainNoBn.Name, plainNoBn.Summary.Name);
    }

    [Fact]
    public void Every_variant_builds_runs_and_matches_its_compile_time_summary()
    {
        foreach (var variant in BnResidualMatrix.Variants.All.Concat(PreActMatrix.Variants.All))
        {
            manual_seed(0);
            var net = variant.Create();
            Assert.Equal(variant.Summary.TotalParameters, net.parameters().Sum(p => p.numel()));
            net.eval();
            using var _ = no_grad();
            using var y = net.call(randn(2, 1, 28, 28));
            Assert.Equal(new long[] { 2, 10 }, y.shape);
        }
    }

    [Fact]
    public void Axes_change_the_structure_as_named()
    {
        var keys = BnResidualMatrix.Variants.All.ToDictionary(v => v.Name.Split('.', 2)[1], v => v.Create().state_dict().Keys.ToHashSet());
        // Residual variants project where the shape changes; plain ones have no shortcut at all.
        Assert.Contains("layer2.0.downsample.0.weight", keys["Residual.BnAfterConv"]);
        Assert.DoesNotContain(keys["Plain.BnAfterConv"], k => k.Contains("downsample"));
        // No BatchNorm anywhere in NoBn variants (and the convolutions get their bias back).
        Assert.DoesNotContain(keys["Residual.NoBn"], k => k.Contains("running_mean"));
        Assert.Contains("layer1.0.conv1.bias", keys["Residual.NoBn"]);
        Assert.DoesNotContain("layer1.0.conv1.bias", keys["Residual.BnAfterConv"]);

        // BatchNorm after the activation: the generated forward applies relu before bn.
        var source = BnResidualMatrix.Variants.All.Single(v => v.Name.EndsWith("Residual.BnAfterActivation", System.StringComparison.Ordinal)).ForwardSource;
        int relu = source.IndexOf("this.relu.call(branch)", System.StringComparison.Ordinal), bn = source.IndexOf("this.bn1.call(branch)", System.StringComparison.Ordinal);
        Assert.True(relu >= 0 && bn > relu, source);
        Assert.NotEqual(BnResidualMatrix.Variants.All[0].ForwardSource, BnResidualMatrix.Variants.All[3].ForwardSource);
    }

    [Fact]
    public void PreActivation_and_depth_axes_follow_He_et_al_2016()
    {
        var all = PreActMatrix.Variants.All.ToDictionary(v => v.Name, v => v);
        Assert.Equal(new[] { "PreActMatrix.PostAct.Depth1", "PreActMatrix.PostAct.Depth3", "PreActMatrix.PreAct.Depth1", "PreActMatrix.PreAct.Depth3" }, all.Keys);
        var preAct = all["PreActMatrix.PreAct.Depth3"].Create().state_dict().Keys.ToHashSet();
        var postAct = all["PreActMatrix.PostAct.Depth3"].Create().state_dict().Keys.ToHashSet();
        // Pre-activation: no BatchNorm on the stem, a final BN after the last unit, each unit starting with BN of its input.
        Assert.DoesNotContain("bn1.weight", preAct);
        Assert.Contains("bn_final.weight", preAct);
        Assert.Contains("bn1.weight", postAct);
        Assert.DoesNotContain("bn_final.weight", postAct);
        Assert.Contains("layer1.2.conv2.weight", preAct);
        Assert.DoesNotContain(all["PreActMatrix.PreAct.Depth1"].Create().state_dict().Keys, k => k.StartsWith("layer1.1.", System.StringComparison.Ordinal));
        var rows = all["PreActMatrix.PreAct.Depth1"].Summary.Layers;
        Assert.Equal("layer2.0.bn1", rows[rows.ToList().FindIndex(r => r.Name == "layer1.0.conv2") + 1].Name); // nothing after the sum
    }

    [Fact]
    public void Probes_attach_to_variants_like_to_declared_networks()
    {
        var net = BnResidualMatrix.Variants.All[0].Create();
        using var probe = Probe.Attach(net);
        probe.BeginStep(1);
        using var x = randn(2, 1, 28, 28);
        net.call(x).sum().backward();
        Assert.Contains(probe.Current.Taps, t => t.Name == "layer2.1.sum" && t.GradientNorm > 0);
        Assert.Equal(4, probe.Current.ResidualSplits.Count);
    }
}
