using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using NetDsl.Cli.Data;
using NetDsl.Cli.Results;
using NetDsl.Cli.Training;
using NetDsl.Instrumentation;
using NetDsl.Measurements;
using TorchSharp;
using static TorchSharp.torch;

namespace NetDsl.Cli.Experiments;

/// <summary>Receives the runner's progress: which variant and seed starts, and the trainer's steps and epochs.</summary>
public interface IRunProgress
{
    /// <summary>Work on <paramref name="variant"/> with <paramref name="seed"/> starts; the returned sink receives its training progress.</summary>
    ITrainingProgress? Begin(string variant, int seed, int totalEpochs);

    /// <summary>The variant and seed finished (or diverged: <paramref name="run"/>.Diverged).</summary>
    void End(string variant, SeedResult run);
}

/// <summary>Runs an experiment's variants over its seeds, taking the measurements the experiment asks for.</summary>
/// <param name="experiment">The experiment.</param>
/// <param name="preset">Its preset.</param>
/// <param name="options">Training settings (epochs, batch, learning rate, ...).</param>
/// <param name="seeds">Seeds.</param>
/// <param name="data">The data (null for experiments that need none).</param>
/// <param name="checkpoints">Folder for per-variant checkpoints; existing ones with the same settings are resumed.</param>
public sealed class Runner(Experiment experiment, Preset preset, TrainingOptions options, IReadOnlyList<int> seeds, Dataset? data, string checkpoints)
{
    /// <summary>Images of the fixed batch used for measurements at initialization and for activation statistics.</summary>
    public const int ProbeBatch = 128;

    /// <summary>Test images of the loss slice.</summary>
    public const int SliceImages = 1000;

    /// <summary>Runs every variant of the preset over every seed.</summary>
    /// <exception cref="InvalidDataException">A checkpoint from other settings is in the way.</exception>
    public List<VariantResult> Run(IRunProgress? progress)
    {
        var variants = experiment.VariantsOf(preset);
        var train = data?.Train.Take(options.Subset);
        var norm = train is null ? null : Normalization.Of(train);
        var results = new List<VariantResult>();
        foreach (var v in variants)
        {
            var result = new VariantResult
            {
                Name = v.Name,
                Settings = v.Settings.ToDictionary(kv => kv.Key, kv => kv.Value),
                Parameters = v.Summary.TotalParameters,
                MultiplyAccumulates = v.Summary.TotalMultiplyAccumulates,
                WeightLayers = v.Summary.Layers.Count(l => l.Kind is "Conv2d" or "Linear"),
                Summary = v.Summary.ToString(),
                ForwardSource = v.ForwardSource,
            };
            foreach (var seed in seeds)
                result.Runs.Add(RunOne(v, seed, train, norm, progress));
            results.Add(result);
        }
        return results;
    }

    SeedResult RunOne(VariantInfo variant, int seed, ImageSet? train, Normalization? norm, IRunProgress? progress)
    {
        var clock = Stopwatch.StartNew();
        var training = experiment.What.HasFlag(Measures.Training);
        var sink = progress?.Begin(variant.Name, seed, training ? options.Epochs : 0);
        torch.manual_seed(seed);
        using var model = variant.Create();
        Trainer.InitializeHe(model);
        var run = new SeedResult { Seed = seed };

        if (experiment.What.HasFlag(Measures.Shattering))
        {
            var g = ShatteredGradients.InputGradients(model);
            run.Shattering = new ShatterResult(g, ShatteredGradients.Autocorrelation(g, 32));
        }

        if (train is not null && norm is not null)
        {
            var (probeX, probeY) = Batches.Enumerate(train.Take(ProbeBatch), norm, ProbeBatch).First();
            using (probeX)
            using (probeY)
            {
                using var trainer = training ? new Trainer(model, train, data!.Test, norm, options, seed) : null;
                var path = Path.Combine(checkpoints, $"{variant.Name}.seed{seed}.ckpt");
                var fingerprint = $"{experiment.Name}/{preset.Name}/{variant.Name}/seed {seed}/{options}/train {train.Count}/test {data!.Test.Count}";
                // A checkpoint brings the trained weights and everything measured so far, initialization included.
                if (trainer is not null && Checkpoint.Load(path, fingerprint, model, trainer.Optimizer) is { } resumed)
                    run = resumed;
                else
                {
                    if (experiment.What.HasFlag(Measures.InitialGradients)) run.Initial = Profile(model, probeX, probeY);
                    if (experiment.What.HasFlag(Measures.Activations)) run.Activations.Add(Activations(model, probeX, 0));
                }
                if (trainer is not null) Train(trainer, path, fingerprint, model, norm, run, probeX, sink, clock);
            }
        }
        run.Seconds += clock.Elapsed.TotalSeconds;
        progress?.End(variant.Name, run);
        return run;
    }

