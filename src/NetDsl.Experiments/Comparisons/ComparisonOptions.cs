using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using NetDsl.Experiments.Data;
using NetDsl.Experiments.Progress;
using NetDsl.Experiments.Sweeps;
using NetDsl.Experiments.Training;
using NetDsl.Measurements;

namespace NetDsl.Experiments;

/// <summary>
/// What a <see cref="Comparison"/> trains and measures, on which data, with which settings, and where it writes: the options of
/// <c>netdsl compare</c> as one object. Every default is the one <c>netdsl compare --assembly</c> uses for a user's network (the
/// default experiment's <c>quick</c> preset: 3 epochs on the first 3,000 training images with 10% held out for validation,
/// batch 64, learning rates 0.01 and 0.05, seeds 0, 1 and 2, cosine schedule, He fan-in initialization, 2,000 test images).
/// </summary>
/// <example>
/// <code>
/// var result = Comparison.Run(new ComparisonOptions
/// {
///     Variants = LabNet.Variants.All,      // a [Variants] registry, a subset of it, or ComparisonVariant.Of(...) factories
///     Epochs = 2, TrainingSubset = 1000, Seeds = [0, 1],
///     Output = "reports/lab",
/// });
/// Console.WriteLine(result.ReportPath);
/// </code>
/// </example>
public sealed record ComparisonOptions
{
    /// <summary>The variants to train side by side, in report order: a generated <c>Net.Variants.All</c> registry, a subset of it
    /// (<c>LabNet.Variants.All.Where(v =&gt; v.Axes.Residual == true).ToList()</c>), several registries concatenated, or
    /// hand-written modules (<see cref="ComparisonVariant.Of"/>). Names must be unique; every variant must take the dataset's
    /// image shape <c>[1, 28, 28]</c> per sample and output one logit per class (<c>[10]</c>).</summary>
    public IReadOnlyList<VariantInfo> Variants { get; init; } = [];

    /// <summary>The run's name: the report's experiment name, job fingerprints and the default output folder
    /// (<c>reports/&lt;name&gt;-&lt;time&gt;</c>). Null: the network name the variants share (<c>LabNet</c> for
    /// <c>LabNet.Residual.NoBn</c>, ...), else <c>comparison</c>. Letters, digits, <c>.</c>, <c>-</c> and <c>_</c>.</summary>
    public string? Name { get; init; }

    /// <summary>The report's title; null: <c>The variants of &lt;name&gt;</c>.</summary>
    public string? Title { get; init; }

    /// <summary>The report's opening paragraph (the question the run answers); null: one naming the variants and the dataset.</summary>
    public string? Description { get; init; }

    /// <summary>The data, as <see cref="FashionMnist.Load(string?, ImageDataset)"/> returns it (training and test splits of 28x28
    /// grey images, 10 classes). Null: loaded from <see cref="DataFolder"/> as <see cref="DataKind"/>.</summary>
    public Dataset? Data { get; init; }

    /// <summary>When <see cref="Data"/> is null, the folder with the IDX files to load; null searches as <c>netdsl compare</c> does
    /// (<c>$NETDSL_FASHION_MNIST</c>, the <c>netdsl data fetch</c> folder, Debian's <c>/usr/share/datasets/fashion-mnist</c>, then
    /// the bundled 10,000-image test split: 8,000 training and 2,000 test images).</summary>
    public string? DataFolder { get; init; }

    /// <summary>When <see cref="Data"/> is null, which dataset to load: <see cref="ImageDataset.FashionMnist"/> (default) or
    /// <see cref="ImageDataset.Mnist"/>.</summary>
    public ImageDataset DataKind { get; init; } = ImageDataset.FashionMnist;

    /// <summary>What each job measures. Default: training curves with validation-based selection, and the gradient profile at
    /// initialization (<see cref="Measures.Training"/> | <see cref="Measures.InitialGradients"/>). Measurements through probes
    /// (<see cref="Measures.InitialGradients"/>, <see cref="Measures.Activations"/>) need NetDsl-generated networks.</summary>
    public Measures Measures { get; init; } = Measures.Training | Measures.InitialGradients;

    /// <summary>Epochs each job trains, at least 1 (ignored without <see cref="Measures.Training"/>).</summary>
    public int Epochs { get; init; } = 3;

    /// <summary>Images per SGD step, at least 1.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>The learning-rate grid: every variant trains at each rate, and its row reports the rate with the best mean
    /// validation accuracy. Positive, at most 1000, each once.</summary>
    public IReadOnlyList<double> LearningRates { get; init; } = [0.01, 0.05];

