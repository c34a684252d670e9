using System;
using System.Linq;
using Xunit;
using static TorchSharp.torch;

namespace NetDsl.Tests.Layers;

public class NormalizationLayersTests
{
    [Fact]
    public void GroupNorm_starts_at_scale_one_and_shift_zero_and_normalizes_each_group_of_each_sample()
    {
        var gn = NormalizationLayers.GroupNorm(2, 4, eps: 1e-3);
        Assert.Equal(Enumerable.Repeat(1f, 4), gn.weight!.data<float>().ToArray());
        Assert.Equal(Enumerable.Repeat(0f, 4), gn.bias!.data<float>().ToArray());

        // [2, 4, 1, 3]: the groups are channels {0, 1} and {2, 3} of each sample, 6 values each.
        var values = Enumerable.Range(0, 24).Select(i => (float)(i * i % 7 - 3 + 0.5 * i)).ToArray();
        using var x = tensor(values, new long[] { 2, 4, 1, 3 });
        using var y = gn.call(x);
        var actual = y.data<float>().ToArray();
        // Wu & He 2018, eq. 1: (x - mean) / sqrt(var + eps) over each group, the biased variance.
        for (int n = 0; n < 2; n++)
            for (int g = 0; g < 2; g++)
            {
                var group = Enumerable.Range(n * 12 + g * 6, 6).ToArray();
                double mean = group.Average(i => (double)values[i]);
                double variance = group.Average(i => (values[i] - mean) * (values[i] - mean));
                foreach (var i in group)
                    Assert.Equal((values[i] - mean) / Math.Sqrt(variance + 1e-3), actual[i], 5);
            }
    }

    [Theory]
    [InlineData(0, 4, 1e-5, "groups")]
    [InlineData(2, 0, 1e-5, "channels")]
    [InlineData(2, 4, 0.0, "eps")]
    [InlineData(3, 4, 1e-5, "groups")]
    public void GroupNorm_refuses_sizes_PyTorch_refuses_and_names_the_argument(long groups, long channels, double eps, string argument)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => NormalizationLayers.GroupNorm(groups, channels, eps));
        Assert.Equal(argument, e.ParamName);
        if (groups == 3) Assert.StartsWith("4 channels cannot be split into 3 groups: use a group count that divides the channels", e.Message);
        if (eps == 0) Assert.StartsWith("eps must be positive", e.Message, StringComparison.Ordinal);
    }
}
