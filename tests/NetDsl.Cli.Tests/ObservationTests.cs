using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using NetDsl.Experiments.Data;
using NetDsl.Experiments;
using NetDsl.Experiments.Results;
using NetDsl.Experiments.Training;
using NetDsl.Instrumentation;
using NetDsl.Measurements;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace NetDsl.Cli.Tests;

// The input normalization, not the layer-normalization enum NetDsl.Normalization (the enclosing namespace's type would win).

/// <summary>Two 3x3 convolutions, residual with the zero-pad shortcut (option A).</summary>
[Block, Residual(Shortcut = Shortcut.ZeroPad)]
[BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class TinyUnit
{
    [Conv(Kernel = 3)] Conv2d conv1;
    [Conv(Kernel = 3)] Conv2d conv2;
}

/// <summary>A small residual network (plain as the other variant) with two stages, for the gradient profile at initialization.</summary>
[Network, Input(1, 28, 28), BatchNorm, Activation(Nonlinearity.ReLU)]
[Variants(Residual = new[] { true, false })]
public partial class TinyResMatrix
{
    [Conv(8, Kernel = 3, Stride = 2)] Conv2d conv1;
    [Stage(Blocks = 2, Channels = 8)] ModuleList<TinyUnit> layer1;
    [Stage(Blocks = 1, Channels = 16, Stride = 2)] ModuleList<TinyUnit> layer2;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(10)] Linear fc;
}

/// <summary>
/// A network whose second convolution has fan-in 32 x 9 = 288 and fan-out 8 x 9 = 72 (2,304 weights), so He's fan-in and
/// fan-out modes draw standard deviations sqrt(2/288) = 0.083 and sqrt(2/72) = 0.167, a factor 2 apart.
/// </summary>
[Network, Input(1, 28, 28), BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class FanNet
{
    [Conv(32, Kernel = 3, Stride = 2)] Conv2d conv1;
    [Conv(8, Kernel = 3, Stride = 2)] Conv2d conv2;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(10)] Linear fc;
}

/// <summary>Wraps a model and records what reaches it: each forward's input (and mode) and the weights at the first call.</summary>
sealed class Recorder : nn.Module<Tensor, Tensor>
{
    readonly nn.Module<Tensor, Tensor> inner;

    public Recorder(nn.Module<Tensor, Tensor> inner) : base("recorder")
    {
        this.inner = inner;
        RegisterComponents();
    }

    /// <summary>(training mode, input values) of every forward call.</summary>
    public List<(bool Training, float[] X)> Inputs { get; } = new();

    /// <summary>Every parameter as it was at the first forward call (the initialization training starts from).</summary>
    public Dictionary<string, float[]> InitialWeights { get; } = new();

    public override Tensor forward(Tensor x)
    {
        if (Inputs.Count == 0)
            foreach (var (name, p) in inner.named_parameters()) InitialWeights[name] = p.detach().cpu().data<float>().ToArray();
        Inputs.Add((training, x.detach().cpu().data<float>().ToArray()));
        return inner.call(x);
    }
}

