using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using NetDsl.Experiments.Analysis;
using NetDsl.Experiments.Data;
using NetDsl.Experiments;
using NetDsl.Experiments.Results;
using NetDsl.Experiments.Training;
using NetDsl.Measurements;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;

namespace NetDsl.Cli.Tests;

/// <summary>Two small variants (BatchNorm on and off) for runs of the whole pipeline in seconds.</summary>
[Network, Input(1, 28, 28), BatchNorm, Activation(Nonlinearity.ReLU)]
[Variants(BatchNorm = new[] { BatchNormVariant.AfterConv, BatchNormVariant.None })]
public partial class TinyMatrix
{
    [Conv(8, Kernel = 3, Stride = 2)] Conv2d conv1;
    [Conv(8, Kernel = 3, Stride = 2)] Conv2d conv2;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(10)] Linear fc;
}

public sealed class SplitTests
{
    static readonly ImageSet Train = FashionMnist.Load(Path.Combine(AppContext.BaseDirectory, "data", "fashion-mnist")).Train;

    [Fact]
    public void The_split_is_stratified_by_class()
    {
        var split = ValidationSplit.Cut(Train, 0.1, 0);
        for (var c = 0; c < 10; c++)
        {
            var n = Train.Labels.Count(l => l == c);
            Assert.Equal((int)Math.Round(0.1 * n, MidpointRounding.AwayFromZero), split.Validation.Labels.Count(l => l == c));
            Assert.Equal(n - split.Validation.Labels.Count(l => l == c), split.Train.Labels.Count(l => l == c));
        }
        Assert.InRange(split.Validation.Count, 795, 805);   // 10 classes of about 800 each: 10% of each within rounding
    }

    [Fact]
    public void The_split_is_disjoint_and_complete()
    {
        var set = Train.Take(1000);
        var split = ValidationSplit.Cut(set, 0.2, 3);
        var held = split.ValidationIndices.ToHashSet();
        Assert.Equal(split.ValidationIndices.Length, held.Count);
        var rest = Enumerable.Range(0, set.Count).Where(i => !held.Contains(i)).ToArray();
        Assert.Equal(set.Count, rest.Length + held.Count);
        // Both sides hold exactly the images of their indices, pixel for pixel, in file order.
        Assert.Equal(set.Select(rest).Pixels, split.Train.Pixels);
        Assert.Equal(set.Select(split.ValidationIndices).Pixels, split.Validation.Pixels);
        Assert.Equal(set.Select(split.ValidationIndices).Labels, split.Validation.Labels);
    }

    [Fact]
    public void The_split_is_a_fixed_function_of_the_seed()
    {
        var a = ValidationSplit.Cut(Train, 0.1, 0);
        var b = ValidationSplit.Cut(Train, 0.1, 0);
        var c = ValidationSplit.Cut(Train, 0.1, 1);
        Assert.Equal(a.ValidationIndices, b.ValidationIndices);
        Assert.NotEqual(a.ValidationIndices, c.ValidationIndices);
        // Recorded once: a per-process random source would give other indices in every new test process.
        Assert.Equal([14, 28, 31, 56, 63], a.ValidationIndices.Take(5));
    }

    [Fact]
    public void A_class_of_two_or_more_images_always_gives_one_and_a_single_image_stays_in_training()
    {
        // Class 0: 2 images (round(0.2) = 0, raised to 1); class 1: 1 image (kept for training); class 2: 15 images (round(1.5) = 2).
        byte[] labels = [0, 0, 1, .. Enumerable.Repeat((byte)2, 15)];
        var set = new ImageSet(new byte[labels.Length * 4], labels, 2, 2);
        var split = ValidationSplit.Cut(set, 0.1, 0);
        Assert.Equal(new byte[] { 0, 2, 2 }, split.Validation.Labels.Order());
        Assert.Equal(15, split.Train.Count);
        Assert.Equal(split.ValidationIndices.Order(), split.ValidationIndices);
        var none = Assert.Throws<ArgumentException>(() => ValidationSplit.Cut(new ImageSet(new byte[8], [3, 4], 2, 2), 0.1, 0));
        Assert.StartsWith("2 training images hold out no validation image at fraction 0.1; use more images or a larger fraction", none.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => ValidationSplit.Cut(set, 0.5000001, 0));
        // At the largest fraction, 0.5: round(1) + round(0.5, away from zero) + round(7.5) = 1 + 1 + 8.
        Assert.Equal(10, ValidationSplit.Cut(set, 0.5, 0).Validation.Count);
    }

