using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace NetDsl.Experiments.Results;

/// <summary>Everything one <c>netdsl compare</c> run measured: the content of <c>results.json</c>, from which the report is rendered.</summary>
public sealed class RunResults
{
    /// <summary>The format this version writes. 2 added the validation split, learning-rate grids, jobs and the initialization;
    /// files of format 1 ranked on test accuracy and hold no validation numbers, so they are refused, not upgraded.</summary>
    public const int CurrentFormat = 2;

    /// <summary>Format version of this file.</summary>
    public int FormatVersion { get; set; } = CurrentFormat;
    /// <summary>Experiment name (<c>degradation</c>).</summary>
    public string Experiment { get; set; } = "";
    /// <summary>Preset name (<c>quick</c>, <c>full</c>).</summary>
    public string Preset { get; set; } = "";
    /// <summary>The experiment's title.</summary>
    public string Title { get; set; } = "";
    /// <summary>The question it answers, with the papers.</summary>
    public string Question { get; set; } = "";
    /// <summary>Settings, versions and machine, for reproduction.</summary>
    public RunSettings Settings { get; set; } = new();
    /// <summary>Start time, UTC.</summary>
    public DateTime StartedUtc { get; set; }
    /// <summary>Wall time of the whole run, seconds.</summary>
    public double WallSeconds { get; set; }
    /// <summary>One entry per variant with at least one finished job, in the plan's order.</summary>
    public List<VariantResult> Variants { get; set; } = new();
    /// <summary>Jobs in the run's plan (<c>plan.json</c>); 0 in files written before plans.</summary>
    public int PlannedJobs { get; set; }
    /// <summary>Jobs of the plan with no finished result (not run, running, interrupted or failed): in no table or statistic,
    /// and listed by the report so that a partial run is never mistaken for a whole one.</summary>
    public List<IncompleteJob> Incomplete { get; set; } = new();

    /// <summary>The JSON settings of results.json and of checkpoints' progress records: NaN and infinity as strings, enums by name.</summary>
    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
        // Plain text for people reading the files ('+' and '&' as themselves); the files are never embedded in HTML.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Serializes to indented JSON (NaN and infinity as strings).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads a <c>results.json</c>.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Not a results file, one of an older format, or a variant whose settings give an axis a value it does not take
    /// (the message says why it cannot be used and what to do).</exception>
    public static RunResults Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        var text = File.ReadAllText(path);
        int version;
        try
        {
            using var document = JsonDocument.Parse(text);
            version = document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(nameof(FormatVersion), out var v) && v.TryGetInt32(out var n) ? n : 0;
        }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON at line {(e.LineNumber ?? 0) + 1} (a truncated or edited file?); `netdsl compare` writes results.json", e); }
        if (version is > 0 and < CurrentFormat)
            throw new InvalidDataException($"{path}: results format {version}, written by an older netdsl that ranked variants on test accuracy without a validation split or learning-rate grid; " +
                "it cannot be upgraded (it holds no validation numbers): run the experiment again with `netdsl compare` (its Reproduce command, without --lr if it named one rate)");
        if (version > CurrentFormat)
            throw new InvalidDataException($"{path}: results format {version} is newer than this netdsl reads ({CurrentFormat}); update netdsl");
        RunResults? results;
        try { results = JsonSerializer.Deserialize<RunResults>(text, Json); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not a netdsl results file ({e.Message.Split('.')[0]}); `netdsl compare` writes results.json", e); }
        if (results is null || results.FormatVersion != CurrentFormat || string.IsNullOrEmpty(results.Experiment) || results.Variants.Count == 0 || results.Settings.Seeds.Count == 0)
            throw new InvalidDataException($"{path}: not a netdsl results file (format version {CurrentFormat}, an experiment, its seeds and at least one variant); `netdsl compare` writes results.json");
        foreach (var variant in results.Variants)
        {
            try { _ = variant.Axes; }
            catch (FormatException e) { throw new InvalidDataException($"{path}: variant '{variant.Name}': {e.Message} (an edited file?); `netdsl compare` writes results.json", e); }
        }
        return results;
    }
}