    /// <summary>Seeds (weights, validation split, data order, augmentation): one job per variant, seed and rate; several give the
    /// mean, spread and 95% intervals. Each once.</summary>
    public IReadOnlyList<int> Seeds { get; init; } = [0, 1, 2];

    /// <summary>Share of the training images each job holds out for validation (stratified by class, drawn from its seed), in
    /// (0, 0.5]; every choice of epoch and rate is made on it.</summary>
    public double ValidationFraction { get; init; } = ValidationSplit.DefaultFraction;

    /// <summary>Weight initialization, applied before every measurement and training.</summary>
    public InitScheme Init { get; init; } = InitScheme.HeFanIn;

    /// <summary>The learning-rate schedule over each job's steps.</summary>
    public Schedule Schedule { get; init; } = Schedule.Cosine;

    /// <summary>Random crop (2-pixel padding) and horizontal flip of training images (He et al. 2015's augmentation).</summary>
    public bool Augment { get; init; }

    /// <summary>SGD momentum, in [0, 1).</summary>
    public double Momentum { get; init; } = TrainingOptions.Default.Momentum;

    /// <summary>L2 weight decay, not negative.</summary>
    public double WeightDecay { get; init; } = TrainingOptions.Default.WeightDecay;

    /// <summary>Training images taken (the first N) before the validation split; null: the whole training split.</summary>
    public int? TrainingSubset { get; init; } = 3000;

    /// <summary>Test images evaluated after every epoch (the first N); null: the whole test split.</summary>
    public int? TestSubset { get; init; } = 2000;

    /// <summary>LibTorch threads (results depend on the thread count; the plan records it); null: every core of this machine.</summary>
    public int? Threads { get; init; }

    /// <summary>Steps between Santurkar et al.'s measurements (<see cref="Measures.Smoothness"/>, <see cref="Measures.CovariateShift"/>).</summary>
    public int MeasureEvery { get; init; } = 25;

    /// <summary>Points of the 1-D loss slice on [-1, 1] (<see cref="Measures.Slice"/>).</summary>
    public int SlicePoints { get; init; } = 21;

    /// <summary>The run folder (plan, job results, checkpoints, report); null: <c>reports/&lt;name&gt;-&lt;yyyyMMdd-HHmmss&gt;</c>
    /// under the current directory. Refused when it holds another run, unless <see cref="Resume"/>.</summary>
    public string? Output { get; init; }

    /// <summary>Continue the run in <see cref="Output"/>: finished jobs are skipped, interrupted ones continue from their
    /// checkpoints. Its plan must be the one these options make (refused, naming the setting, otherwise).</summary>
    public bool Resume { get; init; }

    /// <summary>Per-job progress: bars on an interactive terminal, else lines (<see cref="ProgressDisplay.Auto"/>), always lines, or none.</summary>
    public ProgressDisplay Progress { get; init; } = ProgressDisplay.Auto;

    /// <summary>A progress receiver of your own, instead of <see cref="Progress"/>'s display.</summary>
    public IRunProgress? ProgressSink { get; init; }

    /// <summary>Where the run writes its lines (summary, notes, progress lines, headline, report path); null: the console
    /// (standard output, and standard error for stop messages). Set <see cref="TextWriter.Null"/> for silence.</summary>
    public TextWriter? Log { get; init; }

    /// <summary>Ctrl+C (SIGINT), SIGTERM and SIGUSR1 stop the run after the current training step with a checkpoint, while it runs
    /// (a second Ctrl+C quits at once); <see cref="Comparison.Run(System.Threading.CancellationToken)"/> then returns
    /// <see cref="ComparisonStatus.Interrupted"/>. False leaves signals alone (the cancellation token still stops it).</summary>
    public bool StopOnSignals { get; init; } = true;

