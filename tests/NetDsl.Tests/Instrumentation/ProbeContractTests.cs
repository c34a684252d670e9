using System;
using System.Linq;
using NetDsl.Instrumentation;
using NetDsl.Tests.Generated.Twins;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace NetDsl.Tests.Instrumentation;

/// <summary>What the probe promises beyond the closed forms of ProbeTests: lifecycle, options, boundaries and memory.</summary>
public class ProbeContractTests
{
    static void Set(nn.Module module, string name, float[,] values)
    {
        using var _ = no_grad();
        module.get_parameter(name)!.copy_(tensor(values));
    }

    static TapRecord TapAt(Probe probe, string name) => probe.Current.Taps.Single(t => t.Name == name);

    [Fact]
    public void A_detached_probe_records_nothing_and_the_module_takes_a_new_one()
    {
        var net = new ReluProbeNet();
        var probe = Probe.Attach(net);
        probe.Detach();
        probe.BeginStep(1);
        using (var y = net.call(ones(2, 2))) { }
        Assert.Empty(probe.Current.Taps);
        using var second = Probe.Attach(net); // the first one released the module
        second.BeginStep(1);
        using (var y = net.call(ones(2, 2))) { }
        Assert.Equal(new[] { "fc1", "relu1", "fc2" }, second.Current.Taps.Select(t => t.Name));
        var e = Assert.Throws<InvalidOperationException>(() => Probe.Attach(net));
        Assert.Contains("ReluProbeNet", e.Message);
        var notGenerated = Assert.Throws<ArgumentException>(() => Probe.Attach(nn.Linear(2, 2)));
        Assert.Contains("has no NetDsl tap points", notGenerated.Message);
    }

    [Fact]
    public void History_keeps_earlier_steps_only_when_asked_and_each_step_starts_empty()
    {
        manual_seed(0);
        var net = new PostActNet();
        using var x = randn(4, 1, 8, 8);
        foreach (var keep in new[] { true, false })
        {
            using var probe = Probe.Attach(net, new ProbeOptions { KeepHistory = keep });
            for (int step = 1; step <= 3; step++)
            {
                probe.BeginStep(step);
                net.zero_grad();
                net.call(x).sum().backward();
                probe.CaptureGradients();
                probe.CaptureGradients(); // twice: the parameter records are replaced, not appended
                Assert.Equal(net.parameters().Count(), probe.Current.Parameters.Count);
                Assert.Equal(2, probe.Current.ResidualSplits.Count); // this step's units only
            }
            Assert.Equal(keep ? new[] { 1, 2 } : Array.Empty<int>(), probe.History.Select(h => h.Step));
            Assert.All(probe.History, h => Assert.Equal(probe.Current.Taps.Count, h.Taps.Count));
        }
    }

    [Fact]
    public void Activation_statistics_follow_the_sampling_options_and_gradients_can_be_off()
    {
        var net = new ReluProbeNet();
        Set(net, "fc1.weight", new float[,] { { 1, 0 }, { -1, 0 }, { 0, 1 } });
        using (no_grad()) net.get_parameter("fc1.bias")!.zero_();
        using var x = tensor(new float[,] { { 1, 1 }, { 2, 1 }, { 1, 2 } }, requires_grad: true);

        // The first sample only: relu(x W^T) = [1, 0, 1] (unit 2 is 0 there, so dead over this sample too).
        using (var probe = Probe.Attach(net, new ProbeOptions { ActivationSamples = 1, Gradients = false }))
        {
            probe.BeginStep(1);
            net.call(x).sum().backward();
            var relu = TapAt(probe, "relu1");
            Assert.Equal(2.0 / 3, relu.Mean, 6);
            Assert.Equal(1.0 / 3, relu.DeadFraction!.Value, 6);
            Assert.Null(relu.GradientNorm); // gradients off
        }
        // Statistics every 2nd step: step 3 has none, step 4 has them.
        using (var probe = Probe.Attach(net, new ProbeOptions { ActivationEvery = 2 }))
        {
            probe.BeginStep(3);
            using (var y = net.call(x)) { }
            Assert.Equal(0, TapAt(probe, "relu1").Mean);
            probe.BeginStep(4);
            using (var y = net.call(x)) { }
            Assert.Equal(8.0 / 9, TapAt(probe, "relu1").Mean, 6);
        }
    }

