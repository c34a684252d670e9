using System;
using System.Collections.Generic;
using System.Linq;
using NetDsl.Examples;
using NetDsl.Instrumentation;
using NetDsl.Tests.Generated.Twins;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace NetDsl.Tests.Instrumentation;

[Collection(NetDsl.Tests.Inference.Unfused.Collection)]
public class ProbeTests(ITestOutputHelper output)
{
    static void SetWeights(nn.Module module, string name, float[,] values)
    {
        using var _ = no_grad();
        var p = module.named_parameters().Single(q => q.name == name).parameter;
        p.copy_(tensor(values));
    }

    static TapRecord TapAt(Probe probe, string name) => probe.Current.Taps.Single(t => t.Name == name);

    [Fact]
    public void Residual_gradient_split_matches_the_closed_form()
    {
        // y = x + W2 W1 x, loss = sum(y): dL/dsum = 1, so the shortcut's share is 1 and the branch's is 1 (W2 W1),
        // per sample; the total is 1 (I + W2 W1) (He et al. 2016, eq. 5: the "1 +" term).
        var unit = new LinearResidualUnit(2, 2);
        SetWeights(unit, "fc1.weight", new float[,] { { 1, 2 }, { 0, 1 } });
        SetWeights(unit, "fc2.weight", new float[,] { { 1, 0 }, { 1, 1 } });
        using var probe = Probe.Attach(unit);
        probe.BeginStep(1);
        using var x = tensor(new float[,] { { 1, 0 }, { 0, 1 }, { 2, -1 } }, requires_grad: true);
        unit.call(x).sum().backward();

        var split = Assert.Single(probe.Current.ResidualSplits);
        Assert.Equal("", split.Unit);
        int n = 3;
        Assert.Equal(Math.Sqrt(2 * n), split.ShortcutGradientNorm, 5);        // rows of 1s
        Assert.Equal(Math.Sqrt(n * (2 * 2 + 5 * 5)), split.BranchGradientNorm, 5);  // 1^T W2 W1 = [2, 5]
        Assert.Equal(Math.Sqrt(n * (3 * 3 + 6 * 6)), split.TotalGradientNorm, 5);   // 1^T (I + W2 W1) = [3, 6]
        Assert.Equal(split.TotalGradientNorm, x.grad!.norm().item<float>(), 1e-5);   // LibTorch's float32 norm: 11.6189499, the closed form 11.6189500
        Assert.Equal(Math.Sqrt(2 * n), TapAt(probe, "sum").GradientNorm!.Value, 5);
        // Forward: fc1's output is x W1^T = [[1, 0], [2, 1], [0, -1]]
        var fc1 = TapAt(probe, "fc1");
        Assert.Equal(0.5, fc1.Mean, 6);
        // Sample standard deviation about the mean: sum (x - 0.5)^2 = 5.5 over n - 1 = 5 (without the mean: sqrt(7 / 5) = 1.18).
        Assert.Equal(Math.Sqrt(1.1), fc1.Std, 6);
        Assert.Equal(-1, fc1.Min, 6);
        Assert.Equal(2, fc1.Max, 6);
        Assert.Equal(new[] { "branch_input", "shortcut_input", "fc1", "fc2", "shortcut", "branch", "sum" }, probe.Current.Taps.Select(t => t.Name));
    }

    [Fact]
    public void ReLU_taps_count_dead_and_always_active_units()
    {
        var net = new ReluProbeNet();
        SetWeights(net, "fc1.weight", new float[,] { { 1, 0 }, { -1, 0 }, { 0, 1 } });
        using (no_grad()) net.named_parameters().Single(p => p.name == "fc1.bias").parameter.zero_();
        using var probe = Probe.Attach(net);
        probe.BeginStep(1);
        using var x = tensor(new float[,] { { 1, 1 }, { 2, 1 }, { 1, 2 } });
        using var y = net.call(x);

        // relu(x W^T) = [[1, 0, 1], [2, 0, 1], [1, 0, 2]]: unit 1 never fires, units 0 and 2 always do.
        var relu = TapAt(probe, "relu1");
        Assert.Equal(TapKind.ReluOutput, relu.Kind);
        Assert.Equal(1.0 / 3, relu.DeadFraction!.Value, 6);
        Assert.Equal(2.0 / 3, relu.AlwaysActiveFraction!.Value, 6);
        Assert.Equal(8.0 / 9, relu.Mean, 6);
        // sum x^2 = 12, so sum (x - 8/9)^2 = 12 - 9 (8/9)^2 = 44/9, over n - 1 = 8: variance 11/18.
        Assert.Equal(Math.Sqrt(11.0 / 18), relu.Std, 6);
        Assert.Equal(0, relu.Min);
        Assert.Equal(2, relu.Max);
        Assert.Null(relu.GradientNorm); // no autograd here
    }