/// <summary>The options and environment of a run.</summary>
public sealed class RunSettings
{
    /// <summary>Epochs trained (0 for measurements at initialization only).</summary>
    public int Epochs { get; set; }
    /// <summary>Batch size.</summary>
    public int BatchSize { get; set; }
    /// <summary>The learning-rate grid: every variant trains at each, and its row uses the one with the best validation accuracy.
    /// Empty for experiments that do not train.</summary>
    public List<double> LearningRates { get; set; } = new();
    /// <summary>SGD momentum.</summary>
    public double Momentum { get; set; }
    /// <summary>Weight decay.</summary>
    public double WeightDecay { get; set; }
    /// <summary>How the training images were batched when that needed a change (a last batch of one image merged into the one before,
    /// because BatchNorm cannot train on it), or null.</summary>
    public string? BatchNote { get; set; }
    /// <summary>Learning-rate schedule.</summary>
    public string Schedule { get; set; } = "";
    /// <summary>Augmentation on or off.</summary>
    public bool Augment { get; set; }
    /// <summary>Weight initialization (<c>NetDsl.Measurements.InitScheme</c> name), used for training and every measurement.</summary>
    public string Init { get; set; } = "";
    /// <summary>What the initialization draws, with its paper.</summary>
    public string InitDescription { get; set; } = "";
    /// <summary>Share of the training images held out for validation (stratified by class, drawn from each job's seed).</summary>
    public double ValidationFraction { get; set; }
    /// <summary>Seeds, one job per variant and learning rate each.</summary>
    public List<int> Seeds { get; set; } = new();
    /// <summary>LibTorch intra-op threads of each job (jobs run side by side divide the cores between them).</summary>
    public int Threads { get; set; }
    /// <summary>OMP_WAIT_POLICY in the process environment.</summary>
    public string OmpWaitPolicy { get; set; } = "";
    /// <summary>The dataset trained on (<c>compare --dataset</c>): <c>fashion-mnist</c> (also in results written before it was recorded),
    /// <c>mnist</c>, <c>cifar10</c>, or a user's <c>idx</c> files or image <c>folder</c>.</summary>
    public string Dataset { get; set; } = "fashion-mnist";
    /// <summary>The dataset's class names by label; empty in results written before they were recorded (then Fashion-MNIST's).</summary>
    public List<string> ClassNames { get; set; } = new();
    /// <summary>The per-sample image shape <c>[C, H, W]</c> trained on (<c>[1, 28, 28]</c>, <c>[3, 32, 32]</c>); empty without data and in
    /// results written before it was recorded (then <c>[1, 28, 28]</c>).</summary>
    public List<int> ImageShape { get; set; } = new();
    /// <summary>Where the data came from.</summary>
    public string DataFolder { get; set; } = "";
    /// <summary>How the data folder was chosen.</summary>
    public string DataOrigin { get; set; } = "";
    /// <summary>How train and test were formed.</summary>
    public string DataSplit { get; set; } = "";
    /// <summary>Images trained on per job (the subset less the validation images).</summary>
    public int TrainImages { get; set; }
    /// <summary>Validation images per job.</summary>
    public int ValidationImages { get; set; }
    /// <summary>Test images used.</summary>
    public int TestImages { get; set; }
    /// <summary>Training images taken before the validation split (the first N), or null for all.</summary>
    public int? Subset { get; set; }
    /// <summary>Steps between Santurkar et al.'s measurements during training.</summary>
    public int MeasureEvery { get; set; }
    /// <summary>Points of the 1-D loss slice on [-1, 1].</summary>
    public int SlicePoints { get; set; }
    /// <summary>SHA-256 (hex) of the images and labels used (the training subset, then the test images): every job checks
    /// that it reads the same data, wherever it runs. Empty without data.</summary>
    public string DataSha256 { get; set; } = "";
    /// <summary>Versions: NetDsl, TorchSharp, .NET, OS, CPU.</summary>
    public Dictionary<string, string> Versions { get; set; } = new();
    /// <summary>The command line that reproduces the run.</summary>
    public string CommandLine { get; set; } = "";
}

