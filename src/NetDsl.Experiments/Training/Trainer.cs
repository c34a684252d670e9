using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using NetDsl.Experiments.Data;
using NetDsl.Experiments.Results;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NetDsl.Experiments.Training;

// The input normalization, not the layer-normalization enum NetDsl.Normalization (the enclosing namespace's type would win).

/// <summary>Receives training progress (the terminal display, plain log lines, or nothing).</summary>
public interface ITrainingProgress
{
    /// <summary>A training step finished: <paramref name="step"/> of <paramref name="totalSteps"/> (1-based), its batch loss in nats.</summary>
    void Step(int step, int totalSteps, double loss);

    /// <summary>An epoch finished and was evaluated.</summary>
    void Epoch(EpochRecord record, int totalEpochs);
}

/// <summary>
/// Trains one classifier on images: SGD with momentum and weight decay, a per-step learning-rate schedule,
/// cross-entropy loss, and after each epoch an evaluation on the validation images (what selection reads) and on the test
/// split (for the plots and the report; nothing is chosen on it).
/// Deterministic: the same seed and thread count give the same losses (the data order and augmentation come from
/// <c>Random(seed, epoch)</c>; weights from <c>torch.manual_seed(seed)</c>).
/// </summary>
public sealed class Trainer : IDisposable
{
    readonly nn.Module<Tensor, Tensor> model;
    readonly SGD optimizer;
    readonly TrainingOptions options;
    readonly Normalization norm;
    readonly ImageSet train;
    readonly ImageSet validation;
    readonly ImageSet test;
    readonly int seed;
    readonly int stepsPerEpoch;

    /// <summary>Sets up training of <paramref name="model"/> (already initialized) on <paramref name="train"/>.</summary>
    /// <param name="model">Classifier: <c>[N, C, H, W]</c> (the images' shape) to logits <c>[N, classes]</c>.</param>
    /// <param name="train">Training images (already cut to the subset, validation images removed).</param>
    /// <param name="validation">Held-out training images evaluated after each epoch; what selection reads.</param>
    /// <param name="test">The test images evaluated after each epoch (reported, never selected on).</param>
    /// <param name="norm">Input normalization (from the training split).</param>
    /// <param name="options">Optimizer, schedule and augmentation.</param>
    /// <param name="seed">Seed of the data order and augmentation.</param>
    /// <exception cref="ArgumentException">Epochs or batch size below 1, a learning rate that is not positive, or fewer than two training images.</exception>
    public Trainer(nn.Module<Tensor, Tensor> model, ImageSet train, ImageSet validation, ImageSet test, Normalization norm, TrainingOptions options, int seed)
    {
        if (options.Epochs < 1) throw new ArgumentException("epochs must be at least 1", nameof(options));
        if (options.BatchSize < 1) throw new ArgumentException("the batch size must be at least 1", nameof(options));
        if (!(options.LearningRate > 0)) throw new ArgumentException("the learning rate must be positive", nameof(options));
        if (train.Count < 2) throw new ArgumentException($"{train.Count} training image(s): BatchNorm cannot train on a batch of one; use at least 2", nameof(train));
        (this.model, this.train, this.validation, this.test, this.norm, this.options, this.seed) = (model, train, validation, test, norm, options, seed);
        optimizer = optim.SGD(model.parameters(), options.LearningRate, momentum: options.Momentum, weight_decay: options.WeightDecay);
        stepsPerEpoch = Batches.Sizes(train.Count, options.BatchSize, noSingleImageBatch: true).Count;
    }

    /// <summary>Frees the optimizer and with it its momentum buffers (native tensors; tested), so that runs one after another in a
    /// process do not accumulate them. The model and its gradients stay the caller's.</summary>
    public void Dispose() => optimizer.Dispose();

    /// <summary>The optimizer (its state is part of a checkpoint).</summary>
    public SGD Optimizer => optimizer;

    /// <summary>What the trainer does with a last training batch of one image (null when there is none): see <see cref="LastBatchNote"/>.</summary>
    public string? BatchNote => LastBatchNote(train.Count, options.BatchSize);

    /// <summary>
    /// Null, or the sentence saying that <paramref name="images"/> training images in batches of <paramref name="batchSize"/> would leave a
    /// last batch of one image, which the trainer merges into the batch before. BatchNorm in training mode cannot normalize a single
    /// value per channel: PyTorch refuses it ("Expected more than 1 value per channel when training"), TorchSharp silently makes
    /// <c>running_var</c> NaN and every later evaluation NaN. Every variant gets the same batches, with or without BatchNorm.
    /// </summary>
    public static string? LastBatchNote(int images, int batchSize) =>
        images > batchSize && images % batchSize == 1
            ? FormattableString.Invariant($"{images:N0} training images in batches of {batchSize} would leave a last batch of one image, which BatchNorm cannot normalize in training mode (PyTorch refuses it; TorchSharp would make running_var NaN): it is merged into the batch before, which holds {batchSize + 1}")
            : null;

