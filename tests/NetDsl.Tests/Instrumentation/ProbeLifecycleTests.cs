using System;
using System.Linq;
using NetDsl.Instrumentation;
using NetDsl.Measurements;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace NetDsl.Tests.Instrumentation;

/// <summary>
/// The probe's per-step protocol (BeginStep, forward, backward, CaptureGradients, optimizer step, CaptureUpdates) when it is
/// followed out of order or repeated, and what an old probe may still do to a module after it let go of it.
/// </summary>
public class ProbeLifecycleTests
{
    [Fact]
    public void A_probe_that_let_go_never_detaches_the_module_from_its_next_probe()
    {
        var net = new ReluProbeNet();
        var old = Probe.Attach(net);
        old.Detach();
        using var current = Probe.Attach(net);
        old.Detach();   // again: it no longer owns the module
        old.Dispose();
        current.BeginStep(1);
        using (var y = net.call(ones(2, 2))) { }
        Assert.Equal(new[] { "fc1", "relu1", "fc2" }, current.Current.Taps.Select(t => t.Name));
        // The module is still taken: the stale Detach did not release it.
        Assert.Throws<InvalidOperationException>(() => Probe.Attach(net));
        Assert.Equal("module", Assert.Throws<ArgumentNullException>(() => Probe.Attach(null!)).ParamName);
    }

    [Fact]
    public void Update_ratios_are_the_step_over_the_weights_even_when_gradients_were_captured_twice()
    {
        // Plain SGD without momentum moves every weight by lr g: ||w_after - w_before|| / ||w_before|| = lr ||g|| / ||w||.
        manual_seed(3);
        var net = new ReluProbeNet();
        using var probe = Probe.Attach(net);
        using var sgd = optim.SGD(net.parameters(), 0.1);
        probe.BeginStep(1);
        net.call(randn(4, 2)).square().sum().backward();
        probe.CaptureGradients();
        probe.CaptureGradients();   // the second capture replaces the first's copies of the weights
        sgd.step();
        probe.CaptureUpdates();
        Assert.Equal(4, probe.Current.Parameters.Count);
        Assert.All(probe.Current.Parameters, p =>
            Assert.True(Math.Abs(p.UpdateRatio!.Value - 0.1 * p.GradientNorm / p.WeightNorm) <= 1e-5 * p.UpdateRatio.Value, $"{p.Name}: {p.UpdateRatio}"));
        // The copies are spent: a second CaptureUpdates in the same step has nothing to compare with.
        var again = Assert.Throws<InvalidOperationException>(probe.CaptureUpdates);
        Assert.StartsWith("call CaptureGradients() after backward and before the optimizer step", again.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Weights_copied_in_one_step_are_not_compared_in_the_next()
    {
        var net = new ReluProbeNet();
        using var probe = Probe.Attach(net);
        probe.BeginStep(1);
        net.call(ones(2, 2)).sum().backward();
        probe.CaptureGradients();   // and no CaptureUpdates in step 1
        probe.BeginStep(2);
        var e = Assert.Throws<InvalidOperationException>(probe.CaptureUpdates);
        Assert.StartsWith("call CaptureGradients() after backward", e.Message, StringComparison.Ordinal);
        Assert.Empty(probe.Current.Parameters);
    }

    [Fact]
    public void History_skips_steps_that_recorded_nothing()
    {
        var net = new ReluProbeNet();
        using var probe = Probe.Attach(net, new ProbeOptions { KeepHistory = true });
        probe.BeginStep(1);   // nothing recorded in step 1
        probe.BeginStep(2);
        using (var y = net.call(ones(2, 2))) { }
        probe.BeginStep(3);
        Assert.Equal(new[] { 2 }, probe.History.Select(h => h.Step));
        Assert.Equal(3, probe.History[0].Taps.Count);
    }

    [Fact]
    public void A_failure_inside_backward_is_raised_once_by_CaptureGradients_with_its_cause()
    {
        // An exception must not cross LibTorch's native backward (it would end the process): the probe keeps it for
        // CaptureGradients. The fault is planted through the public record: a split the probe did not make has no position,
        // so placing the unit's own split in forward order fails inside backward.
        var unit = new LinearResidualUnit(2, 2);
        using var probe = Probe.Attach(unit);
        probe.BeginStep(1);
        probe.Current.ResidualSplits.Add(new ResidualSplitRecord { Unit = "planted" });
        using var x = tensor(new float[,] { { 1, 2 }, { 3, 4 } }, requires_grad: true);
        unit.call(x).sum().backward();
        var e = Assert.Throws<InvalidOperationException>(probe.CaptureGradients);
        Assert.Equal("the probe failed while recording gradients in backward", e.Message);
        Assert.IsType<System.Collections.Generic.KeyNotFoundException>(e.InnerException);
        probe.CaptureGradients();   // raised once: the step goes on
        Assert.Equal(2, probe.Current.Parameters.Count);
    }

    [Fact]
    public void Restoring_a_model_state_twice_is_harmless()
    {
        // IDisposable's contract: Dispose may be called more than once. The second restore must not read freed copies.
        var net = new ReluProbeNet();
        var before = net.parameters().Select(p => p.detach().clone()).ToList();
        var state = new ModelState(net);
        using (no_grad()) foreach (var p in net.parameters()) p.add_(ones_like(p));
        net.eval();
        state.Dispose();
        state.Dispose();
        Assert.True(net.training);
        Assert.All(net.parameters().Zip(before), p => Assert.True(p.First.equal(p.Second).all().item<bool>()));
    }
}