    [Fact]
    public void Taps_that_repeat_another_taps_tensor_record_only_gradients()
    {
        var unit = new LinearResidualUnit(2, 2);
        using var probe = Probe.Attach(unit);
        probe.BeginStep(1);
        using var x = tensor(new float[,] { { 1, 2 }, { 3, 4 } }, requires_grad: true);
        unit.call(x).sum().backward();
        foreach (var name in new[] { "branch_input", "shortcut_input", "shortcut", "branch" })
        {
            var tap = TapAt(probe, name);
            Assert.True((tap.Mean, tap.Std, tap.Min, tap.Max) == (0, 0, 0, 0), $"{name} has statistics");
            Assert.True(tap.GradientNorm > 0, $"{name} has no gradient");
        }
        Assert.NotEqual(0, TapAt(probe, "sum").Std); // the unit's output is measured
    }

    [Fact]
    public void Sigmoid_and_tanh_fractions_use_their_own_thresholds_and_the_open_unit_interval()
    {
        // tanh' < 1% of its maximum beyond |x| = 2.993, sigmoid' beyond 5.987: an input of 4 saturates tanh only.
        // |x| < 1 is near-linear: exactly 1 is not.
        var tanhNet = new TanhProbeNet();
        Set(tanhNet, "fc1.weight", new float[,] { { 1 }, { 4 }, { 0.5f } });
        using (no_grad()) tanhNet.get_parameter("fc1.bias")!.zero_();
        using var probe = Probe.Attach(tanhNet);
        probe.BeginStep(1);
        using (var y = tanhNet.call(ones(2, 1))) { }
        var input = TapAt(probe, "tanh1.input");
        Assert.Equal(TapKind.TanhInput, input.Kind);
        Assert.Equal(1.0 / 3, input.NearLinearFraction!.Value, 6);   // 0.5 only (1 is on the boundary)
        Assert.Equal(1.0 / 3, input.SaturatedFraction!.Value, 6);    // 4 only
        Assert.Null(input.DeadFraction);                             // ReLU fractions stay empty on other kinds
        Assert.Null(input.AlwaysActiveFraction);
    }

    [Fact]
    public void A_single_element_has_no_standard_deviation()
    {
        var net = new TanhProbeNet();
        using var probe = Probe.Attach(net);
        probe.BeginStep(1);
        using (var y = net.call(ones(1, 1))) { }
        Assert.True(double.IsNaN(TapAt(probe, "fc2").Std)); // n - 1 = 0
        Assert.False(double.IsNaN(TapAt(probe, "fc1").Std)); // 3 elements
    }

    [Fact]
    public void An_infinite_activation_is_reported_like_a_NaN()
    {
        var net = new ReluProbeNet();
        using var probe = Probe.Attach(net);
        probe.BeginStep(2);
        using var x = tensor(new float[,] { { float.PositiveInfinity, 1 } });
        var e = Assert.Throws<NonFiniteException>(() => net.call(x));
        Assert.Equal(("fc1", "forward", 2), (e.Where, e.Pass, e.Step));
    }

    [Fact]
    public void A_NaN_parameter_gradient_is_reported_with_the_parameter_name_and_zero_weights_have_no_update_ratio()
    {
        // Fixed weights, every ReLU unit active at x = (1, 1): with random ones (this test drew from whatever generator state
        // the tests before it left) all three units can be dead, fc1 then has no gradient and no update (it failed that way
        // once under Stryker, which runs the tests in another order).
        var net = new ReluProbeNet();
        Set(net, "fc1.weight", new float[,] { { 1, 0 }, { 0, 1 }, { 1, 1 } });
        Set(net, "fc2.weight", new float[,] { { 1, -1, 0.5f } });
        using (no_grad()) net.get_parameter("fc1.bias")!.zero_();
        using (no_grad()) net.get_parameter("fc2.bias")!.zero_();
        using var probe = Probe.Attach(net);
        probe.BeginStep(3);
        net.call(ones(2, 2)).sum().backward();
        var sgd = optim.SGD(net.parameters(), 0.1);
        probe.CaptureGradients();
        sgd.step();
        probe.CaptureUpdates();
        Assert.True(double.IsNaN(probe.Current.Parameters.Single(p => p.Name == "fc2.bias").UpdateRatio!.Value)); // ||w|| = 0
        Assert.True(probe.Current.Parameters.Single(p => p.Name == "fc1.weight").UpdateRatio > 0);

        probe.BeginStep(4);
        using (no_grad()) net.get_parameter("fc1.weight")!.grad![0, 0] = float.NaN; // a gradient no tap saw
        var e = Assert.Throws<NonFiniteException>(probe.CaptureGradients);
        Assert.Equal(("fc1.weight", "parameter gradient", 4), (e.Where, e.Pass, e.Step));
        Assert.Throws<InvalidOperationException>(probe.CaptureUpdates); // no snapshot: CaptureGradients failed
    }
}
