using System;
using System.Linq;
using NetDsl.Examples;
using NetDsl.Inference;
using NetDsl.Instrumentation;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace NetDsl.Tests.Inference;

/// <summary>
/// The generated eval path folds each BatchNorm into the convolution or linear layer before it: outputs equal the unfused
/// pass within 1e-5, never across an activation, and never stale after the weights or running statistics change.
/// </summary>
[Collection(NetDsl.Tests.Inference.Unfused.Collection)] // the tests switch the process-wide BatchNormFolding.Enabled
public class BatchNormFoldingTests
{
    static readonly Scalar Rate = 0.1.ToScalar();

    /// <summary>Random BatchNorm parameters and running statistics, so folding has something to get wrong.</summary>
    static void Randomize(nn.Module module, int seed)
    {
        manual_seed(seed);
        using var noGrad = no_grad();
        foreach (var (name, bn) in module.named_modules().Where(m => m.module is BatchNorm).Select(m => (m.name, (BatchNorm)m.module)))
        {
            bn.weight!.uniform_(0.5, 1.5);
            bn.bias!.uniform_(-0.5, 0.5);
            bn.running_mean!.uniform_(-0.3, 0.3);
            bn.running_var!.uniform_(0.5, 2.0);
        }
    }

    static Tensor Unfused(nn.Module<Tensor, Tensor> net, Tensor x)
    {
        using var off = NetDsl.Tests.Inference.Unfused.Scope();
        return net.call(x);
    }