    [Fact]
    public void Sigmoid_input_taps_measure_the_near_linear_and_saturated_fractions()
    {
        var net = new SigmoidProbeNet();
        SetWeights(net, "fc1.weight", new float[,] { { 0.5f }, { 3 }, { 10 } });
        using (no_grad()) net.named_parameters().Single(p => p.name == "fc1.bias").parameter.zero_();
        using var probe = Probe.Attach(net);
        probe.BeginStep(1);
        using var y = net.call(ones(4, 1));

        // Inputs of the sigmoid: 0.5 (near-linear), 3 (neither), 10 (saturated: sigmoid'(10) < 1% of 1/4).
        var input = TapAt(probe, "sigmoid1.input");
        Assert.Equal(TapKind.SigmoidInput, input.Kind);
        Assert.Equal(1.0 / 3, input.NearLinearFraction!.Value, 6);
        Assert.Equal(1.0 / 3, input.SaturatedFraction!.Value, 6);
        // 4 samples of (0.5, 3, 10): mean 4.5, sum of squared deviations 4 (16 + 2.25 + 30.25) = 194, over 11.
        Assert.Equal(4.5, input.Mean, 5);
        Assert.Equal(Math.Sqrt(194.0 / 11), input.Std, 5);
        Assert.Equal(1 / (1 + Math.Exp(-10)), TapAt(probe, "sigmoid1").Max, 6);
    }

    [Fact]
    public void Parameter_records_give_gradient_norms_and_the_SGD_update_ratio()
    {
        manual_seed(3);
        var net = new ReluProbeNet();
        var sgd = optim.SGD(net.parameters(), 0.1);
        using var probe = Probe.Attach(net);
        probe.BeginStep(1);
        using var x = randn(5, 2);
        net.call(x).square().mean().backward();
        probe.CaptureGradients();
        var expected = net.named_parameters().ToDictionary(p => p.name, p => (Grad: p.parameter.grad!.norm().item<float>(), W: p.parameter.norm().item<float>()));
        sgd.step();
        probe.CaptureUpdates();

        Assert.Equal(expected.Keys, probe.Current.Parameters.Select(p => p.Name));
        foreach (var p in probe.Current.Parameters)
        {
            Assert.Equal(expected[p.Name].Grad, p.GradientNorm, 5);
            // plain SGD: w' - w = -lr g, so the ratio is lr ||g|| / ||w||
            Assert.Equal(0.1 * expected[p.Name].Grad / expected[p.Name].W, p.UpdateRatio!.Value, 5);
        }
    }

    [Fact]
    public void NaN_in_a_forward_activation_is_reported_with_the_tap_name_and_step()
    {
        var net = new ReluProbeNet();
        using var probe = Probe.Attach(net);
        probe.BeginStep(7);
        using var x = tensor(new float[,] { { float.NaN, 1 } });
        var e = Assert.Throws<NonFiniteException>(() => net.call(x));
        Assert.Equal("fc1", e.Where);
        Assert.Equal(7, e.Step);
        Assert.Contains("'fc1', step 7", e.Message);
    }

    [Fact]
    public void Infinite_gradients_are_reported_after_backward_with_the_tap_name()
    {
        var net = new ReluProbeNet();
        using var probe = Probe.Attach(net, new ProbeOptions { OnNonFinite = NonFinitePolicy.Record });
        probe.BeginStep(4);
        using var x = ones(2, 2);
        using var huge = 1e30f.ToScalar();
        // The loss (1e30 y)^2 has dL/dy = 2e60 y, beyond float32: the gradient arriving at fc2 is infinite.
        net.call(x).mul(huge).square().sum().backward();
        probe.CaptureGradients();
        Assert.Contains(probe.NonFiniteEvents, m => m.StartsWith("step 4: backward at 'fc2'", System.StringComparison.Ordinal));
        probe.Dispose(); // one probe per module

        var strict = Probe.Attach(net);
        strict.BeginStep(5);
        net.call(x).mul(huge).square().sum().backward();
        var e = Assert.Throws<NonFiniteException>(() => strict.CaptureGradients());
        Assert.Equal(("fc2", "backward", 5), (e.Where, e.Pass, e.Step));
        strict.Dispose();
    }

