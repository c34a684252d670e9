using System;
using System.Linq;
using NetDsl.Measurements;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace NetDsl.Tests.Measurements;

/// <summary>Li et al. 2018: around trained weights, a deep plain net's loss rises much faster along a filter-normalized direction than a residual net's.</summary>
public class LandscapeTests(ITestOutputHelper output)
{
    static double[] TrainAndSlice(NetDsl.VariantInfo variant)
    {
        manual_seed(0);
        var net = variant.Create();
        // Regression on a fixed teacher: y = tanh(x . t), 512 samples of 16 Gaussian features.
        using var x = randn(512, 16);
        using var teacher = randn(16, 1);
        using var target = x.matmul(teacher).tanh();
        var sgd = optim.SGD(net.parameters(), 0.002, momentum: 0.9);
        for (int step = 0; step < 150; step++)
        {
            using var scope = NewDisposeScope();
            sgd.zero_grad();
            nn.functional.mse_loss(net.call(x), target).backward();
            sgd.step();
        }
        var d = LossLandscape.FilterNormalizedDirection(net);
        return LossLandscape.Slice1D(net, () => nn.functional.mse_loss(net.call(x), target), d, new[] { 0.0, 0.25, 0.5 });
    }

    [Fact]
    public void A_trained_deep_plain_nets_slice_rises_much_faster_than_a_residual_nets()
    {
        // 20 two-layer units, width 64, BatchNorm, ReLU, 150 SGD steps (lr 0.002, momentum 0.9), eval-mode loss.
        // Measured (seed 0): residual 0.000, 1.549, 17.24 at alpha 0, 0.25, 0.5; plain 0.430, 2.994, 339.8.
        var residual = TrainAndSlice(OrderMatrix.Variants.All.Single(v => v.Name == "OrderMatrix.Residual.PostAct"));
        var plain = TrainAndSlice(OrderMatrix.Variants.All.Single(v => v.Name == "OrderMatrix.Plain.PostAct"));
        output.WriteLine($"residual: {string.Join(", ", residual.Select(v => v.ToString("F3")))}; plain: {string.Join(", ", plain.Select(v => v.ToString("F3")))}");
        double residualRise = residual[2] - residual[0], plainRise = plain[2] - plain[0];
        Assert.True(plainRise > 5 * residualRise, $"rise at alpha 0.5: plain {plainRise:F2}, residual {residualRise:F2}");
    }
}