    static double MaxDifference(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    /// <summary>How many BatchNorm modules ran (their forward hooks fire only on the unfused path).</summary>
    static Func<int> CountBatchNormCalls(nn.Module net)
    {
        int calls = 0;
        foreach (var (_, m) in net.named_modules())
            if (m is BatchNorm2d bn2) bn2.register_forward_hook((_, _, y) => { calls++; return y; });
            else if (m is BatchNorm1d bn1) bn1.register_forward_hook((_, _, y) => { calls++; return y; });
        return () => calls;
    }

    [Fact]
    public void ResNet20_in_eval_mode_folds_every_BatchNorm_and_matches_the_unfused_pass_within_1e_5()
    {
        using var scope = NewDisposeScope();
        manual_seed(0);
        var net = new ResNet20();
        Randomize(net, 1);
        net.eval();
        var x = randn(8, 1, 28, 28);
        var calls = CountBatchNormCalls(net);
        var folded = net.call(x);
        Assert.Equal(0, calls()); // all 19 BatchNorms folded into their convolutions
        var unfused = Unfused(net, x);
        Assert.Equal(19, calls());
        Assert.True(MaxDifference(folded, unfused) <= 1e-5, $"max |folded - unfused| = {MaxDifference(folded, unfused)}");
        Assert.True(unfused.abs().max().item<float>() > 0.1); // not a comparison of zeros
    }

    [Fact]
    public void Pre_activation_units_write_ReLU_in_place_only_into_their_own_tensors_and_keep_gradients_valid()
    {
        // PreActResNet20: BatchNorm before each convolution (nothing to fold there, the stem's pair folds); the eval path
        // applies ReLU in place to BatchNorm outputs and adds in place into the branch's last convolution output.
        using var scope = NewDisposeScope();
        manual_seed(0);
        var net = new PreActResNet20();
        Randomize(net, 7);
        net.eval();
        var x = randn(8, 1, 28, 28).requires_grad_();
        var copy = x.detach().clone();
        var folded = net.call(x);
        Assert.Equal(0.0, MaxDifference(x, copy)); // the caller's input is never written
        var unfused = Unfused(net, x);
        Assert.True(MaxDifference(folded, unfused) <= 1e-5, $"max |folded - unfused| = {MaxDifference(folded, unfused)}");
        // Input gradients in eval mode through the in-place path equal the unfused path's.
        var gFolded = autograd.grad(new[] { folded.square().sum() }, new[] { x })[0];
        var gUnfused = autograd.grad(new[] { unfused.square().sum() }, new[] { x })[0];
        Assert.True(MaxDifference(gFolded, gUnfused) <= 1e-4 * gUnfused.abs().max().item<float>(), $"max |gradient difference| = {MaxDifference(gFolded, gUnfused)}");
    }

    [Fact]
    public void Training_mode_and_an_attached_probe_take_the_unfused_path_bit_for_bit()
    {
        using var scope = NewDisposeScope();
        manual_seed(0);
        var net = new ResNet20();
        Randomize(net, 2);
        var x = randn(8, 1, 28, 28);
        var calls = CountBatchNormCalls(net);
        net.train();
        var trainA = net.call(x);
        Assert.Equal(19, calls());
        net.eval();
        using (var probe = Probe.Attach(net))
        {
            probe.BeginStep(1);
            var withProbe = net.call(x);
            Assert.Equal(38, calls()); // a probe sees every layer: no folding
            Assert.Equal(0.0, MaxDifference(withProbe, Unfused(net, x)));
        }
        Assert.True(trainA.isfinite().all().item<bool>());
    }

    [Fact]
    public void A_BatchNorm_after_the_activation_is_not_folded_across_it()
    {
        using var scope = NewDisposeScope();
        var variant = BnResidualMatrix.Variants.All.Single(v => v.Name.EndsWith("Residual.BnAfterActivation", StringComparison.Ordinal));
        manual_seed(0);
        var net = variant.Create();
        Randomize(net, 3);
        net.eval();
        var x = randn(8, 1, 28, 28);
        var calls = CountBatchNormCalls(net);
        var folded = net.call(x);
        // Every BatchNorm behind a ReLU still runs (conv -> relu -> bn); only the projection shortcut's (conv -> bn) folds:
        // layer2.0's downsample is the one projection in this net.
        int total = net.named_modules().Count(m => m.module is BatchNorm);
        Assert.Equal(total - 1, calls());
        var unfused = Unfused(net, x);
        Assert.True(MaxDifference(folded, unfused) <= 1e-5, $"max |folded - unfused| = {MaxDifference(folded, unfused)}");
        Assert.True(unfused.abs().max().item<float>() > 0.1);
    }

    [Fact]
    public void The_fold_is_never_stale_after_load_state_dict_an_optimizer_step_or_new_running_statistics()
    {
        using var scope = NewDisposeScope();
        manual_seed(0);
        var net = new ResNet20();
        Randomize(net, 4);
        net.eval();
        var x = randn(8, 1, 28, 28);
        var before = net.call(x);

        // load_state_dict from another network, still in eval mode.
        manual_seed(5);
        var other = new ResNet20();
        Randomize(other, 6);
        net.load_state_dict(other.state_dict());
        var loaded = net.call(x);
        other.eval();
        Assert.True(MaxDifference(loaded, Unfused(other, x)) <= 1e-5);
        Assert.True(MaxDifference(loaded, before) > 1e-3);

        // An optimizer step after eval() (gradients through the folded path reach the convolutions and BatchNorm parameters).
        var sgd = optim.SGD(net.parameters(), 0.1);
        sgd.zero_grad();
        net.call(x).square().mean().backward();
        Assert.NotNull(net.get_parameter("layer1.0.bn1.weight")!.grad);
        sgd.step();
        Assert.True(MaxDifference(net.call(x), Unfused(net, x)) <= 1e-5);

        // Running statistics changed in place (a training-mode pass, then back to eval).
        net.train();
        using (no_grad()) net.call(randn(8, 1, 28, 28) * Rate + Rate);
        net.eval();
        Assert.True(MaxDifference(net.call(x), Unfused(net, x)) <= 1e-5);
    }
}

/// <summary>
/// Runs a test's eval passes unfused (every layer through its own <c>call</c>, bit for bit the training-mode layers): for tests
/// of module calls (forward hooks), of bit-identical outputs, or of parity with another library's unfused layers. Tests that
/// switch it share one xUnit collection, so none of them runs while another has it switched.
/// </summary>
internal static class Unfused
{
    public const string Collection = "BatchNormFolding";

    public static IDisposable Scope()
    {
        BatchNormFolding.Enabled = false;
        return new Restore();
    }

    sealed class Restore : IDisposable
    {
        public void Dispose() => BatchNormFolding.Enabled = true;
    }
}