    void Train(Trainer trainer, string path, string fingerprint, nn.Module<Tensor, Tensor> model, Normalization norm, SeedResult run, Tensor probeX, ITrainingProgress? sink, Stopwatch clock)
    {
        var layers = Trainer.WeightLayers(model);
        trainer.BeforeStep = (step, x, y) =>
        {
            if (step % preset.MeasureEvery != 0) return;
            Func<Tensor> loss = () => nn.functional.cross_entropy(model.call(x), y);
            var lr = options.LearningRateAt(step, trainer.TotalSteps);
            if (experiment.What.HasFlag(Measures.Smoothness))
            {
                // Santurkar et al. step along -g with eta in [0.5, 4] x the learning rate (their VGG runs).
                var r = Smoothness.Probe(model, loss, new[] { 0.5, 1, 2, 4 }.Select(f => f * lr).ToArray());
                run.Smoothness.Add(new SmoothnessPoint(step, r.LossVariation, r.GradientChanges.Max(), r.EffectiveBetaSmoothness));
            }
            if (experiment.What.HasFlag(Measures.CovariateShift))
            {
                var shift = CovariateShift.Measure(model, loss, layers, lr);
                run.CovariateShift.Add(new CovariateShiftPoint(step, shift.Select(s => new LayerShift(s.Layer, s.L2Distance, s.Cosine)).ToList()));
            }
        };
        for (var epoch = run.Epochs.Count + 1; epoch <= options.Epochs && run.Diverged is null; epoch++)
        {
            var record = trainer.RunEpoch(epoch, sink, out var divergence);
            if (record is null)
            {
                run.Diverged = divergence;
                break;
            }
            run.Epochs.Add(record);
            if (experiment.What.HasFlag(Measures.Activations)) run.Activations.Add(Activations(model, probeX, epoch));
            // The checkpoint carries the time spent so far (earlier sessions included); RunOne adds this session's at the end.
            var before = run.Seconds;
            run.Seconds = before + clock.Elapsed.TotalSeconds;
            Checkpoint.Save(path, fingerprint, run, model, trainer.Optimizer);
            run.Seconds = before;
        }
        if (experiment.What.HasFlag(Measures.Slice) && run.Diverged is null && run.Slice is null)
            run.Slice = Slice(model, norm, run.Seed);
    }

    /// <summary>
    /// Gradient flow at the current weights from one forward and backward pass on (x, y) in training mode; weights,
    /// BatchNorm statistics and <c>.grad</c> are restored afterwards.
    /// </summary>
    static GradientProfile Profile(nn.Module<Tensor, Tensor> model, Tensor x, Tensor y)
    {
        using var state = new ModelState(model);
        using var probe = Probe.Attach(model, new ProbeOptions { Activations = false });
        probe.BeginStep(0);
        using (var scope = NewDisposeScope())
        {
            model.zero_grad();
            nn.functional.cross_entropy(model.call(x), y).backward();
        }
        probe.CaptureGradients();
        var record = probe.Current;
        var weights = Trainer.WeightLayers(model).ToHashSet();
        var profile = new GradientProfile
        {
            WeightGradientNorms = record.Parameters.Where(p => weights.Contains(p.Name)).Select(p => new NamedValue(p.Name, p.GradientNorm)).ToList(),
        };
        foreach (var stage in record.Taps.Select(t => t.Name.Split('.')).Where(p => p.Length > 2 && int.TryParse(p[1], out _)).Select(p => p[0]).Distinct())
        {
            var norms = GradientPropagation.UnitInputGradientNorms(record, stage);
            profile.UnitInputGradientNorms.AddRange(norms.Select((n, k) => new NamedValue($"{stage}.{k}", n)));
        }
        if (profile.UnitInputGradientNorms.Count > 1)
            profile.Log10Ratio = Math.Log10(profile.UnitInputGradientNorms[0].Value / profile.UnitInputGradientNorms[^1].Value);
        profile.ShortcutShare = record.ResidualSplits
            .Select(r => new NamedValue(r.Unit, r.ShortcutGradientNorm / (r.ShortcutGradientNorm + r.BranchGradientNorm))).ToList();
        model.zero_grad();
        return profile;
    }

    /// <summary>Activation statistics of every activation tap on <paramref name="x"/>, in eval mode without gradients.</summary>
    static ActivationSnapshot Activations(nn.Module<Tensor, Tensor> model, Tensor x, int epoch)
    {
        var wasTraining = model.training;
        model.eval();
        using var probe = Probe.Attach(model, new ProbeOptions { Gradients = false, ResidualSplit = false });
        probe.BeginStep(epoch);
        using (no_grad())
        using (var scope = NewDisposeScope())
            model.call(x);
        model.train(wasTraining);
        var layers = probe.Current.Taps.Where(t => t.Kind is TapKind.ReluOutput or TapKind.SigmoidInput or TapKind.TanhInput)
            .Select(t => new ActivationLayer(t.Name, t.Mean, t.Std, t.DeadFraction, t.AlwaysActiveFraction, t.NearLinearFraction, t.SaturatedFraction)).ToList();
        return new ActivationSnapshot(epoch, layers);
    }

    SliceResult Slice(nn.Module<Tensor, Tensor> model, Normalization norm, int seed)
    {
        var images = data!.Test.Take(SliceImages);
        var (x, y) = Batches.Enumerate(images, norm, images.Count).First();
        using (x)
        using (y)
        {
            var generator = new Generator((ulong)seed + 1000);
            var direction = LossLandscape.FilterNormalizedDirection(model, generator);
            var alphas = Enumerable.Range(0, preset.SlicePoints).Select(i => -1 + 2.0 * i / (preset.SlicePoints - 1)).ToArray();
            var losses = LossLandscape.Slice1D(model, () => nn.functional.cross_entropy(model.call(x), y), direction, alphas);
            foreach (var d in direction) d.Dispose();
            return new SliceResult(alphas, losses, images.Count);
        }
    }
}