    [Fact]
    public void Bad_fractions_and_tiny_sets_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ValidationSplit.Cut(Train, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ValidationSplit.Cut(Train, 0.6, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ValidationSplit.Cut(Train, double.NaN, 0));
        Assert.Throws<ArgumentException>(() => ValidationSplit.Cut(Train.Take(1), 0.1, 0));
    }

    [Fact]
    public void Refusals_say_why_and_every_seed_gives_its_recorded_split()
    {
        Assert.StartsWith("the validation fraction must be in (0, 0.5] (Parameter 'fraction')",
            Assert.Throws<ArgumentOutOfRangeException>(() => ValidationSplit.Cut(Train, 0.75, 0)).Message, StringComparison.Ordinal);
        Assert.Equal("1 training image(s): too few to hold out a validation set (Parameter 'set')",
            Assert.Throws<ArgumentException>(() => ValidationSplit.Cut(Train.Take(1), 0.5, 0)).Message);
        // Seed 0 alone cannot pin the seed's mixing: Random(n) and Random(-n) draw the same sequence. Recorded once for seeds 1 and 7.
        Assert.Equal([8, 20, 23, 28, 31], ValidationSplit.Cut(Train, 0.1, 1).ValidationIndices.Take(5));
        Assert.Equal([70, 85, 89, 128, 130], ValidationSplit.Cut(Train, 0.1, 7).ValidationIndices.Take(5));
    }
}

public sealed class StatisticsTests
{
    [Theory]
    // Student t two-sided 95% critical values, from the standard table.
    [InlineData(1, 12.7062)]
    [InlineData(2, 4.3027)]
    [InlineData(4, 2.7764)]
    [InlineData(10, 2.2281)]
    [InlineData(25, 2.0595)]
    [InlineData(120, 1.9799)]
    public void T_quantiles_match_the_table(double df, double expected) => Assert.Equal(expected, Statistics.TQuantile(0.975, df), 4);

    [Fact]
    public void The_interval_of_a_mean_is_t_times_the_standard_error()
    {
        // 1..5: mean 3, sd sqrt(2.5) = 1.5811; half-width 2.7764 x 1.5811 / sqrt(5) = 1.9632.
        var s = Statistics.Summarize([1, 2, 3, 4, 5, double.NaN]);
        Assert.Equal(5, s.N);
        Assert.Equal(3, s.Mean, 12);
        Assert.Equal(Math.Sqrt(2.5), s.Sd, 12);
        Assert.Equal(1.0368, s.Low, 4);
        Assert.Equal(4.9632, s.High, 4);
        var one = Statistics.Summarize([0.7]);
        Assert.Equal(0.7, one.Mean);
        Assert.True(double.IsNaN(one.Sd) && double.IsNaN(one.Low));
    }

    [Fact]
    public void Welch_matches_a_published_example()
    {
        // Welch's t-test, Wikipedia's example 1: t = -2.46, df = 24.99.
        double[] a = [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4];
        double[] b = [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4];
        var w = Statistics.Welch(a, b);
        Assert.Equal(-2.16667, w.Difference, 5);
        Assert.Equal(24.9885, w.DegreesOfFreedom, 4);
        // se = 0.88242; t(0.975, 24.9885) = 2.0596: the interval -3.984 to -0.349 excludes 0 (p = 0.021).
        Assert.Equal(-3.984, w.Low, 3);
        Assert.Equal(-0.349, w.High, 3);
        Assert.True(w.Distinguishable);
    }

