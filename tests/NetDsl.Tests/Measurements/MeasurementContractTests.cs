using System;
using System.Linq;
using NetDsl.Instrumentation;
using NetDsl.Measurements;
using NetDsl.Tests.Instrumentation;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace NetDsl.Tests.Measurements;

/// <summary>f: R -> R through Linear(1, 4), BatchNorm1d, ReLU, Linear(4, 1): small enough for a hand computation of df/dx.</summary>
[Network, Input(1), BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class TinyBnScalarNet
{
    [Linear(4)] Linear fc1;
    [Linear(1)] Linear fc2;
}

/// <summary>A stage as the first layer: no tap point precedes its first unit.</summary>
[Network, Input(2)]
public partial class StageFirstNet
{
    [Stage(Blocks = 2, Channels = 2)] ModuleList<LinearResidualUnit> layers;
}

/// <summary>Contracts of the measurements beyond their closed forms: BatchNorm handling, argument checks, unused parameters.</summary>
public class MeasurementContractTests
{
    [Fact]
    public void Input_gradients_use_the_grids_BatchNorm_statistics_as_a_hand_computation_does()
    {
        manual_seed(4);
        var net = new TinyBnScalarNet();
        Initialization.Apply(net, InitScheme.HeFanIn);
        var grid = ShatteredGradients.Grid(16, -1, 3); // not centred: statistics at 0/1 would give other numbers
        net.eval(); // found in eval mode: the statistics pass still runs in training mode, and eval mode is restored
        var g = ShatteredGradients.InputGradients(net, grid);
        Assert.False(net.training);

        // fc1 has no bias: BatchNorm follows it.
        var ps = net.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        double[] W(string name) => ps[name].detach().to_type(ScalarType.Float64).data<double>().ToArray();
        double[] w1 = W("fc1.weight"), b1 = new double[4], gamma = W("bn1.weight"), beta = W("bn1.bias"), w2 = W("fc2.weight");
        // BatchNorm in eval mode with the grid's statistics: the running variance PyTorch keeps is the unbiased one.
        var mean = new double[4];
        var variance = new double[4];
        for (int c = 0; c < 4; c++)
        {
            var h = grid.Select(x => w1[c] * x + b1[c]).ToArray();
            mean[c] = h.Average();
            variance[c] = h.Sum(v => (v - mean[c]) * (v - mean[c])) / (h.Length - 1);
        }
        for (int i = 0; i < grid.Length; i++)
        {
            double want = 0;
            for (int c = 0; c < 4; c++)
            {
                double scale = gamma[c] / Math.Sqrt(variance[c] + 1e-5);
                double z = scale * (w1[c] * grid[i] + b1[c] - mean[c]) + beta[c];
                if (z > 0) want += w2[c] * scale * w1[c];
            }
            Assert.True(Math.Abs(want - g[i]) <= 1e-5 * Math.Max(1, Math.Abs(want)), $"x = {grid[i]}: {g[i]} vs {want}");
        }
        Assert.Equal(16, g.Length);
    }

    [Fact]
    public void Shattering_inputs_are_checked()
    {
        Assert.Contains("at least one point", Assert.Throws<ArgumentOutOfRangeException>(() => ShatteredGradients.Grid(0)).Message);
        Assert.Contains("empty", Assert.Throws<ArgumentOutOfRangeException>(() => ShatteredGradients.Grid(4, 1, 1)).Message);
        Assert.Equal(new[] { 1.0, -0.5 }, ShatteredGradients.Autocorrelation(new[] { 1.0, 2 }, 1)); // two values suffice
        Assert.Equal(new[] { 1.0 }, ShatteredGradients.Autocorrelation(new[] { 1.0, 2, 4 }, 0));   // lag 0 alone
        Assert.Throws<ArgumentNullException>(() => ShatteredGradients.Autocorrelation(null!, 1));
        Assert.Contains("between 0 and 2", Assert.Throws<ArgumentException>(() => ShatteredGradients.Autocorrelation(new[] { 1.0, 2, 4 }, 3)).Message);
        Assert.Contains("between 0 and 2", Assert.Throws<ArgumentException>(() => ShatteredGradients.Autocorrelation(new[] { 1.0, 2, 4 }, -1)).Message);
        Assert.Contains("at least two", Assert.Throws<ArgumentException>(() => ShatteredGradients.Autocorrelation(new[] { 1.0 }, 0)).Message);
        Assert.Contains("constant", Assert.Throws<ArgumentException>(() => ShatteredGradients.Autocorrelation(new[] { 2.0, 2 }, 1)).Message);
        Assert.Throws<ArgumentNullException>(() => ShatteredGradients.Covariance(null!));
        Assert.Contains("at least one repetition", Assert.Throws<ArgumentException>(() => ShatteredGradients.Covariance(Array.Empty<double[]>())).Message);
        Assert.Contains("same number", Assert.Throws<ArgumentException>(() => ShatteredGradients.Covariance(new[] { new[] { 1.0, 2 }, new[] { 1.0 } })).Message);
        // A module whose output is not [M, 1].
        var wide = nn.Sequential(nn.Linear(1, 2));
        Assert.StartsWith("expected an output of shape [256, 1], got [256, 2]", Assert.Throws<ArgumentException>(() => ShatteredGradients.InputGradients(wide)).Message, StringComparison.Ordinal);
        var flat = nn.Sequential(nn.Linear(1, 1), nn.Flatten(0));
        Assert.StartsWith("expected an output of shape [8, 1], got [8]", Assert.Throws<ArgumentException>(() => ShatteredGradients.InputGradients(flat, ShatteredGradients.Grid(8))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Smoothness_and_covariate_shift_check_their_arguments_and_handle_unused_parameters()
    {
        manual_seed(1);
        // fc2 of ReluProbeNet is used; an extra module whose parameters the loss never touches gets zero gradients.
        var used = new ReluProbeNet();
        var net = nn.Sequential(("net", used), ("unused", nn.Linear(2, 2)));
        using var x = randn(6, 2);
        Func<Tensor> loss = () => used.call(x).square().mean();
        var r = Smoothness.Probe(net, loss, new[] { 0.1 });
        var direct = Smoothness.Probe(used, loss, new[] { 0.1 });
        Assert.Equal(direct.GradientNorm, r.GradientNorm, 6); // the unused parameters add nothing
        Assert.Equal(direct.Losses, r.Losses);
        Assert.Contains("positive step size", Assert.Throws<ArgumentException>(() => Smoothness.Probe(net, loss, Array.Empty<double>())).Message);
        Assert.Throws<ArgumentException>(() => Smoothness.Probe(net, loss, new[] { 0.1, 0 }));
        Assert.Throws<ArgumentException>(() => Smoothness.Probe(net, loss, new[] { 0.1, -1 }));

        Assert.Contains("must be positive", Assert.Throws<ArgumentException>(() => CovariateShift.Measure(used, loss, new[] { "fc1.weight" }, 0)).Message);
        Assert.Contains("'fc9.weight' is not a parameter", Assert.Throws<ArgumentException>(() => CovariateShift.Measure(used, loss, new[] { "fc9.weight" }, 0.1)).Message);
    }

    [Fact]
    public void Slices_refuse_directions_that_do_not_match_the_parameters()
    {
        manual_seed(2);
        var net = new ReluProbeNet();
        using var x = randn(6, 2);
        Func<Tensor> loss = () => net.call(x).square().mean();
        var d = LossLandscape.FilterNormalizedDirection(net);
        var shortList = d.Take(3).ToList();
        Assert.Contains("3 tensors but the module has 4", Assert.Throws<ArgumentException>(() => LossLandscape.Slice2D(net, loss, shortList, d, new[] { 0.0 }, new[] { 0.0 })).Message);
        Assert.Contains("3 tensors", Assert.Throws<ArgumentException>(() => LossLandscape.Slice2D(net, loss, d, shortList, new[] { 0.0 }, new[] { 0.0 })).Message);
        var misshaped = d.Select((t, i) => i == 2 ? zeros(5, 5) : t).ToList();
        Assert.Contains("direction tensor 2 has shape [5, 5] but 'fc2.weight' has [1, 3]", Assert.Throws<ArgumentException>(() => LossLandscape.Slice1D(net, loss, misshaped, new[] { 0.0 })).Message);
    }

    [Fact]
    public void Unit_input_gradients_need_a_tap_before_the_stage()
    {
        var net = new StageFirstNet();
        using var probe = Probe.Attach(net);
        probe.BeginStep(0);
        net.call(ones(2, 2)).sum().backward();
        Assert.Contains("no tap point before 'layers.0.'", Assert.Throws<ArgumentException>(() => GradientPropagation.UnitInputGradientNorms(probe.Current, "layers")).Message);
        Assert.Contains("no units of stage 'blocks'", Assert.Throws<ArgumentException>(() => GradientPropagation.UnitInputGradientNorms(probe.Current, "blocks")).Message);
    }
}
