using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using NetDsl.Experiments.Data;
using NetDsl.Experiments.Analysis;
using NetDsl.Experiments.Results;
using NetDsl.Experiments.Training;
using NetDsl.Instrumentation;
using NetDsl.Measurements;
using TorchSharp;
using static TorchSharp.torch;

namespace NetDsl.Experiments;

// The input normalization, not the layer-normalization enum NetDsl.Normalization (the enclosing namespace's type would win).

/// <summary>Receives the runner's progress: which job starts, and the trainer's steps and epochs.</summary>
public interface IRunProgress
{
    /// <summary><paramref name="job"/> starts; the returned sink receives its training progress.</summary>
    ITrainingProgress? Begin(JobKey job, int totalEpochs);

    /// <summary>The job finished (or diverged: <paramref name="result"/>.Diverged).</summary>
    void End(JobKey job, JobResult result);

    /// <summary>The job did not finish: it failed, or a stop interrupted it (its checkpoint continues it); <paramref name="message"/> says which.</summary>
    void Failed(JobKey job, string message) { }
}

/// <summary>One unit of work: a variant trained and measured at one seed and one learning rate (null for experiments that do not train).</summary>
/// <param name="Variant">The variant.</param>
/// <param name="Seed">Seed of the weights, the validation split, the data order and augmentation.</param>
/// <param name="LearningRate">Base learning rate, or null.</param>
public sealed record JobKey(VariantInfo Variant, int Seed, double? LearningRate)
{
    /// <summary>Stable identifier (<see cref="JobResult.IdOf"/>): checkpoint file names use it.</summary>
    public string Id => JobResult.IdOf(Variant.Name, Seed, LearningRate);

    /// <summary>Short label for progress lines: the variant without its network prefix, the seed and the rate.</summary>
    public string Label
    {
        get
        {
            var name = Variant.Name.Contains('.') ? Variant.Name[(Variant.Name.IndexOf('.') + 1)..] : Variant.Name;
            return $"{name} s{Seed}" + (LearningRate is { } lr ? $" lr {lr.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)}" : "");
        }
    }
}

/// <summary>Everything that defines a run's jobs and makes their results comparable.</summary>
/// <param name="Experiment">The experiment.</param>
/// <param name="Preset">Its preset (with any <c>--only</c> filter applied).</param>
/// <param name="Options">Training settings shared by every job (epochs, batch, schedule, ...); each job sets its own learning rate.</param>
/// <param name="Seeds">Seeds.</param>
/// <param name="LearningRates">The learning-rate grid (empty for experiments that do not train).</param>
/// <param name="Init">Weight initialization, applied before any measurement or training.</param>
/// <param name="ValidationFraction">Share of the training images each job holds out for validation.</param>
public sealed record RunSpec(Experiment Experiment, Preset Preset, TrainingOptions Options, IReadOnlyList<int> Seeds, IReadOnlyList<double> LearningRates,
    InitScheme Init, double ValidationFraction)
{
    /// <summary>Every job, variant by variant, then seed, then rate: the plan a run executes.</summary>
    public IReadOnlyList<JobKey> Jobs()
    {
        var training = Experiment.What.HasFlag(Measures.Training);
        IReadOnlyList<double?> rates = training ? LearningRates.Select(r => (double?)r).ToList() : [null];
        return Experiment.VariantsOf(Preset).SelectMany(v => Seeds.SelectMany(seed => rates.Select(lr => new JobKey(v, seed, lr)))).ToList();
    }
}

/// <summary>
/// Runs an experiment as independent jobs, one per variant, seed and learning rate, each producing a self-contained
/// <see cref="JobResult"/> (checkpointed after every epoch); selection and statistics are a separate step over the results
/// (<see cref="Analysis.Selection"/>).
/// </summary>
/// <param name="spec">The run.</param>
/// <param name="data">The data, test split already cut to the images evaluated (null for experiments that need none).</param>
/// <param name="checkpoints">Folder for per-job checkpoints; existing ones with the same settings are resumed.</param>
public sealed class Runner(RunSpec spec, Dataset? data, string checkpoints)
{
    /// <summary>Images of the fixed batch used for measurements at initialization and for activation statistics.</summary>
    public const int ProbeBatch = 128;