    [Fact]
    public void Welch_Satterthwaite_reduces_to_the_pooled_df_for_equal_variances_and_sizes()
    {
        Assert.Equal(8, Statistics.WelchDegreesOfFreedom(1, 5, 1, 5), 12);
        // Unequal: va = 2.5, vb = 10, n = 5: (0.5 + 2)^2 / (0.25/4 + 4/4) = 5.88235.
        Assert.Equal(5.882353, Statistics.WelchDegreesOfFreedom(2.5, 5, 10, 5), 6);
        Assert.Equal(8, Statistics.WelchDegreesOfFreedom(0, 5, 0, 5), 12);
    }

    [Fact]
    public void An_interval_containing_zero_or_a_single_seed_is_not_distinguishable()
    {
        Assert.False(Statistics.Welch([1, 2, 3], [1.5, 2.5, 3.5]).Distinguishable);
        var single = Statistics.Welch([1], [0, 0.1]);
        Assert.False(single.Distinguishable);
        Assert.True(double.IsNaN(single.Low));
        Assert.Throws<ArgumentOutOfRangeException>(() => Statistics.TQuantile(0.975, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Statistics.TQuantile(1, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => Statistics.TQuantile(0, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => Statistics.TQuantile(double.NaN, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => Statistics.TQuantile(0.975, double.NaN));
        Assert.Equal(0, Statistics.TQuantile(0.5, 3), 12);
    }

    [Fact]
    public void An_interval_entirely_above_zero_is_distinguishable_and_its_half_width_is_half_its_length()
    {
        // [5, 6, 7] - [1, 2, 3]: difference 4, se sqrt(2/3), df 4: 4 ± 2.7764 x 0.8165 = 1.733 to 6.267.
        var w = Statistics.Welch([5, 6, 7], [1, 2, 3]);
        Assert.True(w.Distinguishable);
        Assert.Equal(4, w.Difference, 12);
        Assert.Equal(1.733, w.Low, 3);
        Assert.Equal(6.267, w.High, 3);
        Assert.Equal((3, 3), (w.Na, w.Nb));
        Assert.False(new WelchDifference(1, 0, 2, 4, 3, 3).Distinguishable);   // touching 0 is not excluding it
        Assert.True(new WelchDifference(-1, -2, -0.001, 4, 3, 3).Distinguishable);
        Assert.False(new WelchDifference(-1, double.NaN, -0.5, 4, 3, 3).Distinguishable);
        Assert.False(new WelchDifference(1, 0.5, double.PositiveInfinity, 4, 3, 3).Distinguishable);
        var s = Statistics.Summarize([1, 2, 3, 4, 5]);
        Assert.Equal((s.High - s.Low) / 2, s.HalfWidth, 12);
        Assert.Equal(1.9632, s.HalfWidth, 4);
        Assert.Equal(new Summary(0, double.NaN, double.NaN, double.NaN, double.NaN), Statistics.Summarize([double.NaN, double.PositiveInfinity]));
    }

    [Fact]
    public void Two_runs_have_an_interval_with_one_degree_of_freedom_and_two_per_side_give_Welchs()
    {
        // [1, 3]: mean 2, sd sqrt(2); t(0.975, 1) = tan(0.475 pi) = 12.7062: half-width 12.7062 x sqrt(2) / sqrt(2).
        var s = Statistics.Summarize([1, 3]);
        Assert.Equal((2, 2.0), (s.N, s.Mean));
        Assert.Equal(Math.Sqrt(2), s.Sd, 12);
        Assert.Equal(2 - 12.706204736174696, s.Low, 9);
        Assert.Equal(2 + 12.706204736174696, s.High, 9);
        // [1, 3] - [0, 2]: d = 1, se = sqrt(2/2 + 2/2), df = (1 + 1)^2 / (1/1 + 1/1) = 2 exactly, t(0.975, 2) = 0.95 / sqrt(2 x 0.975 x 0.025).
        foreach (var (a, b, d) in new[] { (new double[] { 1, 3 }, new double[] { 0, 2 }, 1.0), ([0, 2], [1, 3], -1.0) })
        {
            var w = Statistics.Welch(a, b);
            Assert.Equal((d, 2, 2), (w.Difference, w.Na, w.Nb));
            Assert.Equal(2, w.DegreesOfFreedom, 12);
            Assert.Equal(d - 6.084869844593311, w.Low, 9);
            Assert.Equal(d + 6.084869844593311, w.High, 9);
        }
    }

    [Fact]
    public void One_run_on_either_side_gives_no_interval_and_no_degrees_of_freedom()
    {
        foreach (var w in new[] { Statistics.Welch([1], [0, 0.1, 0.3]), Statistics.Welch([0, 0.1, 0.3], [1]) })
        {
            Assert.True(double.IsNaN(w.Low) && double.IsNaN(w.High));
            Assert.True(double.IsNaN(w.DegreesOfFreedom));
            Assert.Equal(1, Math.Min(w.Na, w.Nb));
        }
        Assert.Equal(1 - 0.4 / 3, Statistics.Welch([1], [0, 0.1, 0.3]).Difference, 12);
    }

    [Fact]
    public void An_interval_ending_at_zero_does_not_exclude_it()
    {
        Assert.False(new WelchDifference(-1, -2, 0, 4, 3, 3).Distinguishable);
        Assert.True(new WelchDifference(-1, -2, -1e-12, 4, 3, 3).Distinguishable);
    }

    [Fact]
    public void Bad_quantile_arguments_say_what_is_allowed()
    {
        Assert.StartsWith("must be in (0, 1) (Parameter 'p')", Assert.Throws<ArgumentOutOfRangeException>(() => Statistics.TQuantile(1.5, 3)).Message, StringComparison.Ordinal);
        Assert.StartsWith("must be positive (Parameter 'degreesOfFreedom')", Assert.Throws<ArgumentOutOfRangeException>(() => Statistics.TQuantile(0.975, -1)).Message, StringComparison.Ordinal);
    }
}

public sealed class SelectionTests
{
    static EpochRecord Epoch(int epoch, double validation, double validationLoss, double test) =>
        new(epoch, 0.1, 1, 0.5, validationLoss, validation, 1, test, 1, 0);

    static JobResult Job(int seed, double lr, params EpochRecord[] epochs) => new() { Variant = "v", Seed = seed, LearningRate = lr, Epochs = epochs.ToList() };

    [Fact]
    public void The_best_epoch_is_the_best_validation_accuracy_then_the_lower_validation_loss_then_the_earlier()
    {
        var job = Job(0, 0.1, Epoch(1, 0.5, 1.0, 0.99), Epoch(2, 0.8, 0.6, 0.1), Epoch(3, 0.8, 0.5, 0.2), Epoch(4, 0.8, 0.5, 0.3));
        Assert.Equal(3, Selection.BestEpoch(job)!.Epoch);
        Assert.Null(Selection.BestEpoch(Job(0, 0.1)));
    }

    [Fact]
    public void The_rate_with_the_best_mean_validation_accuracy_wins_and_a_failed_job_counts_zero()
    {
        var jobs = new[]
        {
            // 0.1: one seed diverged before finishing an epoch (counts 0): mean 0.45 despite its other seed's 0.9.
            Job(0, 0.1, Epoch(1, 0.9, 0.3, 0.9)), new JobResult { Variant = "v", Seed = 1, LearningRate = 0.1, Diverged = "loss NaN at epoch 1, step 3" },
            Job(0, 0.01, Epoch(1, 0.6, 0.9, 0.1), Epoch(2, 0.7, 0.8, 0.1)), Job(1, 0.01, Epoch(1, 0.72, 0.8, 0.1)),
        };
        var s = Selection.Select(jobs)!;
        Assert.Equal(0.01, s.LearningRate);
        Assert.True(s.Trained);
        Assert.Equal([(0, 2), (1, 1)], s.Epochs.Select(e => (e.Seed, e.Epoch)));
        var high = s.Rates.Single(r => r.LearningRate == 0.1);
        Assert.Equal((0.45, 1), (high.ValidationAccuracy, high.Diverged));
        Assert.Equal(0.71, s.Rates.Single(r => r.LearningRate == 0.01).ValidationAccuracy, 12);
        Assert.Null(Selection.Select([new JobResult { Variant = "v", Seed = 0 }]));
    }

    [Fact]
    public void Epochs_without_a_finite_validation_accuracy_are_skipped_and_a_missing_loss_loses_ties()
    {
        var job = Job(0, 0.1, Epoch(1, double.NaN, 0.1, 0.9), Epoch(2, 0.6, double.NaN, 0.1), Epoch(3, 0.6, 0.8, 0.2), Epoch(4, 0.5, 0.1, 0.3));
        Assert.Equal(3, Selection.BestEpoch(job)!.Epoch);
        Assert.Null(Selection.BestEpoch(Job(0, 0.1, Epoch(1, double.NaN, 1, 1))));
    }

    [Fact]
    public void Rates_tie_on_accuracy_then_go_to_the_lower_validation_loss_then_the_smaller_rate()
    {
        // Equal mean validation accuracy (0.7) at 0.01 and 0.1; 0.1 has the lower mean validation loss.
        var byLoss = Selection.Select([Job(0, 0.01, Epoch(1, 0.7, 0.9, 0)), Job(0, 0.1, Epoch(1, 0.7, 0.5, 0)), Job(0, 0.05, Epoch(1, 0.6, 0.1, 0))])!;
        Assert.Equal(0.1, byLoss.LearningRate);
        Assert.Equal([0.01, 0.05, 0.1], byLoss.Rates.Select(r => r.LearningRate));   // grid order
        var full = Selection.Select([Job(0, 0.1, Epoch(1, 0.7, 0.5, 0)), Job(0, 0.01, Epoch(1, 0.7, 0.5, 0))])!;
        Assert.Equal(0.01, full.LearningRate);
        // A job that never finished an epoch has an infinite loss: it loses the tie against a finished one.
        var unfinished = Selection.Select([Job(0, 0.01, Epoch(1, 0, 0.5, 0)), new JobResult { Variant = "v", Seed = 0, LearningRate = 0.005 }])!;
        Assert.Equal(0.01, unfinished.LearningRate);
    }

    [Fact]
    public void Each_rate_is_scored_with_its_seeds_spread_divergences_and_whether_it_trains()
    {
        var s = Selection.Select(
        [
            Job(2, 0.1, Epoch(1, 0.3, 1, 0.31)), Job(0, 0.1, Epoch(1, 0.5, 1, 0.52)), Job(1, 0.1, Epoch(1, 0.4, 1, 0.41)),
            Job(0, 0.01, Epoch(1, 0.4, 1, 0)), new JobResult { Variant = "v", Seed = 1, LearningRate = 0.01, Diverged = "loss NaN at epoch 1, step 2" },
        ])!;
        var high = s.Rates.Single(r => r.LearningRate == 0.1);
        Assert.Equal((3, 0.4, 0.1, 0, true), (high.Seeds, Math.Round(high.ValidationAccuracy, 12), Math.Round(high.ValidationAccuracySd, 12), high.Diverged, high.Trains));
        var low = s.Rates.Single(r => r.LearningRate == 0.01);
        // (0.4 + 0) / 2 = 0.2 exactly: not above the 20% threshold.
        Assert.Equal((2, 0.2, 1, false), (low.Seeds, low.ValidationAccuracy, low.Diverged, low.Trains));
        // The chosen rate's epochs in seed order, whatever the order of the jobs.
        Assert.Equal([(0, 0.52), (1, 0.41), (2, 0.31)], s.Epochs.Select(e => (e.Seed, e.TestAccuracy)));
        Assert.Equal([(0, 1.0), (1, 1.0), (2, 1.0)], s.Epochs.Select(e => (e.Seed, e.TestLoss)));
    }

    [Fact]
    public void A_seed_without_a_finished_epoch_at_the_chosen_rate_is_reported_as_epoch_0()
    {
        var s = Selection.Select([Job(0, 0.1, Epoch(2, 0.9, 0.3, 0.8)), new JobResult { Variant = "v", Seed = 1, LearningRate = 0.1, Diverged = "loss NaN at epoch 1, step 1" }])!;
        Assert.Equal(new SelectedEpoch(1, 0, 0, double.NaN, double.NaN, double.NaN), s.Epochs[1]);
        Assert.Equal(new SelectedEpoch(0, 2, 0.9, 0.8, 1, 1), s.Epochs[0]);
    }

    [Fact]
    public void The_chosen_jobs_are_those_at_the_chosen_rate_or_all_when_nothing_trained()
    {
        var jobs = new List<JobResult> { Job(0, 0.1, Epoch(1, 0.9, 0.3, 0.8)), Job(0, 0.01, Epoch(1, 0.5, 0.3, 0.8)) };
        var variant = new VariantResult { Name = "v", Jobs = jobs };
        Assert.Equal([jobs[0]], Selection.ChosenJobs(variant));   // computed when not stored
        variant.Selection = Selection.Select(jobs)! with { LearningRate = 0.01 };
        Assert.Equal([jobs[1]], Selection.ChosenJobs(variant));   // the stored choice
        var measured = new VariantResult { Name = "m", Jobs = [new JobResult { Variant = "m", Seed = 0 }, new JobResult { Variant = "m", Seed = 1 }] };
        Assert.Equal(measured.Jobs, Selection.ChosenJobs(measured));
    }

    [Fact]
    public void A_variant_at_chance_at_every_rate_did_not_train()
    {
        var s = Selection.Select([Job(0, 0.1, Epoch(1, 0.11, 2.3, 0.5)), Job(0, 0.01, Epoch(1, 0.15, 2.2, 0.5))])!;
        Assert.False(s.Trained);
        Assert.Equal(0.01, s.LearningRate);
    }

    [Fact]
    public void Tied_rates_compare_their_mean_validation_loss_over_seeds_and_a_NaN_loss_loses()
    {
        // Both rates at mean validation accuracy 0.7. 0.01: losses 0.1 and 0.9 (mean 0.5, minimum 0.1); 0.1: 0.4 and 0.4 (mean 0.4).
        var byMean = Selection.Select([Job(0, 0.01, Epoch(1, 0.7, 0.1, 0)), Job(1, 0.01, Epoch(1, 0.7, 0.9, 0)),
            Job(0, 0.1, Epoch(1, 0.7, 0.4, 0)), Job(1, 0.1, Epoch(1, 0.7, 0.4, 0))])!;
        Assert.Equal(0.1, byMean.LearningRate);
        // A NaN validation loss (an evaluation that overflowed) counts as the largest loss, not as a NaN that sorts first.
        var nan = Selection.Select([Job(0, 0.01, Epoch(1, 0.7, double.NaN, 0)), Job(0, 0.1, Epoch(1, 0.7, 0.5, 0))])!;
        Assert.Equal(0.1, nan.LearningRate);
    }

    [Fact]
    public void A_threshold_for_fewer_than_two_classes_says_why()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Selection.TrainedThresholdFor(1));
        Assert.Equal("a classifier has at least 2 classes (Parameter 'classes')\nActual value was 1.", e.Message.ReplaceLineEndings("\n"));
    }

    /// <summary>The whole pipeline on two tiny variants, 2 seeds x 2 rates x 3 epochs, with the given test labels.</summary>
    static List<VariantResult> RunTiny(Dataset data, string checkpoints)
    {
        torch.set_num_threads(1);
        var preset = new Preset("quick", _ => true, Epochs: 3, Subset: 400, Seeds: [0, 1], LearningRates: [0.02, 0.3], BatchSize: 32);
        var experiment = new Experiment("tiny", 0, "tiny", "tiny", TinyMatrix.Variants.All, Measures.Training, preset, preset);
        var options = new TrainingOptions { Epochs = 3, BatchSize = 32, Subset = 400 };
        var spec = new RunSpec(experiment, preset, options, [0, 1], [0.02, 0.3], InitScheme.HeFanIn, 0.25);
        return new Runner(spec, data, checkpoints).Run(null);
    }

    [Fact]
    public void Selection_never_reads_the_test_set()
    {
        var bundled = FashionMnist.Load(Path.Combine(AppContext.BaseDirectory, "data", "fashion-mnist"));
        var clean = bundled with { Train = bundled.Train.Take(400), Test = bundled.Test.Take(300) };
        // Poisoned: every test label replaced by another class, so test accuracy is meaningless.
        var poisonedTest = clean.Test with { Labels = clean.Test.Labels.Select((l, i) => (byte)((l + 1 + i % 9) % 10)).ToArray() };
        var poisoned = clean with { Test = poisonedTest };
        using var folder = new TempFolder();
        var a = RunTiny(clean, Path.Combine(folder.Path, "a"));
        var b = RunTiny(poisoned, Path.Combine(folder.Path, "b"));
        Assert.Equal(a.Count, b.Count);
        for (var i = 0; i < a.Count; i++)
        {
            var (sa, sb) = (a[i].Selection!, b[i].Selection!);
            Assert.Equal(sa.LearningRate, sb.LearningRate);
            Assert.Equal(sa.Epochs.Select(e => (e.Seed, e.Epoch, e.ValidationAccuracy)), sb.Epochs.Select(e => (e.Seed, e.Epoch, e.ValidationAccuracy)));
            Assert.Equal(sa.Rates, sb.Rates);
            Assert.NotEqual(sa.Epochs.Select(e => e.TestAccuracy), sb.Epochs.Select(e => e.TestAccuracy));
        }
        // The check has teeth: choosing on the (poisoned) test accuracy instead would have picked other epochs.
        var byTest = b.SelectMany(v => v.Jobs).Select(j => j.Epochs.MaxBy(e => e.TestAccuracy)!.Epoch);
        var byValidation = b.SelectMany(v => v.Jobs).Select(j => Selection.BestEpoch(j)!.Epoch);
        Assert.NotEqual(byValidation, byTest);
        // Each variant was scored at both rates of the grid.
        Assert.All(a, v => Assert.Equal(2, v.Selection!.Rates.Count));
    }

    [Fact]
    public void A_job_is_self_contained_and_reproducible_alone()
    {
        var bundled = FashionMnist.Load(Path.Combine(AppContext.BaseDirectory, "data", "fashion-mnist"));
        var data = bundled with { Train = bundled.Train.Take(400), Test = bundled.Test.Take(200) };
        var preset = new Preset("quick", _ => true, Epochs: 2, Subset: 400, Seeds: [0, 1], LearningRates: [0.1], BatchSize: 32);
        var experiment = new Experiment("tiny", 0, "tiny", "tiny", TinyMatrix.Variants.All, Measures.Training, preset, preset);
        var spec = new RunSpec(experiment, preset, new TrainingOptions { Epochs = 2, BatchSize = 32, Subset = 400 }, [0, 1], [0.1], InitScheme.HeFanIn, 0.1);
        Assert.Equal(["TinyMatrix.BnAfterConv.seed0.lr0.1", "TinyMatrix.BnAfterConv.seed1.lr0.1", "TinyMatrix.NoBn.seed0.lr0.1", "TinyMatrix.NoBn.seed1.lr0.1"], spec.Jobs().Select(j => j.Id));
        torch.set_num_threads(1);
        using var folder = new TempFolder();
        var all = new Runner(spec, data, Path.Combine(folder.Path, "all")).Run(null);
        // The last job alone, in a fresh runner (as another process would run it), gives the same numbers.
        var last = spec.Jobs()[^1];
        var alone = new Runner(spec, data, Path.Combine(folder.Path, "alone")).RunJob(last, null);
        var inRun = all.Single(v => v.Name == last.Variant.Name).Jobs.Single(j => j.Seed == last.Seed);
        Assert.Equal((alone.Variant, alone.Seed, alone.LearningRate), (inRun.Variant, inRun.Seed, inRun.LearningRate));
        Assert.Equal(inRun.Epochs.Select(e => (e.TrainLoss, e.ValidationAccuracy, e.TestAccuracy)), alone.Epochs.Select(e => (e.TrainLoss, e.ValidationAccuracy, e.TestAccuracy)));
    }
}

sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("netdsl-cmp-").FullName;
    public void Dispose() => Directory.Delete(Path, recursive: true);
}
