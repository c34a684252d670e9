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

        // How often the ReLU modules run: the in-place path calls relu_ instead, so fewer calls show it was taken.
        int reluCalls = 0;
        foreach (var (_, m) in net.named_modules())
            if (m is ReLU relu) relu.register_forward_hook((_, _, y) => { reluCalls++; return y; });

        (float Loss, Tensor[] After, int ReluCalls) Step(bool inPlace)
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
                reluCalls = 0;
                var loss = nn.functional.mse_loss(net.call(x), target);
                loss.backward();
                // Gradients, then parameters and buffers (BatchNorm's running statistics and batch count).
                var after = net.parameters().Select(p => p.grad is null ? zeros(1) : p.grad.clone())
                    .Concat(net.state_dict().Values.Select(t => t.clone())).ToArray();
                return (loss.item<float>(), after, reluCalls);
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
        Assert.True(inPlace.ReluCalls <= tapped.ReluCalls);
    }

    [Fact]
    public void ResNet20_writes_every_ReLU_in_place_and_keeps_the_hooks_when_switched_off()
    {
        using var scope = NewDisposeScope();
        var net = new NetDsl.Examples.ResNet20();
        int reluCalls = 0;
        foreach (var (_, m) in net.named_modules())
            if (m is ReLU relu) relu.register_forward_hook((_, _, y) => { reluCalls++; return y; });
        net.train();
        var x = randn(2, 1, 28, 28);
        net.call(x).sum().backward();
        // conv1's ReLU and both ReLUs of each of the 9 units follow a BatchNorm or the residual sum: all in place.
        Assert.Equal(0, reluCalls);
        InPlaceTraining.Enabled = false;
        try
        {
            net.call(x).sum().backward();
            Assert.Equal(19, reluCalls);
        }
        finally
        {
            InPlaceTraining.Enabled = true;
        }
    }

    [Fact]
    public void A_hook_on_a_layer_before_a_ReLU_sees_its_output_overwritten_as_with_inplace_ReLU_and_the_switch_restores_it()
    {
        // What the README's training section says about forward hooks: bn1's output, kept by a hook, is then written over by
        // the ReLU (as torchvision's ReLU(inplace=True) does); a hook that returns tanh of it (whose backward reads its output)
        // makes backward fail; InPlaceTraining.Enabled = false gives both back.
        using var scope = NewDisposeScope();
        var net = new NetDsl.Examples.ResNet20();
        var bn1 = (BatchNorm2d)net.named_modules().Single(m => m.name == "bn1").module;
        Tensor? kept = null;
        bool replace = false;
        bn1.register_forward_hook((_, _, y) => { kept = y.alias().DetachFromDisposeScope(); return replace ? y.tanh() : y; });
        net.train();
        using var generator = new Generator(3);
        var x = randn(new long[] { 2, 1, 28, 28 }, generator: generator);
        try
        {
            net.call(x).sum().backward();
            Assert.Equal(0f, kept!.min().item<float>());   // the ReLU's output: BatchNorm's negative values are gone
            kept.Dispose();
            replace = true;
            Assert.Contains("modified by an inplace operation", Assert.ThrowsAny<Exception>(() => net.call(x).sum().backward()).Message, StringComparison.Ordinal);
            kept!.Dispose();
            InPlaceTraining.Enabled = false;
            replace = false;
            net.call(x).sum().backward();
            Assert.True(kept!.min().item<float>() < 0f);    // BatchNorm's own output
            kept.Dispose();
            replace = true;
            net.call(x).sum().backward();
            Assert.True(kept!.min().item<float>() < 0f);
        }
        finally
        {
            InPlaceTraining.Enabled = true;
            kept?.Dispose();
        }
    }

    [Fact]
    public void A_BatchNorm_frozen_in_eval_mode_folds_in_training_with_the_same_outputs_and_gradients_unless_folding_is_off()
    {
        using var scope = NewDisposeScope();
        var net = new NetDsl.Examples.ResNet20();
        int bnCalls = 0;
        foreach (var (_, m) in net.named_modules())
            if (m is BatchNorm2d bn) bn.register_forward_hook((_, _, y) => { bnCalls++; return y; });
        var stem = net.named_modules().Single(m => m.name == "bn1").module;
        using (no_grad())
        {
            ((BatchNorm2d)stem).running_mean!.uniform_(-0.3, 0.3);
            ((BatchNorm2d)stem).running_var!.uniform_(0.5, 2.0);
        }
        net.train();
        stem.eval(); // frozen: normalizes with its running statistics, as when fine-tuning
        using var generator = new Generator(5);
        var x = randn(new long[] { 4, 1, 28, 28 }, generator: generator);
        var conv1 = net.named_parameters().Single(p => p.name == "conv1.weight").parameter;
        (Tensor Output, Tensor Gradient, int BnCalls) Run(bool inPlace, bool folding)
        {
            InPlaceTraining.Enabled = inPlace;
            BatchNormFolding.Enabled = folding;
            try
            {
                net.zero_grad();
                bnCalls = 0;
                var y = net.call(x);
                y.square().sum().backward();
                return (y.detach().clone(), conv1.grad!.clone(), bnCalls);
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
        Assert.Equal(19, tapped.BnCalls);
        Assert.Equal(18, folded.BnCalls);   // the frozen stem BatchNorm is inside conv1's weights
        Assert.Equal(19, unfolded.BnCalls);
        Assert.True((folded.Output - tapped.Output).abs().max().item<float>() <= 1e-5f * Math.Max(1f, tapped.Output.abs().max().item<float>()));
        Assert.True((folded.Gradient - tapped.Gradient).abs().max().item<float>() <= 1e-4f * tapped.Gradient.abs().max().item<float>());
        Assert.True((unfolded.Output == tapped.Output).all().item<bool>());
        Assert.True((unfolded.Gradient == tapped.Gradient).all().item<bool>());
    }
}