    /// <summary>Test images of the loss slice.</summary>
    public const int SliceImages = 1000;

    readonly Dictionary<int, (TrainValidation Split, Normalization Norm)> splits = new();
    Experiment Experiment => spec.Experiment;
    Preset Preset => spec.Preset;

    /// <summary>The training subset a seed's jobs train on and the validation images they select on (the same for every variant
    /// and rate of that seed), and the normalization from the training part. Null without data.</summary>
    public (TrainValidation Split, Normalization Norm)? DataOf(int seed)
    {
        if (data is null) return null;
        if (!splits.TryGetValue(seed, out var entry))
        {
            var split = ValidationSplit.Cut(data.Train.Take(spec.Options.Subset), spec.ValidationFraction, seed);
            entry = (split, Normalization.Of(split.Train));
            splits[seed] = entry;
        }
        return entry;
    }

    /// <summary>Runs every job of the plan and groups the results by variant, with each variant's selection.</summary>
    /// <exception cref="InvalidDataException">A checkpoint from other settings is in the way.</exception>
    public List<VariantResult> Run(IRunProgress? progress)
    {
        var jobs = spec.Jobs();
        var results = jobs.Select(j => (j, RunJob(j, progress))).ToList();
        return results.GroupBy(r => r.j.Variant).Select(g =>
        {
            var v = g.Key;
            var variant = new VariantResult
            {
                Name = v.Name,
                Settings = v.Settings.ToDictionary(kv => kv.Key, kv => kv.Value),
                Parameters = v.Summary.TotalParameters,
                MultiplyAccumulates = v.Summary.TotalMultiplyAccumulates,
                WeightLayers = v.Summary.Layers.Count(l => l.Kind is "Conv2d" or "Linear"),
                Summary = v.Summary.ToString(),
                ForwardSource = v.ForwardSource,
                Jobs = g.Select(r => r.Item2).ToList(),
            };
            variant.Selection = Analysis.Selection.Select(variant.Jobs, data?.ClassNames.Count ?? 10);
            return variant;
        }).ToList();
    }

    /// <summary>Asked after every training step; true stops the job there: the checkpoint then holds the position within the
    /// epoch and <see cref="RunJob"/> throws <see cref="JobInterruptedException"/> (a stop signal: SIGTERM, SIGINT, Slurm's
    /// <c>--signal</c>). Running the job again continues exactly where it stopped.</summary>
    public Func<bool>? StopRequested { get; set; }

