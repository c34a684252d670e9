using System;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;
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
    static readonly Scalar Three = 3.0.ToScalar(), Two = 2.0.ToScalar(), One = 1.0.ToScalar(), MinusOne = (-1.0).ToScalar();

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

    static double MaxDifference(Tensor a, Tensor b) => (a - b).abs().max().to_type(ScalarType.Float64).item<double>();

    /// <summary>The layers whose fold is cached after an eval pass under <c>no_grad</c>: the layers a BatchNorm was folded into
    /// (hooks cannot count BatchNorm calls: a hooked layer sends its unit to the tapped path, see UntappedPath).</summary>
    static int FoldedLayers(nn.Module<Tensor, Tensor> net, Tensor x)
    {
        using (no_grad()) net.call(x);
        return net.modules().Count(m => FoldCache.Inspect(m).Weight is not null);
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
        int taken = UntappedPath.Taken;
        var folded = net.call(x);
        Assert.Equal(10, UntappedPath.Taken - taken); // the network and its 9 units took the folded path
        Assert.Equal(19, FoldedLayers(net, x)); // all 19 BatchNorms folded into their convolutions
        taken = UntappedPath.Taken;
        var unfused = Unfused(net, x);
        Assert.Equal(0, UntappedPath.Taken - taken);
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
        net.train();
        var trainA = net.call(x);
        Tensor trainTapped;
        InPlaceTraining.Enabled = false;
        try { trainTapped = net.call(x); }
        finally { InPlaceTraining.Enabled = true; }
        Assert.Equal(0.0, MaxDifference(trainA, trainTapped)); // training: BatchNorm normalizes with the batch, never folded
        net.eval();
        using (var probe = Probe.Attach(net))
        {
            probe.BeginStep(1);
            int taken = UntappedPath.Taken;
            var withProbe = net.call(x);
            Assert.Equal(0, UntappedPath.Taken - taken); // a probe sees every layer: no folding
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
        var folded = net.call(x);
        // Every BatchNorm behind a ReLU still runs (conv -> relu -> bn); only the projection shortcut's (conv -> bn) folds:
        // layer2.0's downsample is the one projection in this net.
        Assert.Equal(1, FoldedLayers(net, x));
        Assert.NotNull(FoldCache.Inspect(net.named_modules().Single(m => m.name == "layer2.0.downsample.0").module).Weight);
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

    // ---- The fold cache (BatchNormFolding.CacheFolds): reused while its inputs are unchanged, exact, never stale. ----

    static nn.Module Sub(nn.Module net, string name) => net.named_modules().Single(m => m.name == name).module;

    static Tensor Uncached(nn.Module<Tensor, Tensor> net, Tensor x)
    {
        BatchNormFolding.CacheFolds = false;
        try
        {
            using var noGrad = no_grad();
            return net.call(x);
        }
        finally { BatchNormFolding.CacheFolds = true; }
    }

    static Tensor Eval(nn.Module<Tensor, Tensor> net, Tensor x)
    {
        using var noGrad = no_grad();
        return net.call(x);
    }

    /// <summary>The same dtype, shape and bytes.</summary>
    static bool BitEqual(Tensor a, Tensor b) =>
        a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && NetDsl.Native.TensorMemory.Bytes(a.contiguous()).SequenceEqual(NetDsl.Native.TensorMemory.Bytes(b.contiguous()));

    /// <summary>A ResNet-20 in eval mode whose folds are cached and were reused once (so a stale entry would be used).</summary>
    static (ResNet20 Net, Tensor X, Tensor Before) Warm(int seed)
    {
        manual_seed(seed);
        var net = new ResNet20();
        Randomize(net, seed + 1);
        net.eval();
        var x = randn(8, 1, 28, 28);
        var before = Eval(net, x);
        var again = Eval(net, x);
        Assert.True(BitEqual(before, again));
        foreach (var name in new[] { "conv1", "layer1.0.conv1", "layer3.2.conv2" })
            Assert.Equal((1, 1), (FoldCache.Inspect(Sub(net, name)).Hits, FoldCache.Inspect(Sub(net, name)).Misses));
        return (net, x, before);
    }

    /// <summary>After a change: the cached pass (taken first, so a stale entry would show) equals the uncached fold bit for bit
    /// and the unfused module within 1e-5, and differs from the output before the change.</summary>
    static void AssertFresh(ResNet20 net, Tensor x, Tensor before, string changedLayer)
    {
        var misses = FoldCache.Inspect(Sub(net, changedLayer)).Misses;
        var cached = Eval(net, x);
        Assert.Equal(misses + 1, FoldCache.Inspect(Sub(net, changedLayer)).Misses);
        Assert.True(MaxDifference(cached, before) > 1e-3, $"the change moved the output by only {MaxDifference(cached, before)}");
        Assert.True(BitEqual(cached, Uncached(net, x)), $"max |cached - uncached| = {MaxDifference(cached, Uncached(net, x))}");
        var unfused = Unfused(net, x);
        Assert.True(MaxDifference(cached, unfused) <= 1e-5, $"max |cached - unfused| = {MaxDifference(cached, unfused)}");
    }

    [Fact]
    public void Cached_folds_equal_the_uncached_fold_bit_for_bit_and_the_unfused_module_within_1e_5()
    {
        using var scope = NewDisposeScope();
        var (net, x, first) = Warm(10);
        int taken = UntappedPath.Taken;
        var cached = Eval(net, x);
        Assert.Equal(10, UntappedPath.Taken - taken);
        var conv1 = FoldCache.Inspect(Sub(net, "conv1"));
        Assert.Equal((2, 1), (conv1.Hits, conv1.Misses)); // the third pass reused the fold
        // Every one of the 19 pairs has its own entry, the fully connected layer none.
        int cachedLayers = net.named_modules().Count(m => m.module is Conv2d && FoldCache.Inspect(m.module).Weight is not null);
        Assert.Equal(19, cachedLayers);
        Assert.Null(FoldCache.Inspect(Sub(net, "fc")).Weight);
        Assert.True(BitEqual(cached, first));
        Assert.True(BitEqual(cached, Uncached(net, x)));
        var unfused = Unfused(net, x);
        Assert.True(MaxDifference(cached, unfused) <= 1e-5, $"max |cached - unfused| = {MaxDifference(cached, unfused)}");
        Assert.True(unfused.abs().max().item<float>() > 0.1);
    }

    [Fact]
    public void An_optimizer_step_after_eval_invalidates_the_cached_fold()
    {
        using var scope = NewDisposeScope();
        var (net, x, before) = Warm(20);
        var sgd = optim.SGD(net.parameters(), 0.1);
        sgd.zero_grad();
        net.call(x).square().mean().backward(); // eval mode, gradients on: the fold is part of the graph
        sgd.step();
        AssertFresh(net, x, before, "layer3.2.conv2");
    }

    [Fact]
    public void A_training_pass_that_updates_the_running_statistics_invalidates_the_cached_fold()
    {
        using var scope = NewDisposeScope();
        var (net, x, before) = Warm(30);
        net.train();
        using (no_grad()) net.call(randn(8, 1, 28, 28) * Three + One);
        net.eval();
        AssertFresh(net, x, before, "layer3.2.conv2");
    }

    [Fact]
    public void Load_state_dict_invalidates_the_cached_fold()
    {
        using var scope = NewDisposeScope();
        var (net, x, before) = Warm(40);
        manual_seed(41);
        var other = new ResNet20();
        Randomize(other, 42);
        net.load_state_dict(other.state_dict());
        AssertFresh(net, x, before, "conv1");
        other.eval();
        Assert.True(MaxDifference(Eval(net, x), Unfused(other, x)) <= 1e-5);
    }

    [Fact]
    public void Changing_eps_invalidates_the_cached_fold()
    {
        using var scope = NewDisposeScope();
        var (net, x, before) = Warm(50);
        ((BatchNorm2d)Sub(net, "bn1")).eps = 0.5; // the stem's BatchNorm; running variances are in [0.5, 2]
        AssertFresh(net, x, before, "conv1");
    }

    [Fact]
    public void Zeroing_a_weight_in_place_under_no_grad_invalidates_the_cached_fold()
    {
        using var scope = NewDisposeScope();
        var (net, x, before) = Warm(60);
        using (no_grad()) ((Conv2d)Sub(net, "layer3.2.conv2")).weight!.zero_();
        AssertFresh(net, x, before, "layer3.2.conv2");
    }

    [Fact]
    public void Replacing_a_parameter_or_changing_the_dtype_invalidates_the_cached_fold()
    {
        using var scope = NewDisposeScope();
        var (net, x, before) = Warm(70);
        var bn = (BatchNorm2d)Sub(net, "layer1.0.bn1");
        // Another Parameter with the very same values: the identity alone must miss (the output cannot tell).
        bn.bias = new Parameter(bn.bias!.detach().clone());
        var misses = FoldCache.Inspect(Sub(net, "layer1.0.conv1")).Misses;
        Assert.True(BitEqual(Eval(net, x), before));
        Assert.Equal(misses + 1, FoldCache.Inspect(Sub(net, "layer1.0.conv1")).Misses);
        // Another Parameter with other values.
        bn.weight = new Parameter(bn.weight.detach() * Three);
        AssertFresh(net, x, before, "layer1.0.conv1");
        // float64: every parameter and buffer replaced; the fold follows in float64.
        net.to(ScalarType.Float64);
        var x64 = x.to_type(ScalarType.Float64);
        var cached = Eval(net, x64);
        Assert.Equal(ScalarType.Float64, FoldCache.Inspect(Sub(net, "conv1")).Weight!.dtype);
        Assert.True(BitEqual(cached, Uncached(net, x64)));
        Assert.True(MaxDifference(cached, Unfused(net, x64)) <= 1e-10);
    }

    [Fact]
    public void A_non_contiguous_weight_is_folded_at_every_pass_and_its_entry_released()
    {
        using var scope = NewDisposeScope();
        manual_seed(80);
        var linear = nn.Linear(6, 4);
        var bn = nn.BatchNorm1d(4);
        using (no_grad())
        {
            bn.weight.uniform_(0.5, 1.5);
            bn.bias!.uniform_(-0.5, 0.5);
            bn.running_mean!.uniform_(-0.3, 0.3);
            bn.running_var!.uniform_(0.5, 2.0);
        }
        bn.eval();
        var x = randn(5, 6);
        Tensor Folded() { using var noGrad = no_grad(); return BatchNormFolding.Linear(linear, bn, x); }
        Tensor Reference() { using var noGrad = no_grad(); return bn.call(linear.call(x)); }
        Folded();
        var cachedWeight = FoldCache.Inspect(linear).Weight!;
        Assert.NotNull(cachedWeight);
        linear.weight = new Parameter(randn(6, 4).t()); // [4, 6], not contiguous
        var y = Folded();
        Assert.Null(FoldCache.Inspect(linear).Weight);
        Assert.True(cachedWeight.IsInvalid); // the old fold was disposed with its entry
        Assert.True(MaxDifference(y, Reference()) <= 1e-5);
        using (no_grad()) linear.weight.mul_(Two); // no entry to go stale: still right
        Assert.True(MaxDifference(Folded(), Reference()) <= 1e-5);
        Assert.Equal((0, 0), (FoldCache.Inspect(linear).Hits, FoldCache.Inspect(linear).Misses));
    }

    [Fact]
    public void With_gradients_on_and_trainable_parameters_the_fold_is_in_the_graph_and_parameter_gradients_match_the_unfused_pass()
    {
        using var scope = NewDisposeScope();
        var (net, x, _) = Warm(90);
        var parameters = net.named_parameters().ToList();
        var folded = net.call(x);
        Assert.Equal((1, 1), (FoldCache.Inspect(Sub(net, "conv1")).Hits, FoldCache.Inspect(Sub(net, "conv1")).Misses)); // not from the cache
        var gFolded = autograd.grad(new[] { folded.square().sum() }, parameters.Select(p => (Tensor)p.parameter).ToArray());
        var unfused = Unfused(net, x);
        var gUnfused = autograd.grad(new[] { unfused.square().sum() }, parameters.Select(p => (Tensor)p.parameter).ToArray());
        for (int i = 0; i < parameters.Count; i++)
        {
            double scale = gUnfused[i].abs().max().item<float>();
            Assert.True(scale > 0, parameters[i].name);
            Assert.True(MaxDifference(gFolded[i], gUnfused[i]) <= 1e-4 * scale, $"{parameters[i].name}: max |gradient difference| = {MaxDifference(gFolded[i], gUnfused[i])} of {scale}");
        }
    }

    [Fact]
    public void Frozen_parameters_use_the_cached_fold_and_input_gradients_still_match_even_after_inference_mode()
    {
        using var scope = NewDisposeScope();
        manual_seed(100);
        var net = new ResNet20();
        Randomize(net, 101);
        net.eval();
        foreach (var p in net.parameters()) p.requires_grad = false;
        var x = randn(8, 1, 28, 28);
        using (inference_mode()) net.call(x); // the fold is cached inside inference_mode: it must still be usable with autograd
        var xg = x.clone().requires_grad_();
        var folded = net.call(xg);
        Assert.Equal((1, 1), (FoldCache.Inspect(Sub(net, "conv1")).Hits, FoldCache.Inspect(Sub(net, "conv1")).Misses));
        var gFolded = autograd.grad(new[] { folded.square().sum() }, new[] { xg })[0];
        var unfused = Unfused(net, xg);
        var gUnfused = autograd.grad(new[] { unfused.square().sum() }, new[] { xg })[0];
        Assert.True(MaxDifference(gFolded, gUnfused) <= 1e-4 * gUnfused.abs().max().item<float>(), $"max |gradient difference| = {MaxDifference(gFolded, gUnfused)}");
    }

    [Fact]
    public void Cached_folds_survive_the_callers_dispose_scopes()
    {
        manual_seed(110);
        var net = new ResNet20();
        Randomize(net, 111);
        net.eval();
        var x = randn(8, 1, 28, 28);
        float[] first;
        using (NewDisposeScope()) first = Eval(net, x).data<float>().ToArray();
        var cachedWeight = FoldCache.Inspect(Sub(net, "layer2.1.conv1")).Weight!;
        Assert.False(cachedWeight.IsInvalid); // the caller's scope did not dispose the cache's tensors
        float[] second;
        using (NewDisposeScope()) second = Eval(net, x).data<float>().ToArray();
        Assert.Equal(1, FoldCache.Inspect(Sub(net, "layer2.1.conv1")).Hits);
        Assert.Equal(first, second);
    }

    [Fact]
    public void Release_disposes_every_cached_fold_of_a_module_and_the_next_pass_folds_anew()
    {
        using var scope = NewDisposeScope();
        var (net, x, before) = Warm(140);
        var convs = net.named_modules().Where(m => m.module is Conv2d).Select(m => m.module).ToList();
        var folds = convs.Select(c => FoldCache.Inspect(c).Weight!).ToList();
        Assert.Equal(19, folds.Count(f => f is not null && !f.IsInvalid));
        long live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        BatchNormFolding.Release(net);
        Assert.All(folds, f => Assert.True(f.IsInvalid));
        Assert.Equal(live - 2 * 19, DisposeScopeManager.Statistics.ThreadTotalLiveCount); // each fold's weight and bias
        Assert.All(convs, c => Assert.Null(FoldCache.Inspect(c).Weight));
        Assert.True(BitEqual(Eval(net, x), before));
        Assert.Equal((0, 1), (FoldCache.Inspect(convs[0]).Hits, FoldCache.Inspect(convs[0]).Misses));
        Assert.Throws<ArgumentNullException>(() => BatchNormFolding.Release(null!));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static (WeakReference Layer, WeakReference Fold) CachedPairThenDropped()
    {
        var conv = nn.Conv2d(3, 4, 3);
        var bn = nn.BatchNorm2d(4);
        bn.eval();
        using (no_grad())
        using (NewDisposeScope())
            BatchNormFolding.Conv(conv, bn, randn(1, 3, 5, 5));
        return (new WeakReference(conv), new WeakReference(FoldCache.Inspect(conv).Weight!));
    }

    [Fact]
    public void A_collected_module_takes_its_cached_fold_with_it()
    {
        var (layer, fold) = CachedPairThenDropped();
        for (int i = 0; i < 3 && (layer.IsAlive || fold.IsAlive); i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.False(layer.IsAlive, "the cache keeps the module alive");
        Assert.False(fold.IsAlive, "the cache keeps the folded weight of a collected module alive");
    }

    [Fact]
    public async Task Two_threads_evaluating_one_module_get_the_single_thread_outputs()
    {
        // No dispose scope here: scopes belong to a thread, and the test continues on another after the await.
        manual_seed(120);
        var net = new ResNet20();
        Randomize(net, 121);
        net.eval();
        var inputs = Enumerable.Range(0, 2).Select(_ => randn(4, 1, 28, 28)).ToArray();
        var expected = inputs.Select(x => Uncached(net, x).data<float>().ToArray()).ToArray();
        var conv = (Conv2d)Sub(net, "layer2.0.conv1");
        float[][] Run(int thread) => Enumerable.Range(0, 12).Select(i =>
        {
            using var noGrad = no_grad();
            using var pass = NewDisposeScope();
            // Thread 0 also clears the cache now and then, so misses race with hits on the other thread.
            if (thread == 0 && i % 4 == 3) BatchNormFolding.ClearCache();
            return net.call(inputs[thread]).data<float>().ToArray();
        }).ToArray();
        var results = await Task.WhenAll(Enumerable.Range(0, 2).Select(t => Task.Factory.StartNew(() => Run(t), TaskCreationOptions.LongRunning)));
        for (int t = 0; t < 2; t++)
            foreach (var r in results[t]) Assert.Equal(expected[t], r);
        Assert.True(FoldCache.Inspect(conv).Hits + FoldCache.Inspect(conv).Misses > 0);
    }

    [Fact]
    public void With_the_cache_off_every_pass_folds_anew_as_before_and_ClearCache_releases_the_cache()
    {
        using var scope = NewDisposeScope();
        var (net, x, before) = Warm(130);
        var conv1 = Sub(net, "conv1");
        var cachedWeight = FoldCache.Inspect(conv1).Weight!;
        BatchNormFolding.CacheFolds = false;
        try
        {
            var off = Eval(net, x);
            Assert.True(BitEqual(off, before));
            using (no_grad()) ((Conv2d)conv1).weight!.mul_(MinusOne); // the entry is not used, so it cannot go stale
            var changed = Eval(net, x);
            Assert.Equal((1, 1, cachedWeight), FoldCache.Inspect(conv1)); // kept, untouched
            Assert.True(MaxDifference(changed, before) > 1e-3);
            Assert.True(MaxDifference(changed, Unfused(net, x)) <= 1e-5);
            BatchNormFolding.ClearCache();
            Assert.True(cachedWeight.IsInvalid);
            Assert.Equal((0, 0, (Tensor?)null), FoldCache.Inspect(conv1));
        }
        finally { BatchNormFolding.CacheFolds = true; }
        // Switched back on: a new entry, computed from the changed weight.
        Assert.True(BitEqual(Eval(net, x), Uncached(net, x)));
        Assert.Equal((0, 1), (FoldCache.Inspect(conv1).Hits, FoldCache.Inspect(conv1).Misses));
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
