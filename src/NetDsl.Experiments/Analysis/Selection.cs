using System;
using System.Collections.Generic;
using System.Linq;
using NetDsl.Experiments.Results;

namespace NetDsl.Experiments.Analysis;

/// <summary>
/// Model selection on validation, as a step over finished jobs: for each job the epoch with the best validation accuracy, for
/// each variant the learning rate whose jobs reach the best mean validation accuracy over seeds. Reads only
/// <see cref="EpochRecord.ValidationAccuracy"/> and <see cref="EpochRecord.ValidationLoss"/>; test numbers are copied into the
/// result for reporting and never compared.
/// </summary>
public static class Selection
{
    /// <summary>
    /// A rate trains a variant when its mean validation accuracy exceeds this: twice chance for Fashion-MNIST's 10 classes.
    /// Below it the network stayed at chance or diverged.
    /// </summary>
    public const double TrainedThreshold = 0.2;

    /// <summary>
    /// The threshold for data with <paramref name="classes"/> classes: chance (1/k) plus a ninth of the way from chance to 100%,
    /// (k + 8) / 9k, which is <see cref="TrainedThreshold"/> (twice chance) for 10 classes, 55.6% for 2 and 12% for 100.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than 2 classes.</exception>
    public static double TrainedThresholdFor(int classes) =>
        classes >= 2 ? (classes + 8) / (9.0 * classes) : throw new ArgumentOutOfRangeException(nameof(classes), classes, "a classifier has at least 2 classes");

    /// <summary>The number of classes a run's results were trained on: its recorded class names, else Fashion-MNIST's 10.</summary>
    public static int ClassesOf(RunSettings settings) => settings.ClassNames.Count >= 2 ? settings.ClassNames.Count : 10;

    /// <summary>
    /// The epoch of <paramref name="job"/> with the best validation accuracy (ties: lower validation loss, then the earlier
    /// epoch), or null when no epoch finished. Epochs after a divergence do not exist, so a run that diverged late is judged
    /// by the epochs before (early stopping on validation).
    /// </summary>
    public static EpochRecord? BestEpoch(JobResult job) =>
        job.Epochs.Where(e => double.IsFinite(e.ValidationAccuracy))
            .OrderByDescending(e => e.ValidationAccuracy)
            .ThenBy(e => double.IsFinite(e.ValidationLoss) ? e.ValidationLoss : double.MaxValue)
            .ThenBy(e => e.Epoch)
            .FirstOrDefault();

    /// <summary>
    /// Chooses a variant's learning rate from its jobs: the rate with the highest mean (over seeds) validation accuracy at each
    /// job's best epoch, a job without a finished epoch counting 0; ties go to the lower mean validation loss, then the smaller rate.
    /// </summary>
    /// <param name="jobs">One variant's jobs (any seeds and rates).</param>
    /// <param name="classes">Classes of the data (10 for Fashion-MNIST, MNIST and CIFAR-10): a rate trains when its mean validation
    /// accuracy exceeds <see cref="TrainedThresholdFor"/> of it.</param>
    /// <returns>The choice, or null when no job trained (experiments that only measure at initialization).</returns>
    public static VariantSelection? Select(IEnumerable<JobResult> jobs, int classes = 10)
    {
        var threshold = TrainedThresholdFor(classes);
        var trained = jobs.Where(j => j.LearningRate is not null).ToList();
        if (trained.Count == 0) return null;
        var rates = trained.GroupBy(j => j.LearningRate!.Value).OrderBy(g => g.Key).Select(g =>
        {
            var best = g.Select(BestEpoch).ToList();
            var accuracy = Statistics.Summarize(best.Select(e => e?.ValidationAccuracy ?? 0));
            var loss = best.Select(e => e?.ValidationLoss ?? double.PositiveInfinity).Select(x => double.IsFinite(x) ? x : double.MaxValue).Average();
            return (Score: new RateScore(g.Key, g.Count(), accuracy.Mean, accuracy.Sd, g.Count(j => j.Diverged is not null), accuracy.Mean > threshold), Loss: loss);
        }).ToList();
        var chosen = rates.OrderByDescending(r => r.Score.ValidationAccuracy).ThenBy(r => r.Loss).ThenBy(r => r.Score.LearningRate).First().Score;
        var epochs = trained.Where(j => j.LearningRate == chosen.LearningRate).OrderBy(j => j.Seed).Select(j =>
        {
            var e = BestEpoch(j);
            return e is null
                ? new SelectedEpoch(j.Seed, 0, 0, double.NaN, double.NaN, double.NaN)
                : new SelectedEpoch(j.Seed, e.Epoch, e.ValidationAccuracy, e.TestAccuracy, e.TestLoss, e.TrainLoss);
        }).ToList();
        return new VariantSelection(chosen.LearningRate, chosen.Trains, rates.Select(r => r.Score).ToList(), epochs);
    }

    /// <summary>The jobs a variant's findings use: those at its chosen rate, or all of them when nothing trained.</summary>
    public static IEnumerable<JobResult> ChosenJobs(VariantResult variant)
    {
        var selection = variant.Selection ?? Select(variant.Jobs);
        return selection is null ? variant.Jobs : variant.Jobs.Where(j => j.LearningRate == selection.LearningRate);
    }
}
