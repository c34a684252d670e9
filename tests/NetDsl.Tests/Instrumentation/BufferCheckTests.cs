using System;
using System.Linq;
using NetDsl.Instrumentation;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace NetDsl.Tests.Instrumentation;

/// <summary>The probe's non-finite check covers buffers (BatchNorm running statistics), not only activations and gradients.</summary>
public class BufferCheckTests
{
    static (Measurements.Feedforward4 Net, Probe Probe) Step(NonFinitePolicy policy)
    {
        manual_seed(0);
        var net = new Measurements.Feedforward4();
        var probe = Probe.Attach(net, new ProbeOptions { OnNonFinite = policy });
        // A NaN in one running variance: training-mode outputs stay finite (they use batch statistics), eval outputs would not.
        using (no_grad()) net.get_buffer("layers.2.bn1.running_var")![5] = double.NaN;
        probe.BeginStep(4);
        using var x = randn(8, 1);
        net.call(x).sum().backward();
        return (net, probe);
    }

    [Fact]
    public void A_NaN_running_variance_is_reported_with_the_buffer_name_and_the_step()
    {
        var (_, probe) = Step(NonFinitePolicy.Throw);
        using var _ = probe;
        var e = Assert.Throws<NonFiniteException>(probe.CaptureGradients);
        Assert.Equal("layers.2.bn1.running_var", e.Where);
        Assert.Equal(4, e.Step);
        Assert.Contains("buffer", e.Pass, StringComparison.Ordinal);
    }

    [Fact]
    public void Under_the_record_policy_the_buffer_is_logged_and_recording_goes_on()
    {
        var (_, probe) = Step(NonFinitePolicy.Record);
        using var _ = probe;
        probe.CaptureGradients();
        Assert.Equal("step 4: buffer (running statistics) at 'layers.2.bn1.running_var'", Assert.Single(probe.NonFiniteEvents));
        Assert.NotEmpty(probe.Current.Parameters);
    }

    [Fact]
    public void A_NaN_in_the_first_buffer_is_reported_too()
    {
        manual_seed(0);
        var net = new Measurements.Feedforward4();
        using var probe = Probe.Attach(net);
        var (name, first) = net.named_buffers().First(b => b.buffer.is_floating_point());
        using (no_grad()) first[0] = double.NaN;
        probe.BeginStep(1);
        using var x = randn(8, 1);
        net.call(x).sum().backward();
        Assert.Equal(name, Assert.Throws<NonFiniteException>(probe.CaptureGradients).Where);
    }
}