    /// <summary>Training time between checkpoints within an epoch (default 10 minutes), on top of the one after every epoch: a job
    /// killed without warning (a node failure, the out-of-memory killer) loses at most this much. <see cref="TimeSpan.Zero"/>
    /// checkpoints after every step.</summary>
    public TimeSpan CheckpointEvery { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The string a job's checkpoint must match to be resumed: experiment, preset, job, every training setting and the
    /// data sizes, culture-invariant (a node with another locale must read the same string).</summary>
    public string Fingerprint(JobKey job, TrainingOptions options, TrainValidation split)
    {
        var o = options;
        return string.Create(Inv, $"{Experiment.Name}/{Preset.Name}/{job.Id}/epochs {o.Epochs}, batch {o.BatchSize}, lr {o.LearningRate:R}, momentum {o.Momentum:R}, ") +
               string.Create(Inv, $"weight decay {o.WeightDecay:R}, {o.Schedule}, augment {o.Augment}, subset {o.Subset?.ToString(Inv) ?? "all"}/init {spec.Init}/validation {spec.ValidationFraction:R}") +
               string.Create(Inv, $"/train {split.Train.Count}/validation {split.Validation.Count}/test {data!.Test.Count}");
    }

    static readonly System.Globalization.CultureInfo Inv = System.Globalization.CultureInfo.InvariantCulture;

    /// <summary>Runs one job (resuming from its checkpoint when there is one, mid-epoch included) and returns its result.</summary>
    /// <exception cref="InvalidDataException">A checkpoint from other settings is in the way.</exception>
    /// <exception cref="JobInterruptedException"><see cref="StopRequested"/> stopped it; its checkpoint holds where.</exception>
    public JobResult RunJob(JobKey job, IRunProgress? progress)
    {
        var clock = Stopwatch.StartNew();
        var training = Experiment.What.HasFlag(Measures.Training) && job.LearningRate is not null;
        var sink = progress?.Begin(job, training ? spec.Options.Epochs : 0);
        torch.manual_seed(job.Seed);
        // Everything a job allocates is freed with it: tensors no step scope owns (handles returned by initialization and by the
        // probes' gradient reads: 59 per job of a 20-layer net, measured as live tensors growing job after job in one process)
        // would otherwise pile up, and a job run after others would not count the same live tensors as one run alone.
        using var jobScope = NewDisposeScope();
        // Live tensors are counted from here: what the job holds, the same in a fresh process and after other jobs or tests.
        var baseline = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        using var model = job.Variant.Create();
        Initialization.Apply(model, spec.Init);
        var run = new JobResult { Variant = job.Variant.Name, Seed = job.Seed, LearningRate = job.LearningRate, Init = Initialization.Applied(model, spec.Init) };

        if (Experiment.What.HasFlag(Measures.Shattering))
        {
            var g = ShatteredGradients.InputGradients(model);
            run.Shattering = new ShatterResult(g, ShatteredGradients.Autocorrelation(g, 32));
        }

        if (DataOf(job.Seed) is var (split, norm))
        {
            var options = training ? spec.Options with { LearningRate = job.LearningRate!.Value } : spec.Options;
            var (probeX, probeY) = Batches.Enumerate(split.Train.Take(ProbeBatch), norm, ProbeBatch).First();
            using (probeX)
            using (probeY)
            {
                using var trainer = training ? new Trainer(model, split.Train, split.Validation, data!.Test, norm, options, job.Seed) : null;
                var path = CheckpointPath(job);
                var fingerprint = Fingerprint(job, options, split);
                // A checkpoint brings the trained weights and everything measured so far, initialization included.
                if (trainer is not null && Checkpoint.Load(path, fingerprint, model, trainer.Optimizer, out var position) is { } resumed)
                {
                    run = resumed;
                    trainer.ResumeAt = position;
                }
                else
                {
                    // Measurements free the handles they read gradients through, so that an epoch's live-tensor count does not
                    // depend on whether this process measured at initialization or resumed from a checkpoint.
                    using var measuring = NewDisposeScope();
                    if (Experiment.What.HasFlag(Measures.InitialGradients)) run.Initial = Profile(model, probeX, probeY);
                    if (Experiment.What.HasFlag(Measures.Activations)) run.Activations.Add(Activations(model, probeX, 0));
                }
                if (trainer is not null) Train(trainer, options, path, fingerprint, model, norm, run, probeX, sink, clock, baseline);
            }
        }
        run.Seconds += clock.Elapsed.TotalSeconds;
        progress?.End(job, run);
        return run;
    }

    void Train(Trainer trainer, TrainingOptions options, string path, string fingerprint, nn.Module<Tensor, Tensor> model, Normalization norm, JobResult run, Tensor probeX, ITrainingProgress? sink, Stopwatch clock, long baseline)
    {
        void Save(EpochPosition? position)
        {
            // The checkpoint carries the time spent so far (earlier sessions included); RunJob adds this session's at the end.
            var before = run.Seconds;
            run.Seconds = before + clock.Elapsed.TotalSeconds;
            Checkpoint.Save(path, fingerprint, run, model, trainer.Optimizer, position);
            run.Seconds = before;
        }

        var layers = Trainer.WeightLayers(model);
        var sinceSave = Stopwatch.StartNew();
        trainer.StopRequested = () => StopRequested?.Invoke() == true || sinceSave.Elapsed >= CheckpointEvery;
        trainer.BeforeStep = (step, x, y) =>
        {
            if (step % Preset.MeasureEvery != 0) return;
            Func<Tensor> loss = () => nn.functional.cross_entropy(model.call(x), y);
            var lr = options.LearningRateAt(step, trainer.TotalSteps);
            if (Experiment.What.HasFlag(Measures.Smoothness))
            {
                // Santurkar et al. step along -g with eta in [0.5, 4] x the learning rate (their VGG runs).
                var r = Smoothness.Probe(model, loss, new[] { 0.5, 1, 2, 4 }.Select(f => f * lr).ToArray());
                run.Smoothness.Add(new SmoothnessPoint(step, r.LossVariation, r.GradientChanges.Max(), r.EffectiveBetaSmoothness));
            }
            if (Experiment.What.HasFlag(Measures.CovariateShift))
            {
                var shift = CovariateShift.Measure(model, loss, layers, lr);
                run.CovariateShift.Add(new CovariateShiftPoint(step, shift.Select(s => new LayerShift(s.Layer, s.L2Distance, s.Cosine)).ToList()));
            }
        };
        for (var epoch = run.Epochs.Count + 1; epoch <= options.Epochs && run.Diverged is null; epoch++)
        {
            var record = trainer.RunEpoch(epoch, sink, out var divergence);
            if (record is null && trainer.Stopped is { } stopped)
            {
                Save(stopped);
                sinceSave.Restart();
                if (StopRequested?.Invoke() == true)
                    throw new JobInterruptedException($"stopped at epoch {stopped.Epoch}, step {stopped.Steps} of {trainer.StepsPerEpoch}; the checkpoint {path} continues it");
                // A checkpoint within the epoch (CheckpointEvery): carry on from it, as a resumed process would.
                trainer.ResumeAt = stopped;
                epoch--;
                continue;
            }
            if (record is null)
            {
                run.Diverged = divergence;
                break;
            }
            run.Epochs.Add(record with { LiveTensors = record.LiveTensors - baseline });
            if (Experiment.What.HasFlag(Measures.Activations))
                using (NewDisposeScope()) run.Activations.Add(Activations(model, probeX, epoch));
            Save(null);
            sinceSave.Restart();
            if (epoch < options.Epochs && StopRequested?.Invoke() == true)
                throw new JobInterruptedException($"stopped after epoch {epoch} of {options.Epochs}; the checkpoint {path} continues it");
        }
        if (Experiment.What.HasFlag(Measures.Slice) && run.Diverged is null && run.Slice is null)
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

    /// <summary>Where <paramref name="job"/>'s checkpoint lives: <c>&lt;checkpoints&gt;/&lt;job id&gt;.ckpt</c>.</summary>
    public string CheckpointPath(JobKey job) => Path.Combine(checkpoints, $"{job.Id}.ckpt");

    SliceResult Slice(nn.Module<Tensor, Tensor> model, Normalization norm, int seed)
    {
        var images = data!.Test.Take(SliceImages);
        var (x, y) = Batches.Enumerate(images, norm, images.Count).First();
        using (x)
        using (y)
        {
            var generator = new Generator((ulong)seed + 1000);
            var direction = LossLandscape.FilterNormalizedDirection(model, generator);
            var alphas = Enumerable.Range(0, Preset.SlicePoints).Select(i => -1 + 2.0 * i / (Preset.SlicePoints - 1)).ToArray();
            var losses = LossLandscape.Slice1D(model, () => nn.functional.cross_entropy(model.call(x), y), direction, alphas);
            foreach (var d in direction) d.Dispose();
            return new SliceResult(alphas, losses, images.Count);
        }
    }
}

/// <summary>A job stopped on request (<see cref="Runner.StopRequested"/>) before it finished; its checkpoint continues it.</summary>
/// <param name="message">Where it stopped and which checkpoint holds it.</param>
public sealed class JobInterruptedException(string message) : Exception(message);