    /// <summary>Steps in one epoch (the last batch may be smaller; it never holds a single image).</summary>
    public int StepsPerEpoch => stepsPerEpoch;

    /// <summary>Steps of the whole run.</summary>
    public int TotalSteps => stepsPerEpoch * options.Epochs;

    /// <summary>
    /// Called before each optimizer step with the global step (0-based) and the batch <c>x [B, C, H, W]</c>, <c>y [B]</c>,
    /// at the weights the step starts from: where the runner takes Santurkar et al.'s measurements.
    /// </summary>
    public Action<int, Tensor, Tensor>? BeforeStep { get; set; }

    /// <summary>Asked after every step; true ends the epoch there, before its evaluation (a stop signal: SIGTERM from Slurm or
    /// Ctrl+C). <see cref="RunEpoch"/> then returns null with no divergence and leaves the position in <see cref="Stopped"/>.</summary>
    public Func<bool>? StopRequested { get; set; }

    /// <summary>Where the last <see cref="RunEpoch"/> stopped early on <see cref="StopRequested"/>; null when it ran to the end.</summary>
    public EpochPosition? Stopped { get; private set; }

    /// <summary>Set before <see cref="RunEpoch"/> to continue an epoch from where it stopped (from a checkpoint): the batches
    /// before it are drawn in the same order and dropped, the epoch's sums continue. Used once, for its epoch only.</summary>
    public EpochPosition? ResumeAt { get; set; }

    /// <summary>
    /// Trains epoch <paramref name="epoch"/> (1-based) and evaluates. Returns null, with the model as the last finite step
    /// left it, when the loss becomes NaN or infinite (the run diverged); <paramref name="divergence"/> then says where.
    /// </summary>
    public EpochRecord? RunEpoch(int epoch, ITrainingProgress? progress, out string? divergence)
    {
        divergence = null;
        var clock = Stopwatch.StartNew();
        model.train();
        var random = EpochRandom(seed, epoch);
        var resume = ResumeAt is { } at && at.Epoch == epoch ? at : null;
        (ResumeAt, Stopped) = (null, null);
        double lossSum = resume?.LossSum ?? 0;
        long seen = resume?.Seen ?? 0;
        // Correct predictions add up on the device; one read at the end instead of a second sync every step.
        // An explicit Scalar kept alive through the call (an implicit conversion's temporary can be finalized while LibTorch reads it).
        using var start = (resume?.Correct ?? 0L).ToScalar();
        using var correct = full(1, start, ScalarType.Int64);
        var step = (epoch - 1) * stepsPerEpoch;
        var skip = resume?.Steps ?? 0;
        double lr = options.LearningRate;
        foreach (var (bx, by) in Batches.Enumerate(train, norm, options.BatchSize, random, options.Augment, noSingleImageBatch: true))
        {
            using var batchX = bx;
            using var batchY = by;
            // Resuming mid-epoch: the steps done before the stop draw the same batches (and augmentation) and are dropped.
            if (skip > 0)
            {
                skip--;
                step++;
                continue;
            }
            using var scope = NewDisposeScope();
            lr = options.LearningRateAt(step, TotalSteps);
            foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
            BeforeStep?.Invoke(step, bx, by);
            optimizer.zero_grad();
            var logits = model.call(bx);
            var loss = nn.functional.cross_entropy(logits, by);
            var value = loss.item<float>();
            if (!double.IsFinite(value))
            {
                divergence = FormattableString.Invariant($"loss {value} at epoch {epoch}, step {step + 1}");
                return null;
            }
            loss.backward();
            optimizer.step();
            lossSum += value * by.shape[0];
            using (no_grad()) correct.add_(logits.argmax(1).eq(by).sum());
            seen += by.shape[0];
            step++;
            progress?.Step(step, TotalSteps, value);
            if (step < epoch * stepsPerEpoch && StopRequested?.Invoke() == true)
            {
                Stopped = new EpochPosition(epoch, step - (epoch - 1) * stepsPerEpoch, lossSum, correct.item<long>(), seen, (resume?.Seconds ?? 0) + clock.Elapsed.TotalSeconds);
                return null;
            }
        }
        var (validationLoss, validationAccuracy) = Evaluate(model, validation, norm, options.BatchSize);
        var (testLoss, testAccuracy) = Evaluate(model, test, norm, options.BatchSize, out var confusion);
        var record = new EpochRecord(epoch, lr, lossSum / seen, (double)correct.item<long>() / seen, validationLoss, validationAccuracy, testLoss, testAccuracy,
            (resume?.Seconds ?? 0) + clock.Elapsed.TotalSeconds, DisposeScopeManager.Statistics.ThreadTotalLiveCount) { TestConfusion = confusion };
        progress?.Epoch(record, options.Epochs);
        return record;
    }