/// <summary>One variant's description, its jobs (one per seed and learning rate) and the selection over them.</summary>
public sealed class VariantResult
{
    /// <summary>Variant name (<c>DepthNet.Plain.BnAfterConv.Depth3</c>).</summary>
    public string Name { get; set; } = "";
    /// <summary>Axis settings as text (<see cref="VariantSettings.ToStrings"/>: <c>Residual</c> = <c>off</c>, <c>BatchNorm</c> = <c>NoBn</c>), plus any
    /// descriptive entries of a hand-written variant. Code reads them typed through <see cref="Axes"/>.</summary>
    public Dictionary<string, string> Settings { get; set; } = new();
    /// <summary>The typed axis settings read from <see cref="Settings"/> (<see cref="VariantSettings.Parse"/>); not stored.</summary>
    /// <exception cref="FormatException">An axis has a value it does not take (<see cref="RunResults.Load"/> rejects such a file).</exception>
    [JsonIgnore]
    public VariantSettings Axes => VariantSettings.Parse(Settings);
    /// <summary>Learnable parameters.</summary>
    public long Parameters { get; set; }
    /// <summary>Forward multiply-accumulates per sample.</summary>
    public long MultiplyAccumulates { get; set; }
    /// <summary>Layers with a weight (convolution or linear).</summary>
    public int WeightLayers { get; set; }
    /// <summary>The architecture table.</summary>
    public string Summary { get; set; } = "";
    /// <summary>The generated forward methods.</summary>
    public string ForwardSource { get; set; } = "";
    /// <summary>One self-contained result per (seed, learning rate) job.</summary>
    public List<JobResult> Jobs { get; set; } = new();
    /// <summary>The rate and epochs chosen on validation (computed from <see cref="Jobs"/> by <c>Selection.Select</c>; null without training).</summary>
    public VariantSelection? Selection { get; set; }
}

/// <summary>
/// Everything one job measured: one variant, one seed, one learning rate. Self-contained (it names its variant, seed and
/// rate), so jobs can run anywhere and be merged.
/// </summary>
public sealed class JobResult
{
    /// <summary>The variant's name.</summary>
    public string Variant { get; set; } = "";
    /// <summary>The seed (weights, validation split, data order, augmentation).</summary>
    public int Seed { get; set; }
    /// <summary>Base learning rate; null for experiments that do not train.</summary>
    public double? LearningRate { get; set; }
    /// <summary>
    /// The initialization this job's network got: the comparison's scheme (<c>HeFanIn</c>), or the one the variant declares
    /// with <c>[Init]</c> or the <c>Init</c> axis, which it keeps (<c>Fixup (declared)</c>); empty in results written before it existed.
    /// </summary>
    public string Init { get; set; } = "";
    /// <summary>Per-epoch curves (validation and test after every epoch).</summary>
    public List<EpochRecord> Epochs { get; set; } = new();
    /// <summary>Why training stopped early (a non-finite loss), or null.</summary>
    public string? Diverged { get; set; }
    /// <summary>Gradient flow at initialization.</summary>
    public GradientProfile? Initial { get; set; }
    /// <summary>Activation statistics per layer at initialization (epoch 0) and after each epoch.</summary>
    public List<ActivationSnapshot> Activations { get; set; } = new();
    /// <summary>Santurkar et al. probes during training.</summary>
    public List<SmoothnessPoint> Smoothness { get; set; } = new();
    /// <summary>Internal covariate shift during training.</summary>
    public List<CovariateShiftPoint> CovariateShift { get; set; } = new();
    /// <summary>1-D filter-normalized loss slice after training.</summary>
    public SliceResult? Slice { get; set; }
    /// <summary>Shattered-gradient measurements at initialization.</summary>
    public ShatterResult? Shattering { get; set; }
    /// <summary>Wall time of this job, seconds.</summary>
    public double Seconds { get; set; }

    /// <summary>The job's stable identifier: <c>&lt;variant&gt;.seed&lt;seed&gt;[.lr&lt;rate&gt;]</c> (file names, plans).</summary>
    public static string IdOf(string variant, int seed, double? learningRate) =>
        $"{variant}.seed{seed.ToString(System.Globalization.CultureInfo.InvariantCulture)}" +
        (learningRate is { } lr ? $".lr{lr.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}" : "");
}

/// <summary>A job of the plan that has no finished result.</summary>
/// <param name="Id">The job's id (<c>&lt;variant&gt;.seed&lt;s&gt;.lr&lt;r&gt;</c>).</param>
/// <param name="Variant">Its variant.</param>
/// <param name="Seed">Its seed.</param>
/// <param name="LearningRate">Its learning rate, or null.</param>
/// <param name="State">Where it stands: not started, running, interrupted (a checkpoint continues it) or failed.</param>
/// <param name="Detail">The error of a failed job, or how far an interrupted one got.</param>
public sealed record IncompleteJob(string Id, string Variant, int Seed, double? LearningRate, string State, string Detail);

