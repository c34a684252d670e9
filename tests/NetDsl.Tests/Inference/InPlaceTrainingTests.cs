using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using NetDsl.Inference;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace NetDsl.Tests.Inference;

/// <summary>
/// The training path with no probe attached writes ReLUs and residual sums in place (<see cref="InPlaceTraining"/>): on every
/// generated network of the examples and of this test project, losses, gradients and running statistics equal the tapped
/// path's bit for bit.
/// </summary>
[Collection(Unfused.Collection)] // switches the process-wide InPlaceTraining.Enabled
public class InPlaceTrainingTests
{
    /// <summary>
    /// Every generated network (a module with a generated static <c>Summary</c> and a public parameterless constructor) in the
    /// examples and this assembly, variants included, up to 0.2 G multiply-accumulates per sample (ResNet-18 and -50 at 224x224
    /// would take most of the suite's time; their units are the ones ResNet-20 and the Bottleneck nets here use).
    /// </summary>
    public static IEnumerable<object[]> Networks() =>
        new[] { typeof(NetDsl.Examples.ResNet20).Assembly, typeof(InPlaceTrainingTests).Assembly }
            .SelectMany(a => a.GetTypes())
            .Where(t => !t.IsAbstract && typeof(nn.Module<Tensor, Tensor>).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) is not null
                && t.GetProperty("Summary", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) is ModelSummary { TotalMultiplyAccumulates: <= 200_000_000 })
            .Select(t => new object[] { t.FullName! })
            .OrderBy(n => (string)n[0], StringComparer.Ordinal);

    [Fact]
    public void The_network_list_covers_the_examples_and_their_variants()
    {
        var names = Networks().Select(n => (string)n[0]).ToList();
        Assert.Contains("NetDsl.Examples.ResNet20", names);
        Assert.Contains("NetDsl.Examples.PreActResNet20", names);
        Assert.Contains("NetDsl.Examples.DeepResidualMlp", names);
        Assert.Equal(6, names.Count(n => n.StartsWith("NetDsl.Examples.BnResidualMatrix+Variants+", StringComparison.Ordinal)));
        Assert.True(names.Count >= 40, $"{names.Count} networks");
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void A_training_step_in_place_equals_the_tapped_step_bit_for_bit(string typeName)
    {
        var type = new[] { typeof(NetDsl.Examples.ResNet20).Assembly, typeof(InPlaceTrainingTests).Assembly }.Select(a => a.GetType(typeName)).Single(t => t is not null)!;
        var summary = (ModelSummary)type.GetProperty("Summary", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
        using var scope = NewDisposeScope();
        var net = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type)!;
        var initial = net.state_dict().ToDictionary(e => e.Key, e => e.Value.clone());
        using var generator = new Generator(11);
        var x = randn(new long[] { 4 }.Concat(summary.InputShape).ToArray(), generator: generator);
        var target = randn(new long[] { 4 }.Concat(summary.OutputShape).ToArray(), generator: generator);

        // How many units took the untapped path (no hooks here: a hooked layer would send its unit to the tapped path).
        (float Loss, Tensor[] After, int Untapped) Step(bool inPlace)
        {
            InPlaceTraining.Enabled = inPlace;
            try
            {
                net.load_state_dict(initial);
                net.train();
                // Dropout draws from LibTorch's global generator, which other test classes share: identity here.
                foreach (var (_, m) in net.named_modules())
                    if (m is Dropout or Dropout1d or Dropout2d) m.eval();
                net.zero_grad();
                int taken = UntappedPath.Taken;
                var loss = nn.functional.mse_loss(net.call(x), target);
                loss.backward();
                // Gradients, then parameters and buffers (BatchNorm's running statistics and batch count).
                var after = net.parameters().Select(p => p.grad is null ? zeros(1) : p.grad.clone())
                    .Concat(net.state_dict().Values.Select(t => t.clone())).ToArray();
                return (loss.item<float>(), after, UntappedPath.Taken - taken);
            }
            finally
            {
                InPlaceTraining.Enabled = true;
            }
        }

        var tapped = Step(inPlace: false);
        var inPlace = Step(inPlace: true);
        Assert.True(float.IsFinite(tapped.Loss));
        Assert.Equal(tapped.Loss, inPlace.Loss);
        Assert.Equal(tapped.After.Length, inPlace.After.Length);
        for (int i = 0; i < tapped.After.Length; i++)
            Assert.True(tapped.After[i].shape.SequenceEqual(inPlace.After[i].shape) && (tapped.After[i] == inPlace.After[i]).all().item<bool>(), $"{typeName}: tensor {i} of gradients, parameters and buffers differs");
        Assert.Equal(0, tapped.Untapped);
        Assert.True(inPlace.Untapped > 0 || !type.GetMethods(BindingFlags.NonPublic | BindingFlags.Instance).Any(m => m.Name == "netdslForwardUntapped"),
            $"{typeName} has an untapped path but did not take it");
    }

    [Fact]
    public void ResNet20_takes_the_in_place_path_in_all_10_units_and_a_hooked_layer_sends_its_unit_to_the_tapped_path()
    {
        using var scope = NewDisposeScope();
        var net = new NetDsl.Examples.ResNet20();
        net.train();
        var x = randn(2, 1, 28, 28);
        int taken = UntappedPath.Taken;
        net.call(x).sum().backward();
        Assert.Equal(10, UntappedPath.Taken - taken); // the network and its 9 units
        // A hook on one layer of layer2.1: that unit runs its layers through their calls, the 9 others stay in place.
        int calls = 0;
        var relu = (ReLU)net.named_modules().Single(m => m.name == "layer2.1.relu").module;
        var reluHook = relu.register_forward_hook((_, _, y) => { calls++; return y; });
        try
        {
            taken = UntappedPath.Taken;
            net.call(x).sum().backward();
            Assert.Equal(9, UntappedPath.Taken - taken);
            Assert.Equal(2, calls); // the unit's shared relu, both of its uses
            // Eval mode too: the folded path would not call the hooked unit's layers either.
            net.eval();
            taken = UntappedPath.Taken;
            using (no_grad()) net.call(x);
            Assert.Equal(9, UntappedPath.Taken - taken);
            Assert.Equal(4, calls);
            net.train();
        }
        finally
        {
            reluHook.remove();
        }
        // A pre-hook counts as well; the switch sends every unit to the tapped path.
        var conv = (Conv2d)net.named_modules().Single(m => m.name == "conv1").module;
        var preHook = conv.register_forward_pre_hook((_, input) => input);
        taken = UntappedPath.Taken;
        net.call(x);
        Assert.Equal(9, UntappedPath.Taken - taken); // the network itself is tapped; its units are not hooked
        preHook.remove();
        InPlaceTraining.Enabled = false;
        try
        {
            taken = UntappedPath.Taken;
            net.call(x);
            Assert.Equal(0, UntappedPath.Taken - taken);
        }
        finally
        {
            InPlaceTraining.Enabled = true;
        }
    }

    [Fact]
    public void TorchSharps_hook_fields_are_found_so_an_upgrade_that_moves_them_fails_here_rather_than_disabling_the_path()
    {
        using var conv = nn.Conv2d(1, 1, 1);
        Assert.False(UntappedPath.HasHooks(conv));
        var hook = conv.register_forward_hook((_, _, y) => y);
        Assert.True(UntappedPath.HasHooks(conv));
        hook.remove();
        Assert.False(UntappedPath.HasHooks(conv)); // removing the hook counts as well
        using var list = new ModuleList<nn.Module<Tensor, Tensor>>();
        Assert.False(UntappedPath.HasHooks(list)); // no hooks to have
    }

    [Fact]
    public void A_hook_that_keeps_or_replaces_a_layers_output_sees_what_the_tapped_path_gives_it()
    {
        // Before hook detection, bn1's output kept by a hook was written over by the in-place ReLU, and a hook returning its
        // tanh made backward fail ("modified by an inplace operation"): a hooked layer now sends its unit to the tapped path.
        using var scope = NewDisposeScope();
        var net = new NetDsl.Examples.ResNet20();
        var bn1 = (BatchNorm2d)net.named_modules().Single(m => m.name == "bn1").module;
        Tensor? kept = null;
        bool replace = false;
        var hook = bn1.register_forward_hook((_, _, y) => { kept = y.alias().DetachFromDisposeScope(); return replace ? y.tanh() : y; });
        net.train();
        using var generator = new Generator(3);
        var x = randn(new long[] { 2, 1, 28, 28 }, generator: generator);
        try
        {
            net.call(x).sum().backward();
            Assert.True(kept!.min().item<float>() < 0f);    // BatchNorm's own output, not the ReLU's
            kept.Dispose();
            replace = true;
            var y = net.call(x);
            y.sum().backward();                            // trains
            Assert.True(kept!.min().item<float>() < 0f);
        }
        finally
        {
            hook.remove();
            kept?.Dispose();
        }
    }

    [Fact]
    public void A_BatchNorm_frozen_in_eval_mode_folds_in_training_with_the_same_outputs_and_gradients_unless_folding_is_off()
    {
        using var scope = NewDisposeScope();
        var net = new NetDsl.Examples.ResNet20();
        var stem = net.named_modules().Single(m => m.name == "bn1").module;
        using var generator = new Generator(5);
        // Every value drawn from this test's own generator: LibTorch's global one is shared with other test classes, and
        // the tolerances below must hold for one known network, not for whatever weights a parallel run leaves.
        using (no_grad())
        {
            foreach (var p in net.parameters().Where(p => p.dim() > 1)) p.normal_(0, 0.2, generator: generator);
            ((BatchNorm2d)stem).running_mean!.uniform_(-0.3, 0.3, generator: generator);
            ((BatchNorm2d)stem).running_var!.uniform_(0.5, 2.0, generator: generator);
        }
        net.train();
        stem.eval(); // frozen: normalizes with its running statistics, as when fine-tuning
        var x = randn(new long[] { 4, 1, 28, 28 }, generator: generator);
        var conv1 = net.named_parameters().Single(p => p.name == "conv1.weight").parameter;
        (Tensor Output, Tensor Gradient, int Untapped) Run(bool inPlace, bool folding)
        {
            InPlaceTraining.Enabled = inPlace;
            BatchNormFolding.Enabled = folding;
            try
            {
                net.zero_grad();
                int taken = UntappedPath.Taken;
                var y = net.call(x);
                y.square().sum().backward();
                return (y.detach().clone(), conv1.grad!.clone(), UntappedPath.Taken - taken);
            }
            finally
            {
                InPlaceTraining.Enabled = true;
                BatchNormFolding.Enabled = true;
            }
        }
        var tapped = Run(inPlace: false, folding: true);
        var folded = Run(inPlace: true, folding: true);
        var unfolded = Run(inPlace: true, folding: false);
        Assert.Equal(0, tapped.Untapped);
        Assert.Equal(10, folded.Untapped);
        Assert.Equal(10, unfolded.Untapped);
        // The frozen stem BatchNorm is inside conv1's weights: rounding differs from the unfolded pair somewhere.
        Assert.False((folded.Output == tapped.Output).all().item<bool>());
        Assert.True((folded.Output - tapped.Output).abs().max().item<float>() <= 1e-5f * Math.Max(1f, tapped.Output.abs().max().item<float>()));
        Assert.True((folded.Gradient - tapped.Gradient).abs().max().item<float>() <= 1e-4f * tapped.Gradient.abs().max().item<float>());
        Assert.True((unfolded.Output == tapped.Output).all().item<bool>());
        Assert.True((unfolded.Gradient == tapped.Gradient).all().item<bool>());
    }
}
