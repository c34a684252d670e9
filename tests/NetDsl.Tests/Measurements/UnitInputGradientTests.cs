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

/// <summary>Three linear residual units y = x + W2 W1 x behind an identity-initialized input layer: every unit-input gradient has a closed form.</summary>
[Network, Input(2)]
public partial class LinearResidualChain
{
    [Linear(2, Bias = false)] Linear fc_in;
    [Stage(Blocks = 3, Channels = 2)] ModuleList<LinearResidualUnit> layers;
}

/// <summary><see cref="GradientPropagation.UnitInputGradientNorms"/> reads the gradient at each unit's input, first unit first.</summary>
public class UnitInputGradientTests
{
    [Fact]
    public void Unit_input_gradient_norms_follow_the_closed_form_first_unit_first()
    {
        var net = new LinearResidualChain();
        using (no_grad())
        {
            net.get_parameter("fc_in.weight")!.copy_(eye(2));
            for (int k = 0; k < 3; k++)
            {
                net.get_parameter($"layers.{k}.fc1.weight")!.copy_(tensor(new float[,] { { 1, 2 }, { 0, 1 } }));
                net.get_parameter($"layers.{k}.fc2.weight")!.copy_(tensor(new float[,] { { 1, 0 }, { 1, 1 } }));
            }
        }
        using var probe = Probe.Attach(net);
        probe.BeginStep(0);
        using var x = tensor(new float[,] { { 1, 0 }, { 0, 1 }, { 2, -1 } });
        net.call(x).sum().backward();

        // L = sum of the last output: dL/dx at the input of unit k is 1^T (I + A)^(3 - k) per sample, A = W2 W1 = [[1, 2], [1, 3]].
        // 1^T (I + A) = [3, 6]; 1^T (I + A)^2 = [3, 6] (I + A) = [12, 30]; 1^T (I + A)^3 = [12, 30] (I + A) = [54, 144].
        var norms = GradientPropagation.UnitInputGradientNorms(probe.Current, "layers");
        double rows = Math.Sqrt(3); // three samples, each with the same gradient row
        Assert.Equal(new[] { rows * Math.Sqrt(54 * 54 + 144 * 144), rows * Math.Sqrt(12 * 12 + 30 * 30), rows * Math.Sqrt(3 * 3 + 6 * 6) },
            norms, (a, b) => Math.Abs(a - b) <= 1e-4 * a);
        Assert.Throws<ArgumentException>(() => GradientPropagation.UnitInputGradientNorms(probe.Current, "fc_in"));
    }
}