    /// <summary>Training time between checkpoints within an epoch, on top of the one after every epoch (default 10 minutes);
    /// <see cref="TimeSpan.Zero"/> checkpoints after every step.</summary>
    public TimeSpan CheckpointEvery { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The options of a ready-made experiment of <see cref="Catalog"/> (or of <see cref="UserNetworks.ExperimentOf"/>) at one of its
    /// presets: its variants, measurements, name, title and the preset's settings; what <c>netdsl compare -x &lt;name&gt; -p
    /// &lt;preset&gt;</c> runs. Change any setting with <c>with { ... }</c>.
    /// </summary>
    /// <param name="experiment">The experiment (<c>Catalog.Find("degradation")</c>).</param>
    /// <param name="preset"><c>quick</c> or <c>full</c> (any case).</param>
    /// <exception cref="UsageException">Another preset name.</exception>
    public static ComparisonOptions For(Experiment experiment, string preset = "quick")
    {
        ArgumentNullException.ThrowIfNull(experiment);
        var p = experiment.PresetNamed(preset.ToLowerInvariant())
            ?? throw new UsageException($"unknown preset '{preset}'; use quick or full");
        return For(experiment, p);
    }

    /// <summary>As <see cref="For(Experiment, string)"/> with the preset itself (its <see cref="Preset.Include"/> picks the variants).</summary>
    internal static ComparisonOptions For(Experiment experiment, Preset preset) => new()
    {
        Variants = experiment.VariantsOf(preset),
        Name = experiment.Name,
        Title = experiment.Title,
        Description = experiment.Description,
        Measures = experiment.What,
        Epochs = preset.Epochs,
        BatchSize = preset.BatchSize,
        LearningRates = preset.LearningRates,
        Seeds = preset.Seeds,
        Schedule = preset.Schedule,
        Augment = preset.Augment,
        TrainingSubset = preset.Subset,
        TestSubset = preset.TestSubset,
        MeasureEvery = preset.MeasureEvery,
        SlicePoints = preset.SlicePoints,
        PresetName = preset.Name,
        Source = experiment.Origin ?? new VariantSource(VariantSource.BuiltIn, experiment.Name),
    };

    // What the tool sets and a program does not need (InternalsVisibleTo NetDsl.Cli).

    /// <summary>The preset's name as plans and reports record it; <c>custom</c> for options made in code.</summary>
    internal string PresetName { get; init; } = "custom";

    /// <summary>Where the variants come from, for jobs run from the plan alone; null: given in code by this program
    /// (<see cref="VariantSource.Program"/>).</summary>
    internal VariantSource? Source { get; init; }

    /// <summary>How messages name the options (the tool: <c>--epochs</c>); null: by property name.</summary>
    internal IReadOnlyDictionary<string, string>? OptionNames { get; init; }

    /// <summary>Jobs run at once in child processes (<c>netdsl compare --jobs N</c>; needs the <c>netdsl</c> binary); 1 runs them here.</summary>
    internal int ChildProcesses { get; init; } = 1;

    /// <summary>The jobs run elsewhere (Slurm): the threads are not checked against this machine's cores.</summary>
    internal bool RunsElsewhere { get; init; }

    /// <summary>How a message names option <paramref name="property"/>.</summary>
    internal string NameOf(string property) => OptionNames?.GetValueOrDefault(property) ?? property;
}

/// <summary>Variants from hand-written TorchSharp modules, for <see cref="ComparisonOptions.Variants"/>.</summary>
public static class ComparisonVariant
{
    /// <summary>
    /// A variant built by <paramref name="create"/> (any <c>Module&lt;Tensor, Tensor&gt;</c> taking <c>[N, C, H, W]</c> images and
    /// returning <c>[N, classes]</c> logits). Its summary (every leaf module's output shape, parameters, and multiply-accumulates of
    /// convolutions and linear layers) is measured once here by a forward pass of one zero image in eval mode, with forward hooks.
    /// Generated networks need none of this: their registry's <see cref="VariantInfo"/> carries the compile-time summary.
    /// </summary>
    /// <param name="name">The variant's name in the report and in job ids (letters, digits, <c>.</c>, <c>-</c>, <c>_</c>).</param>
    /// <param name="create">Builds a new instance (the runner initializes it with <see cref="ComparisonOptions.Init"/>).</param>
    /// <param name="inputShape">Per-sample input <c>[C, H, W]</c>; default <c>[1, 28, 28]</c> (Fashion-MNIST, MNIST).</param>
    /// <param name="settings">Settings for the report's tables (optional): the axes' text (<see cref="VariantSettings.ToStrings"/>: <c>Residual</c> = <c>on</c>,
    /// read into <see cref="VariantInfo.Axes"/>) and any descriptive entries of your own (<c>Width</c> = <c>64</c>).</param>
    /// <exception cref="ArgumentException">An entry of <paramref name="settings"/> named like an axis has a value that axis does not take (checked before the module is built).</exception>
    /// <exception cref="UsageException">The module does not run on <paramref name="inputShape"/> (the message names it and the fix).</exception>
    public static VariantInfo Of(string name, Func<TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>> create,
        long[]? inputShape = null, IReadOnlyDictionary<string, string>? settings = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(create);
        try { VariantSettings.Parse(settings ?? new Dictionary<string, string>()); }
        catch (FormatException e) { throw new ArgumentException($"variant '{name}': {e.Message}", nameof(settings), e); }
        var shape = inputShape ?? [1, 28, 28];
        var summary = RuntimeSummary.Of(name, create, shape);
        return new VariantInfo(name, settings ?? new Dictionary<string, string>(), summary, create,
            $"// {name}: a hand-written module (no generated forward)");
    }
}