    /// <summary>
    /// The random source of epoch <paramref name="epoch"/>'s data order and augmentation: a fixed function of seed and epoch
    /// (not <c>HashCode</c>, which .NET randomizes per process), so a resumed run and a rerun see the same batches.
    /// </summary>
    public static Random EpochRandom(int seed, int epoch) => new(unchecked(seed * 1_000_003 + epoch * 7919 + 17));

    /// <summary>Mean cross-entropy (nats) and accuracy (0 to 1) of <paramref name="model"/> on <paramref name="set"/>, in eval mode, without gradients.
    /// The model's mode is restored afterwards, and its cached BatchNorm folds (reused across the batches) are released
    /// (<see cref="NetDsl.Inference.BatchNormFolding.Release"/>).</summary>
    /// <param name="model">Classifier: <c>[N, C, H, W]</c> to logits <c>[N, classes]</c>.</param>
    /// <param name="set">The images (at least one).</param>
    /// <param name="norm">Input normalization.</param>
    /// <param name="batchSize">Images per forward pass (at least 256 are used).</param>
    public static (double Loss, double Accuracy) Evaluate(nn.Module<Tensor, Tensor> model, ImageSet set, Normalization norm, int batchSize) =>
        Evaluate(model, set, norm, batchSize, out _);

    /// <summary>As <see cref="Evaluate(nn.Module{Tensor, Tensor}, ImageSet, Normalization, int)"/>, and the confusion matrix of the
    /// predictions (row: true class, column: predicted class, <see cref="FashionMnist.ClassNames"/>' classes), all summed on the device and
    /// read once.</summary>
    public static (double Loss, double Accuracy) Evaluate(nn.Module<Tensor, Tensor> model, ImageSet set, Normalization norm, int batchSize, out ConfusionMatrix confusion)
    {
        var classes = FashionMnist.ClassNames.Length;
        var wasTraining = model.training;
        model.eval();
        using var lossSum = zeros(1, ScalarType.Float64);
        using var counts = zeros(classes * classes, ScalarType.Int64);
        using (no_grad())
        {
            using var classScalar = ((long)classes).ToScalar();
            foreach (var (bx, by) in Batches.Enumerate(set, norm, Math.Max(batchSize, 256)))
            {
                using var batchX = bx;
                using var batchY = by;
                using var scope = NewDisposeScope();
                var logits = model.call(bx);
                lossSum.add_(nn.functional.cross_entropy(logits, by, reduction: nn.Reduction.Sum).to(ScalarType.Float64));
                counts.add_((by.mul(classScalar) + logits.argmax(1)).bincount(null, classes * classes));
            }
        }
        model.train(wasTraining);
        // The folds cached for these batches would be stale after the next training step and outlive a disposed model.
        NetDsl.Inference.BatchNormFolding.Release(model);
        var flat = counts.data<long>().ToArray();
        confusion = new ConfusionMatrix(classes, flat.Select(c => (int)c).ToArray());
        var correct = Enumerable.Range(0, classes).Sum(c => flat[c * classes + c]);
        return (lossSum.item<double>() / set.Count, (double)correct / set.Count);
    }

    /// <summary>Names of the convolution and linear weights in forward (registration) order: the layers W_1..W_L of the measurements.</summary>
    public static List<string> WeightLayers(nn.Module model) =>
        model.named_parameters().Where(p => p.name.EndsWith(".weight", StringComparison.Ordinal) || p.name == "weight")
            .Where(p => p.parameter.dim() > 1).Select(p => p.name).ToList();
}

/// <summary>How far an epoch got before a stop signal ended it early: what a checkpoint needs to continue it exactly.</summary>
/// <param name="Epoch">The epoch (1-based).</param>
/// <param name="Steps">Steps of this epoch done (at least 1, fewer than the epoch has).</param>
/// <param name="LossSum">Sum over those steps of the batch loss times the batch size, nats.</param>
/// <param name="Correct">Training images classified correctly in those steps.</param>
/// <param name="Seen">Training images seen in those steps.</param>
/// <param name="Seconds">Wall time spent on the epoch so far, seconds.</param>
public sealed record EpochPosition(int Epoch, int Steps, double LossSum, long Correct, long Seen, double Seconds);