/// <summary>A learning rate of the grid, scored on validation for one variant.</summary>
/// <param name="LearningRate">The rate.</param>
/// <param name="Seeds">Jobs at this rate.</param>
/// <param name="ValidationAccuracy">Mean over seeds of the validation accuracy at each job's selected epoch (0 for a job without a finished epoch).</param>
/// <param name="ValidationAccuracySd">Its standard deviation over seeds (NaN for one seed).</param>
/// <param name="Diverged">Jobs at this rate whose loss became non-finite.</param>
/// <param name="Trains">The mean validation accuracy exceeds <c>Selection.TrainedThreshold</c>.</param>
public sealed record RateScore(double LearningRate, int Seeds, double ValidationAccuracy, double ValidationAccuracySd, int Diverged, bool Trains);

/// <summary>One seed's job at the chosen rate: the epoch chosen on validation and what it measured there.</summary>
/// <param name="Seed">The seed.</param>
/// <param name="Epoch">The epoch with the best validation accuracy (ties: lower validation loss, then earlier); 0 when none finished.</param>
/// <param name="ValidationAccuracy">Validation accuracy at that epoch, 0 to 1.</param>
/// <param name="TestAccuracy">Test accuracy of that epoch's model, 0 to 1 (reported, never used for a choice).</param>
/// <param name="TestLoss">Test loss of that epoch's model, nats.</param>
/// <param name="TrainLoss">Training loss over that epoch, nats.</param>
public sealed record SelectedEpoch(int Seed, int Epoch, double ValidationAccuracy, double TestAccuracy, double TestLoss, double TrainLoss);

/// <summary>What selection on validation chose for a variant.</summary>
/// <param name="LearningRate">The rate of the grid with the best mean validation accuracy.</param>
/// <param name="Trained">False when no rate of the grid trains the variant (every rate's mean validation accuracy at or below the threshold).</param>
/// <param name="Rates">Every rate's score, in grid order.</param>
/// <param name="Epochs">Per seed at the chosen rate: the selected epoch and its numbers.</param>
public sealed record VariantSelection(double LearningRate, bool Trained, List<RateScore> Rates, List<SelectedEpoch> Epochs);

/// <summary>One epoch of training and evaluation.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="LearningRate">Learning rate at the epoch's last step.</param>
/// <param name="TrainLoss">Mean cross-entropy over the epoch's training batches (train mode, before each step), nats.</param>
/// <param name="TrainAccuracy">Fraction of training images classified correctly during the epoch, 0 to 1.</param>
/// <param name="ValidationLoss">Mean cross-entropy on the validation images after the epoch (eval mode), nats: what selection reads.</param>
/// <param name="ValidationAccuracy">Validation accuracy after the epoch, 0 to 1: what selection reads.</param>
/// <param name="TestLoss">Mean cross-entropy on the test split after the epoch (eval mode), nats; for plots and the report, never for a choice.</param>
/// <param name="TestAccuracy">Test accuracy after the epoch, 0 to 1.</param>
/// <param name="Seconds">Wall time of the epoch including evaluation.</param>
/// <param name="LiveTensors">Native tensors alive after the epoch (TorchSharp's dispose-scope statistics), counted from the job's
/// start in a job's results (the model, optimizer state and batches it holds): flat when nothing leaks.</param>
public sealed record EpochRecord(int Epoch, double LearningRate, double TrainLoss, double TrainAccuracy, double ValidationLoss, double ValidationAccuracy, double TestLoss, double TestAccuracy, double Seconds, long LiveTensors)
{
    /// <summary>The test predictions after the epoch: row = true class, column = predicted class (for the per-class table and the
    /// confusion-matrix plot of the selected epoch; never used for a choice). Null in results written before it was recorded.</summary>
    public ConfusionMatrix? TestConfusion { get; init; }
}

/// <summary>A confusion matrix, <c>[Classes, Classes]</c> counts stored row by row: <c>Counts[t * Classes + p]</c> images of true class t
/// predicted as p. Equal when the counts are equal.</summary>
/// <param name="Classes">Number of classes (10 for Fashion-MNIST).</param>
/// <param name="Counts">Row-major counts, <c>Classes * Classes</c> of them.</param>
public sealed record ConfusionMatrix(int Classes, int[] Counts)
{
    /// <summary>Images of true class <paramref name="actual"/> predicted as <paramref name="predicted"/>.</summary>
    public int this[int actual, int predicted] => Counts[actual * Classes + predicted];

    /// <summary>Images of true class <paramref name="actual"/>.</summary>
    public int Row(int actual) => Counts.Skip(actual * Classes).Take(Classes).Sum();

    /// <summary>Accuracy on class <paramref name="actual"/>: correct / images of that class, 0 to 1 (NaN without images of it).</summary>
    public double ClassAccuracy(int actual) => Row(actual) is var n and > 0 ? (double)this[actual, actual] / n : double.NaN;

