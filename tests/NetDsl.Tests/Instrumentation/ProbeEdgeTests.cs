using System;
using System.Linq;
using NetDsl.Instrumentation;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace NetDsl.Tests.Instrumentation;

/// <summary>Probe behaviour found by trying to break it.</summary>
public class ProbeEdgeTests
{
    /// <summary>A probe on a fresh <see cref="ProbeEdgeNet"/> (seed 0) that has recorded one forward and backward pass of step 1.</summary>
    static (ProbeEdgeNet Net, Probe Probe, Tensor X) AttachAndBackward()
    {
        manual_seed(0);
        var net = new ProbeEdgeNet();
        var probe = Probe.Attach(net);
        probe.BeginStep(1);
        var x = randn(5, 6);
        net.call(x).sum().backward();
        return (net, probe, x);
    }

    [Fact]
    public void Tap_names_are_unique_and_every_activation_input_tap_gets_a_gradient()
    {
        var (net, probe, x) = AttachAndBackward();
        using var _ = probe;
        using var __ = x;
        var names = probe.Current.Taps.Select(t => t.Name).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.Contains("a.0.relu1_out", names);                    // ReLU-only pre-activation: relu1 on the unit's input, relu1_out after fc1
        Assert.All(probe.Current.Taps.Where(t => t.Kind == TapKind.TanhInput), t => Assert.NotNull(t.GradientNorm));
        // Residual splits in forward order.
        Assert.Equal(new[] { "a.0", "a.1", "b.0", "b.1", "c.0", "c.0.inner.0", "c.1", "c.1.inner.0", "c.2", "c.2.inner.0" }, probe.Current.ResidualSplits.Select(r => r.Unit));
    }

    [Fact]
    public void Two_backward_passes_in_one_step_keep_the_first_split_and_do_not_fail()
    {
        var (net, probe, x) = AttachAndBackward();
        using var _ = probe;
        using var __ = x;
        var first = probe.Current.ResidualSplits.Select(r => r.TotalGradientNorm).ToArray();
        net.call(x).sum().backward();
        probe.CaptureGradients();
        Assert.Equal(first, probe.Current.ResidualSplits.Select(r => r.TotalGradientNorm).ToArray());
    }

    [Fact]
    public void One_probe_per_module_and_empty_batches_pass_through()
    {
        var net = new ProbeEdgeNet();
        using var probe = Probe.Attach(net);
        Assert.Throws<InvalidOperationException>(() => Probe.Attach(net));
        net.eval();
        probe.BeginStep(1);
        using (no_grad())
        using (var y = net.call(zeros(0, 6)))
            Assert.Equal(new long[] { 0, 3 }, y.shape);
        probe.Dispose();
        using var second = Probe.Attach(net); // free again after the first is disposed
    }

    [Fact]
    public void Without_the_residual_split_nested_residual_units_stay_bit_identical()
    {
        static Tensor[] Grads(nn.Module<Tensor, Tensor> net, Probe? probe)
        {
            manual_seed(3);
            using var x = randn(5, 6);
            probe?.BeginStep(1);
            net.zero_grad();
            net.call(x).square().sum().backward();
            return net.parameters().Select(p => p.grad!.clone()).ToArray();
        }
        manual_seed(0);
        var net = new ProbeEdgeNet();
        var detached = Grads(net, null);
        using var probe = Probe.Attach(net, new ProbeOptions { ResidualSplit = false });
        var attached = Grads(net, probe);
        for (int i = 0; i < detached.Length; i++) Assert.True(detached[i].equal(attached[i]).all().item<bool>(), $"parameter {i}");
        Assert.Empty(probe.Current.ResidualSplits);
    }
}