    [Fact]
    public void Attaching_a_probe_changes_no_output_and_no_gradient_bit()
    {
        static (Tensor Output, Dictionary<string, Tensor> Grads) Run(nn.Module<Tensor, Tensor> net, Probe? probe)
        {
            manual_seed(5);
            using var x = randn(4, 1, 28, 28);
            probe?.BeginStep(1);
            net.zero_grad();
            var y = net.call(x);
            y.square().sum().backward();
            return (y.detach().clone(), net.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone()));
        }

        manual_seed(0);
        var net = new ResNet20();
        net.eval(); // fixed statistics: two passes see the same numbers
        // Detached, eval mode folds BatchNorm into the convolutions (rounding differs by about 1e-7); a probe always sees the
        // unfused layers. Unfused on both sides, the probe must change no bit.
        using var unfused = NetDsl.Tests.Inference.Unfused.Scope();
        var detached = Run(net, null);
        using var probe = Probe.Attach(net);
        var attached = Run(net, probe);
        probe.Detach();

        Assert.True(detached.Output.equal(attached.Output).all().item<bool>());
        foreach (var (name, g) in detached.Grads)
            Assert.True(g.equal(attached.Grads[name]).all().item<bool>(), name);
        Assert.Contains(probe.Current.Taps, t => t.Name == "layer3.2.sum" && t.GradientNorm is > 0);
        Assert.Equal(9, probe.Current.ResidualSplits.Count); // 3 stages x 3 units
    }

    [Fact]
    public void Two_hundred_recorded_training_steps_leave_the_live_tensor_count_flat()
    {
        manual_seed(0);
        var net = new PostActNet();
        var sgd = optim.SGD(net.parameters(), 0.01, momentum: 0.9);
        using var probe = Probe.Attach(net);
        using var x = randn(6, 1, 8, 8);
        using var labels = tensor(new long[] { 0, 1, 2, 0, 1, 2 });
        void Step(int i)
        {
            using var scope = NewDisposeScope();
            probe.BeginStep(i);
            sgd.zero_grad();
            nn.functional.cross_entropy(net.call(x), labels).backward();
            probe.CaptureGradients();
            sgd.step();
            probe.CaptureUpdates();
        }
        for (int i = 0; i < 5; i++) Step(i);
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 5; i < 205; i++) Step(i);
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Deep_plain_ReLU_gradients_vanish_geometrically_and_residual_ones_do_not()
    {
        static double[] GradientProfile(nn.Module<Tensor, Tensor> net)
        {
            using var probe = Probe.Attach(net);
            probe.BeginStep(0);
            manual_seed(1);
            using var x = randn(64, 16);
            net.call(x).sum().backward();
            // The gradient at each unit's output, first unit to last.
            return Enumerable.Range(0, 30).Select(i => probe.Current.Taps.Last(t => t.Name.StartsWith($"layers.{i}.", System.StringComparison.Ordinal)).GradientNorm!.Value).ToArray();
        }

        manual_seed(0);
        var plain = GradientProfile(new DeepPlainReluNet());
        manual_seed(0);
        var residual = GradientProfile(new DeepResidualReluNet());
        double plainRatio = plain[0] / plain[29], residualRatio = residual[0] / residual[29];
        output.WriteLine($"||g(layer 0)|| / ||g(layer 29)||: plain {plainRatio:E3}, residual {residualRatio:E3}");

        // Measured on these seeds: plain 5.6e-12 (about 0.42 per layer), residual 6.4: thresholds far from both.
        Assert.True(plainRatio < 1e-4, $"plain ratio {plainRatio:E3}");
        Assert.True(residualRatio > 1, $"residual ratio {residualRatio:E3}");
        // Geometric: the log-norm falls about linearly with depth (each of the last 10 layers shrinks it too).
        for (int i = 20; i < 29; i++) Assert.True(plain[i] < plain[i + 1], $"plain gradient not increasing toward the output at layer {i}");
    }
}