    /// <inheritdoc/>
    public bool Equals(ConfusionMatrix? other) => other is not null && Classes == other.Classes && Counts.AsSpan().SequenceEqual(other.Counts);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Classes, Counts.Length > 0 ? Counts[0] : 0, Counts.Length);
}

/// <summary>A named number (a layer and its value).</summary>
public sealed record NamedValue(string Name, double Value);

/// <summary>Gradient flow at initialization, from one forward and backward pass on a fixed batch.</summary>
public sealed class GradientProfile
{
    /// <summary>||dL/dW|| of every convolution and linear weight, in forward order.</summary>
    public List<NamedValue> WeightGradientNorms { get; set; } = new();
    /// <summary>||dL/dx|| at the input of every unit of every stage, first to last.</summary>
    public List<NamedValue> UnitInputGradientNorms { get; set; } = new();
    /// <summary>log10(||dL/dx_first unit|| / ||dL/dx_last unit||) (He et al. 2016); null without stages.</summary>
    public double? Log10Ratio { get; set; }
    /// <summary>Residual units: the share of ||dL/dx|| carried by the shortcut, ||g_shortcut|| / (||g_shortcut|| + ||g_branch||).</summary>
    public List<NamedValue> ShortcutShare { get; set; } = new();
}

/// <summary>Activation statistics of every activation layer at one point of training.</summary>
/// <param name="Epoch">0 at initialization, else after that epoch.</param>
/// <param name="Layers">Per activation tap, in forward order.</param>
public sealed record ActivationSnapshot(int Epoch, List<ActivationLayer> Layers);

/// <summary>Statistics of one activation over a fixed batch (eval mode).</summary>
/// <param name="Name">Tap name (<c>layer1.0.relu1</c>).</param>
/// <param name="Mean">Mean of the activation.</param>
/// <param name="Std">Standard deviation of the activation.</param>
/// <param name="Dead">ReLU: fraction of units never active over the batch.</param>
/// <param name="AlwaysActive">ReLU: fraction of units active for every sample.</param>
/// <param name="NearLinear">Sigmoid/tanh: fraction of inputs in the near-linear region |x| &lt; 1.</param>
/// <param name="Saturated">Sigmoid/tanh: fraction of inputs where the derivative is below 1% of its maximum.</param>
public sealed record ActivationLayer(string Name, double Mean, double Std, double? Dead, double? AlwaysActive, double? NearLinear, double? Saturated);

/// <summary>Santurkar et al. 2018's three quantities at one training step (Fig. 4).</summary>
/// <param name="Step">Global training step (0-based).</param>
/// <param name="LossVariation">max - min of L(w - eta g) over the step sizes.</param>
/// <param name="GradientPredictiveness">max over eta of ||grad L(w - eta g) - g|| (lower is more predictive).</param>
/// <param name="EffectiveBeta">max over eta of ||grad L(w - eta g) - g|| / ||eta g||.</param>
public sealed record SmoothnessPoint(int Step, double LossVariation, double GradientPredictiveness, double EffectiveBeta);

/// <summary>Internal covariate shift at one step (Santurkar et al. 2018, Definition 2.1), per weight layer.</summary>
/// <param name="Step">Global training step (0-based).</param>
/// <param name="Layers">||G - G'|| and cos(G, G') per layer, forward order.</param>
public sealed record CovariateShiftPoint(int Step, List<LayerShift> Layers);

/// <summary>One layer's shift.</summary>
/// <param name="Layer">Weight parameter name.</param>
/// <param name="L2Distance">||G - G'||.</param>
/// <param name="Cosine">cos(G, G').</param>
public sealed record LayerShift(string Layer, double L2Distance, double Cosine);

/// <summary>A 1-D loss slice L(theta + a d) along one filter-normalized direction (Li et al. 2018).</summary>
/// <param name="Alphas">The step a along d.</param>
/// <param name="Losses">Loss at each a on the evaluation images (eval mode), nats.</param>
/// <param name="Images">Evaluation images used.</param>
public sealed record SliceResult(double[] Alphas, double[] Losses, int Images);

/// <summary>Shattered gradients at initialization (Balduzzi et al. 2017).</summary>
/// <param name="Gradients">df/dx at the 256 grid points on [-2, 2).</param>
/// <param name="Autocorrelation">ACF at lags 0..k.</param>
public sealed record ShatterResult(double[] Gradients, double[] Autocorrelation);