/// <summary>
/// Tests that observe what the runner and the trainer actually do (issue 19, kind 3): the normalization applied to the data, the
/// initialization training starts from, the learning rate the optimizer applies at each step; and the shortcut share the results
/// file stores, against an independent probe (kind 2).
/// </summary>
public sealed class ObservationTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("netdsl-observe-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    /// <summary>
    /// Binary images (pixels 0 or 255) whose brightness varies from image to image, so that the training part, the validation part
    /// and the test set all have different means and deviations: image i of the training subset has 60 + (i x 37 mod 300) bright
    /// pixels; every test image 500.
    /// </summary>
    static Dataset BinaryData(int train, int test)
    {
        static ImageSet Set(int count, Func<int, int> bright)
        {
            var pixels = new byte[count * 784];
            for (var i = 0; i < count; i++)
                for (var k = 0; k < bright(i); k++) pixels[i * 784 + (k * 3 + i) % 784] = 255;
            return new ImageSet(pixels, Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray(), 28, 28);
        }
        return new Dataset(Set(train, i => 60 + i * 37 % 300), Set(test, _ => 500), "synthetic", "test", "synthetic");
    }

    static (double Mean, double Std) Stats(ImageSet set)
    {
        var values = set.Pixels.Select(p => p / 255.0).ToArray();
        var mean = values.Average();
        return (mean, Math.Sqrt(values.Select(v => (v - mean) * (v - mean)).Average()));
    }

    static Runner Runner(Dataset data, string checkpoints, VariantInfo variant, InitScheme init = InitScheme.HeFanIn, Measures what = Measures.Training,
        TrainingOptions? options = null, double[]? rates = null)
    {
        var o = options ?? new TrainingOptions { Epochs = 1, BatchSize = 50, Subset = data.Train.Count, Momentum = 0, WeightDecay = 0, Schedule = Schedule.Constant };
        var preset = new Preset("quick", _ => true, o.Epochs, o.Subset, [0], rates ?? [0.01], BatchSize: o.BatchSize);
        var experiment = new Experiment("observe", 0, "observe", "observe", [variant], what, preset, preset);
        return new Runner(new RunSpec(experiment, preset, o, [0], rates ?? [0.01], init, 0.25), data, checkpoints);
    }

    [Fact]
    public void Every_batch_is_normalized_with_the_statistics_of_the_training_part_only()
    {
        torch.set_num_threads(1);
        var data = BinaryData(200, 40);
        Recorder? recorder = null;
        var variant = TinyMatrix.Variants.All[0] with { Create = () => recorder = new Recorder(new TinyMatrix.Variants.BnAfterConv()) };
        var runner = Runner(data, Path.Combine(folder, "ckpt"), variant);
        var job = runner.RunJob(new JobKey(variant, 0, 0.01), null);
        Assert.Single(job.Epochs);

        // Expected: mean and population deviation of the pixels of the images the job trains on (validation held out), in [0, 1] units.
        var split = runner.DataOf(0)!.Value.Split;
        var (mean, std) = Stats(split.Train);
        // The alternatives a bug would use are far from it on this data, so the check can fail.
        Assert.True(Math.Abs(Stats(split.Validation).Mean - mean) > 2e-3, "validation statistics too close to tell apart");
        Assert.True(Math.Abs(Stats(data.Test).Mean - mean) > 0.2);
        Assert.True(Math.Abs(Stats(data.Train).Mean - mean) > 2e-4, "whole-subset statistics too close to tell apart");

        // What reached the model: a pixel p became (p / 255 - m) / s, so 0 and 255 map to -m/s and (1 - m)/s; solve for m and s.
        var training = recorder!.Inputs.Where(i => i.Training).ToList();
        Assert.Equal(3, training.Count);   // 150 training images in batches of 50
        foreach (var (_, x) in training.Concat(recorder.Inputs.Where(i => !i.Training)))
        {
            double low = x.Min(), high = x.Max();
            var s = 1 / (high - low);
            Assert.Equal(mean, -low * s, 5);
            Assert.Equal(std, s, 5);
        }
        // Validation (50 images) and test (40 images) are evaluated in eval mode with the same constants.
        Assert.Equal([50, 40], recorder.Inputs.Where(i => !i.Training).Select(i => i.X.Length / 784));
    }

    [Theory]
    [InlineData(InitScheme.HeFanIn, 288)]
    [InlineData(InitScheme.TorchvisionFanOut, 72)]
    public void Training_starts_from_the_initialization_the_run_names(InitScheme init, int fan)
    {
        torch.set_num_threads(1);
        var data = BinaryData(200, 40);
        Recorder? recorder = null;
        var variant = new VariantInfo("FanNet", new Dictionary<string, string>(), FanNet.Summary, () => recorder = new Recorder(new FanNet()), "");
        Runner(data, Path.Combine(folder, init.ToString()), variant, init).RunJob(new JobKey(variant, 0, 0.01), null);
        var w = recorder!.InitialWeights;
        static double Std(float[] v) { var m = v.Average(x => (double)x); return Math.Sqrt(v.Select(x => (x - m) * (x - m)).Average()); }
        // conv2: fan-in 288, fan-out 72; 2,304 draws estimate the deviation to about 1.5%.
        var expected = Math.Sqrt(2.0 / fan);
        Assert.InRange(Std(w["conv2.weight"]) / expected, 0.95, 1.05);
        var fc = w["fc.weight"];
        if (init == InitScheme.HeFanIn)
        {
            Assert.InRange(Std(fc), 0.5 * 0.75, 0.5 * 1.25);            // N(0, 2/8): 80 draws
            Assert.All(w["fc.bias"], b => Assert.Equal(0, b));
        }
        else
        {
            Assert.All(fc, x => Assert.InRange(x, -1 / Math.Sqrt(8), 1 / Math.Sqrt(8)));   // torchvision leaves the head at PyTorch's U(-1/sqrt(8), 1/sqrt(8))
            Assert.Contains(w["fc.bias"], b => b != 0);
        }
        Assert.All(w["bn1.weight"], g => Assert.Equal(1, g));
    }

    /// <summary>The rate SGD applied at each step, from the update it made: with momentum and weight decay 0, w' = w - lr g, so
    /// lr = &lt;w - w', g&gt; / &lt;g, g&gt; over all parameters.</summary>
    static List<double> AppliedRates(TrainingOptions options, int epochs)
    {
        torch.set_num_threads(1);
        var data = BinaryData(120, 20);
        var train = data.Train.Take(96);
        var validation = data.Train.Select(Enumerable.Range(96, 24).ToArray());
        torch.manual_seed(3);
        using var model = new TinyMatrix.Variants.NoBn();
        Initialization.Apply(model, InitScheme.HeFanIn);
        using var trainer = new Trainer(model, train, validation, data.Test, Normalization.Of(train), options, 0);
        var rates = new List<double>();
        Tensor? before = null;
        void Observe()
        {
            using var scope = NewDisposeScope();
            var now = cat(model.parameters().Select(p => p.detach().flatten()).ToArray()).to(ScalarType.Float64);
            if (before is not null)
            {
                var grad = cat(model.parameters().Select(p => p.grad!.detach().flatten()).ToArray()).to(ScalarType.Float64);
                rates.Add(((before - now) * grad).sum().item<double>() / (grad * grad).sum().item<double>());
                before.Dispose();
            }
            before = now.DetachFromDisposeScope();
        }
        trainer.BeforeStep = (_, _, _) => Observe();
        for (var e = 1; e <= epochs; e++) trainer.RunEpoch(e, null, out _);
        Observe();
        before?.Dispose();
        return rates;
    }

    [Fact]
    public void The_optimizer_applies_the_cosine_rate_of_each_step_over_the_whole_run()
    {
        // 96 images in batches of 32: 3 steps per epoch, 6 in two epochs; lr_k = 0.1 x (1 + cos(pi k / 6)) / 2 over the run, not per epoch.
        var rates = AppliedRates(new TrainingOptions { Epochs = 2, BatchSize = 32, LearningRate = 0.1, Momentum = 0, WeightDecay = 0, Schedule = Schedule.Cosine }, 2);
        var expected = Enumerable.Range(0, 6).Select(k => 0.1 * (1 + Math.Cos(Math.PI * k / 6)) / 2).ToArray();
        Assert.Equal(6, rates.Count);
        for (var k = 0; k < 6; k++) Assert.True(Math.Abs(rates[k] / expected[k] - 1) < 1e-3, $"step {k}: applied {rates[k]}, expected {expected[k]}");
    }

    [Fact]
    public void The_optimizer_divides_the_rate_by_10_at_half_and_by_100_at_three_quarters_of_the_steps()
    {
        // 8 steps: 0.1 for steps 0-3, 0.01 for steps 4 and 5, 0.001 for steps 6 and 7.
        var rates = AppliedRates(new TrainingOptions { Epochs = 2, BatchSize = 24, LearningRate = 0.1, Momentum = 0, WeightDecay = 0, Schedule = Schedule.Step }, 2);
        double[] expected = [0.1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.001, 0.001];
        Assert.Equal(8, rates.Count);
        for (var k = 0; k < 8; k++) Assert.True(Math.Abs(rates[k] / expected[k] - 1) < 1e-3, $"step {k}: applied {rates[k]}, expected {expected[k]}");
    }

    [Fact]
    public void The_stored_shortcut_share_is_the_shortcut_over_shortcut_plus_branch_of_an_independent_probe()
    {
        torch.set_num_threads(1);
        var bundled = FashionMnist.Load(Path.Combine(AppContext.BaseDirectory, "data", "fashion-mnist"));
        var data = bundled with { Train = bundled.Train.Take(300), Test = bundled.Test.Take(50) };
        var variant = TinyResMatrix.Variants.All.Single(v => v.Settings["Residual"] == "on");
        var runner = Runner(data, Path.Combine(folder, "ckpt"), variant, what: Measures.InitialGradients);
        var profile = runner.RunJob(new JobKey(variant, 4, null), null).Initial!;

        // The same model, initialization and probe batch as the runner's, measured here with a probe of our own.
        var (split, norm) = runner.DataOf(4)!.Value;
        torch.manual_seed(4);
        using var model = variant.Create();
        Initialization.Apply(model, InitScheme.HeFanIn);
        var (x, y) = Batches.Enumerate(split.Train.Take(NetDsl.Experiments.Runner.ProbeBatch), norm, NetDsl.Experiments.Runner.ProbeBatch).First();
        using var probe = Probe.Attach(model, new ProbeOptions { Activations = false });
        probe.BeginStep(0);
        using (NewDisposeScope()) nn.functional.cross_entropy(model.call(x), y).backward();
        probe.CaptureGradients();
        var splits = probe.Current.ResidualSplits;

        Assert.Equal(splits.Select(r => r.Unit), profile.ShortcutShare.Select(s => s.Name));
        Assert.Equal(3, splits.Count);
        foreach (var (r, stored) in splits.Zip(profile.ShortcutShare))
        {
            var share = r.ShortcutGradientNorm / (r.ShortcutGradientNorm + r.BranchGradientNorm);
            // The two sides differ here, so branch / (shortcut + branch) would be far off.
            Assert.True(Math.Abs(2 * share - 1) > 0.05, $"{r.Unit}: shortcut and branch too close ({share})");
            Assert.Equal(share, stored.Value, 6);
        }
        // Unit inputs first to last and the log10 ratio of the first over the last (not the reverse).
        var norms = profile.UnitInputGradientNorms;
        Assert.Equal(["layer1.0", "layer1.1", "layer2.0"], norms.Select(n => n.Name));
        var first = GradientPropagation.UnitInputGradientNorms(probe.Current, "layer1");
        Assert.Equal(first[0], norms[0].Value, 6);
        Assert.Equal(Math.Log10(norms[0].Value / norms[^1].Value), profile.Log10Ratio!.Value, 12);
        Assert.True(Math.Abs(profile.Log10Ratio.Value) > 0.01);
        // Weight-gradient norms of every convolution and linear weight, in forward order.
        Assert.Equal(Trainer.WeightLayers(model), profile.WeightGradientNorms.Select(w => w.Name));
        var fc = model.named_parameters().Single(p => p.name == "fc.weight").parameter.grad!.norm().item<float>();
        Assert.Equal(fc, profile.WeightGradientNorms[^1].Value, 4);
        x.Dispose();
        y.Dispose();
    }
}
