using System;
using System.Globalization;
using System.Text;

namespace NetDsl.Experiments.Training;

/// <summary>How the learning rate changes over training.</summary>
public enum Schedule
{
    /// <summary>The base rate throughout.</summary>
    Constant,
    /// <summary>Divided by 10 at 50% and again at 75% of the steps (He et al. 2015: at 32k and 48k of 64k iterations).</summary>
    Step,
    /// <summary>Half a cosine from the base rate to zero over all steps (Loshchilov &amp; Hutter 2017, without restarts).</summary>
    Cosine,
}

/// <summary>
/// Settings of one training run. Defaults follow He et al. 2015's CIFAR setup (SGD, momentum 0.9, weight decay 1e-4,
/// batch 128, learning rate 0.1) with a cosine schedule, which suits runs of a few epochs better than step decay.
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>The defaults: the one place the command line and <c>CompareRequest</c> take them from.</summary>
    public static readonly TrainingOptions Default = new();

    /// <summary>Passes over the training split; at least 1.</summary>
    public int Epochs { get; init; } = 5;

    /// <summary>Images per step; at least 1.</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>Base learning rate of SGD, positive.</summary>
    public double LearningRate { get; init; } = 0.1;

    /// <summary>SGD momentum (PyTorch's formulation: v = mu v + g; w -= lr v).</summary>
    public double Momentum { get; init; } = 0.9;

    /// <summary>L2 weight decay added to every parameter's gradient (PyTorch's SGD <c>weight_decay</c>).</summary>
    public double WeightDecay { get; init; } = 1e-4;

    /// <summary>The learning-rate schedule, applied per step.</summary>
    public Schedule Schedule { get; init; } = Schedule.Cosine;

    /// <summary>Random crop (2-pixel padding) and horizontal flip of training images.</summary>
    public bool Augment { get; init; }

    /// <summary>Training images used (the first N of the training split); null for all.</summary>
    public int? Subset { get; init; }

    /// <summary>The record's text (<c>TrainingOptions { Epochs = 5, ..., LearningRate = 0.05, ... }</c>) in the invariant culture: it is
    /// part of each checkpoint's fingerprint, which a resume on a machine with another language must match.</summary>
    bool PrintMembers(StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture,
            $"Epochs = {Epochs}, BatchSize = {BatchSize}, LearningRate = {LearningRate}, Momentum = {Momentum}, WeightDecay = {WeightDecay}, Schedule = {Schedule}, Augment = {Augment}, Subset = {Subset}");
        return true;
    }

    /// <summary>The learning rate at <paramref name="step"/> of <paramref name="totalSteps"/> (0-based).</summary>
    public double LearningRateAt(int step, int totalSteps) => Schedule switch
    {
        Schedule.Constant => LearningRate,
        Schedule.Step => LearningRate * (step >= 0.75 * totalSteps ? 0.01 : step >= 0.5 * totalSteps ? 0.1 : 1),
        Schedule.Cosine => LearningRate * 0.5 * (1 + Math.Cos(Math.PI * step / Math.Max(1, totalSteps))),
        _ => throw new ArgumentOutOfRangeException(nameof(Schedule)),
    };
}
