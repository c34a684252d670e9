using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using NetDsl.Experiments.Reporting;
using NetDsl.Experiments.Results;
using Xunit;

namespace NetDsl.Cli.Tests;

public sealed class ReportTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("netdsl-report-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    /// <summary>
    /// Results with every section filled: variants "Good" and "Bad", 3 seeds x learning rates 0.01 and 0.1. Good trains best at
    /// 0.1 (validation 85-87%, test 90.0/90.2/90.4%), Bad only at 0.01 (validation 70%, test 80.0/80.2/80.4%) and stays at chance
    /// at 0.1; every other measurement has known values.
    /// </summary>
    /// <summary>
    /// Ten test images per class; class c loses (c + <paramref name="offset"/>) mod 3 of them (class 6, Shirt, also loses
    /// <paramref name="seed"/> more) to class c + <paramref name="shift"/>. So with shift 1 and offset 0 (Good): class 0 (T-shirt/top)
    /// 100%, Pullover 80% (2 to Dress), Shirt 100/90/80% over seeds 0-2, and Dress is 100% accurate (recall) while 2 Pullovers are predicted
    /// as Dress (precision 83.3%). <paramref name="allWrong"/>: every image predicted as the next class (what an epoch that was not selected shows).
    /// </summary>
    internal static ConfusionMatrix Confusion(int seed, int shift, int offset = 0, bool allWrong = false)
    {
        var counts = new int[100];
        for (var c = 0; c < 10; c++)
        {
            var wrong = allWrong ? 10 : (c + offset) % 3 + (c == 6 ? seed : 0);
            counts[c * 10 + c] += 10 - wrong;
            counts[c * 10 + (c + shift) % 10] += wrong;
        }
        return new ConfusionMatrix(10, counts);
    }

    internal static RunResults Sample()
    {
        VariantResult Variant(string name, string bn, double accuracy, double goodRate, double beta, double cosine, double rise, double acf, int depth) => new()
        {
            Name = $"Net.{name}",
            Settings = new() { ["BatchNorm"] = bn, ["Depth"] = depth.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            Parameters = 1000,
            MultiplyAccumulates = 5000,
            WeightLayers = depth + 2,
            Summary = "table",
            ForwardSource = $"public override Tensor forward(Tensor x) {{ /* {name} <&> */ }}",
            Jobs = new[] { 0, 1, 2 }.SelectMany(seed => new[] { 0.01, 0.1 }.Select(lr =>
            {
                var good = lr == goodRate;
                double val = good ? (name == "Good" ? 0.85 : 0.7) : (name == "Good" ? 0.5 : 0.1);
                return new JobResult
                {
                    Variant = $"Net.{name}",
                    Seed = seed,
                    LearningRate = lr,
                    Epochs =
                    [
                        new(1, 0.1, 1.0, 0.6, 0.9, val - 0.05, 0.9, accuracy - 0.1, 10, 100) { TestConfusion = Confusion(seed, 1, allWrong: true) },
                        new(2, 0.0, 0.5 + seed * 0.01, 0.8, 0.6, val + seed * 0.01, 0.6, accuracy + seed * 0.002, 10, 100) { TestConfusion = Confusion(seed, name == "Good" ? 1 : 2, name == "Good" ? 0 : 1) },
                    ],
                    Initial = new GradientProfile
                    {
                        WeightGradientNorms = [new("conv1.weight", 1), new("fc.weight", 0.1)],
                        UnitInputGradientNorms = [new("layer1.0", 10), new("layer1.1", 1)],
                        Log10Ratio = (name == "Good" ? 0.2 : 3.0) + 0.01 * seed,
                        ShortcutShare = [new("layer1.0", 0.6)],
                    },
                    Activations = [new(0, [new("relu1", 0.5, 1, 0.1, 0.05, null, null)]), new(2, [new("relu1", 0.4, 1, (name == "Good" ? 0.02 : 0.3) + 0.01 * seed, 0.1, null, null)])],
                    Smoothness = [new(0, 0.1, 0.5, beta + 0.1 * seed), new(10, 0.2, 0.6, beta * 2 + 0.1 * seed)],
                    CovariateShift = [new(0, [new("conv1.weight", 0, 1), new("fc.weight", 0.5, cosine + 0.01 * seed)])],
                    Slice = new SliceResult([-1, -0.5, 0, 0.5, 1], [5, 1 + rise + 0.01 * seed, 1, 1 + rise + 0.01 * seed, 5], 100),
                    Shattering = new ShatterResult([0.1, 0.2, 0.3], [1, acf + 0.01 * seed, 0.1]),
                };
            })).ToList(),
        };
        var results = new RunResults
        {
            Experiment = "sample",
            Preset = "quick",
            Title = "Sample",
            Question = "Which is better?",
            StartedUtc = new DateTime(2026, 11, 30, 0, 0, 0, DateTimeKind.Utc),
            WallSeconds = 12,
            Settings = new RunSettings
            {
                Epochs = 2, BatchSize = 64, LearningRates = [0.01, 0.1], Seeds = [0, 1, 2], Threads = 2, CommandLine = "netdsl compare -x sample",
                Init = "HeFanIn", InitDescription = "He et al. 2015", ValidationFraction = 0.1, TrainImages = 900, ValidationImages = 100, TestImages = 500,
                Versions = new() { ["NetDsl"] = "0.1.0" },
            },
            Variants = [Variant("Good", "BnAfterConv", 0.9, 0.1, 1, 0.9, 0.5, 0.8, 4), Variant("Bad", "NoBn", 0.8, 0.01, 4, 0.6, 2.0, 0.1, 8)],
        };
        foreach (var v in results.Variants) v.Selection = NetDsl.Experiments.Analysis.Selection.Select(v.Jobs);
        return results;
    }

    [Fact]
    public void Every_file_the_report_references_exists_and_every_plot_is_a_png()
    {
        var files = ReportWriter.Write(Sample(), folder);
        var html = File.ReadAllText(Path.Combine(folder, "index.html"));
        var references = Regex.Matches(html, "(?:src|href)=\"([^\"#:]+)\"").Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.Contains("plots/test_accuracy.png", references);
        Assert.Contains("data/epochs.csv", references);
        foreach (var reference in references) Assert.True(Path.Exists(Path.Combine(folder, reference)), $"index.html references missing {reference}");
        foreach (var file in files) Assert.True(File.Exists(Path.Combine(folder, file)), file);
        var pngs = files.Where(f => f.EndsWith(".png", System.StringComparison.Ordinal)).ToList();
        Assert.Equal(17, pngs.Count);
        Assert.Contains("plots/confusion_best.png", pngs);
        foreach (var png in pngs) Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(Path.Combine(folder, png))[..4]);
        Assert.All(pngs, p => Assert.Contains($"src=\"{p}\"", html));
        // The generated forward of each variant, HTML-escaped, side by side.
        Assert.Contains("/* Good &lt;&amp;&gt; */", html);
        Assert.Contains("class=\"side\"", html);
    }

    [Fact]
    public void Findings_are_computed_from_the_numbers()
    {
        ReportWriter.Write(Sample(), folder);
        var md = File.ReadAllText(Path.Combine(folder, "report.md"));
        // Good at 0.1: test 0.900, 0.902, 0.904: mean 90.2%, sd 0.2 points, t(0.975, 2) = 4.303: half-width 0.497 points.
        Assert.Contains("Good ranks first on validation (86.0% at learning rate 0.1); its test accuracy is 90.2% (95% CI 89.7% to 90.7%) over 3 seeds", md);
        // Difference 10 points; Welch: se = sqrt(2 x 0.2^2 / 3) = 0.163 points, df = 4, t = 2.776: half-width 0.453.
        Assert.Contains("Good's test accuracy is higher than Bad's by 10.00 points (95% CI 9.55 to 10.45, Welch, 3 seeds)", md);
        Assert.Contains("Bad does not train at 0.1 (validation accuracy 11.0%) but does at 0.01 (71.0%)", md);
        Assert.Contains("| Good | 0.1 | 2, 2, 2 | 86.0 ± 1.0% | 90.2 ± 0.2% | 89.7% to 90.7% |", md);
        Assert.Contains("| Bad | **71.0 ± 1.0%** | 11.0 ± 1.0% (did not train) |", md);
        Assert.DoesNotContain("best test accuracy", md);
        Assert.Contains("At initialization, Bad propagates the gradient worst: it grows toward the input by a factor 1.02E+03 (log10 ratio 3.01) across its units; Good best", md);
        // Effective beta per seed: Good (1 + 2) / 2 + 0.1 s = 1.5, 1.6, 1.7; Bad 6, 6.1, 6.2: 4.5 apart with sd 0.1 on each side.
        Assert.Contains("Good has the smoother landscape: mean effective beta 1.60, 3.8x lower than Bad (6.10); Bad's mean effective beta is higher than Good's by 4.50", md);
        Assert.Contains("With BatchNorm the mean cos(G, G') is 0.910 vs 0.610 without", md);
        Assert.Contains("Bad's loss rises fastest around its trained weights: +2.010 nats at |a| = 0.5, 3.9x the rise of Good (+0.510)", md);
        Assert.Contains("ReLU: Good ends with the fewest dead or always-on units (3.0% dead", md);
        Assert.DoesNotContain("degradation problem", md);
        Assert.Contains("lag-1 ACF: NoBn 0.11, BnAfterConv 0.81", md);
        Assert.Contains("initialization | HeFanIn: He et al. 2015", md);
    }

    [Fact]
    public void Every_table_row_is_the_exact_value_of_its_formula()
    {
        var results = Sample();
        // Good's residual units: shares 0.6 and 0.8 in every job (the column's mean 70%; 1 - share would give 30%).
        foreach (var j in results.Variants[0].Jobs) j.Initial!.ShortcutShare = [new("layer1.0", 0.6), new("layer1.1", 0.8)];
        // An asymmetric slice: L(-1, -0.5, 0, 0.5, 1) = 3, 2, 1, 1.5, 5 for every job of Bad; at +-0.25 interpolated: 1.5 and 1.25.
        foreach (var j in results.Variants[1].Jobs) j.Slice = new SliceResult([-1, -0.5, 0, 0.5, 1], [3, 2, 1, 1.5, 5], 100);
        ReportWriter.Write(results, folder);
        var md = File.ReadAllLines(Path.Combine(folder, "report.md"));
        // Variants: weight layers, parameters, MACs with group separators.
        Assert.Contains("| Net.Good | BnAfterConv | 4 | 6 | 1,000 | 5,000 |", md);
        // Training at the chosen rate: training loss 0.5 + 0.01 s at the selected epoch (mean 0.51, sample sd 0.01), 10 s per epoch.
        Assert.Contains("| Good | 0.1 | 2, 2, 2 | 86.0 ± 1.0% | 90.2 ± 0.2% | 89.7% to 90.7% | 0.510 ± 0.010 | 10.0 | trained |", md);
        Assert.Contains("| Bad | 0.01 | 2, 2, 2 | 71.0 ± 1.0% | 80.2 ± 0.2% | 79.7% to 80.7% | 0.510 ± 0.010 | 10.0 | trained |", md);
        // Gradients: log10 ratio 0.2 + 0.01 s: 0.21 ± 0.01, t(0.975, 2) 0.01 / sqrt(3) = 0.0248; log10(||dW_first|| / ||dW_last||) = log10(1 / 0.1) = +1.
        Assert.Contains("| Good | 6 | 0.21 ± 0.01 [0.19, 0.23] | 1.00 | 70.0% |", md);
        Assert.Contains("| Bad | 10 | 3.01 ± 0.01 [2.99, 3.03] | 1.00 | 60.0% |", md);
        // Over every job: (6 x (0.6 + 0.8) + 6 x 0.6) / 18 = 0.667, from 0.6 to 0.8.
        Assert.Contains("> **Finding.** In the residual units the shortcut carries 66.7% of ‖g_shortcut‖ + ‖g_branch‖ on average (range 60.0% to 80.0%): the '1' of He et al. 2016's 1 + dF/dx.", md);
        // Activations: dead at init 0.1, at the end 0.02 + 0.01 s (Good), always on 0.1; no sigmoid.
        Assert.Contains("| Good | 10.0% | 3.0% | 10.0% | n/a | n/a | n/a |", md);
        Assert.Contains("| Bad | 10.0% | 31.0% | 10.0% | n/a | n/a | n/a |", md);
        // Smoothness: 2 probes x 3 seeds; loss variation (0.1 + 0.2) / 2; gradient change (0.5 + 0.6) / 2; beta per seed 1.5 + 0.1 s; max 2 + 0.2.
        Assert.Contains("| Good | 6 | 0.150 ± 0.000 [0.150, 0.150] | 0.550 ± 0.000 [0.550, 0.550] | 1.60 ± 0.10 [1.35, 1.85] | 2.20 |", md);
        // Covariate shift over layers 2..L only (layer 1's cosine 1 and distance 0 left out): 0.9 + 0.01 s and 0.5.
        Assert.Contains("| Good | 3 | 0.910 ± 0.010 [0.885, 0.935] | 0.5 ± 0 [0.5, 0.5] |", md);
        // Slice: Good rises 0.5 + 0.01 s at +-0.5, half that at +-0.25 (linear between 0 and 0.5), (5 + 5) / 2 - 1 at +-1.
        Assert.Contains("| Good | 1.000 ± 0.000 [1.000, 1.000] | 0.255 ± 0.005 [0.243, 0.267] | 0.510 ± 0.010 [0.485, 0.535] | 4.000 ± 0.000 [4.000, 4.000] |", md);
        // Bad's asymmetric slice: (1.25 + 1.5) / 2 - 1 = 0.375 at +-0.25, (1.5 + 2) / 2 - 1 = 0.75 at +-0.5, (5 + 3) / 2 - 1 = 3 at +-1.
        Assert.Contains("| Bad | 1.000 | 0.375 | 0.750 | 3.000 |", md.Select(l => System.Text.RegularExpressions.Regex.Replace(l, @" ± [0-9.]+ \[[0-9., ]+\]", "")));
        // Shattering: lag-1 ACF acf + 0.01 s.
        Assert.Contains("| Good | BnAfterConv | BatchNorm | 4 | 0.810 ± 0.010 [0.785, 0.835] |", md);
        // Per class: recall (correct / images of the class), not precision: Dress 100% although 2 Pullovers per seed are predicted as Dress.
        Assert.Contains("| Dress | 100.0 ± 0.0% | 90.0 ± 0.0% |", md);
        Assert.Contains("| Shirt | 90.0 ± 10.0% | 80.0 ± 10.0% |", md);
        Assert.Contains("> **Finding.** Good (ranked first on validation) is weakest on Pullover: 80.0% of its 30 test images over 3 seeds, most often mistaken for Dress (20.0%); strongest on T-shirt/top.", md);
    }

    [Fact]
    public void Covariate_shift_and_shattering_name_the_normalization_of_the_Normalization_axis_and_of_hand_written_variants()
    {
        // The sample's two variants, once on the Normalization axis (GroupNorm vs None), once as hand-written variants without
        // either axis, whose normalization is read from the layer types of their architecture tables.
        foreach (var (good, bad, table) in new[] { ("GroupNorm", "NoNorm", false), ("", "", true) })
        {
            var results = Sample();
            foreach (var (v, value) in results.Variants.Zip(new[] { good, bad }))
            {
                v.Settings.Remove("BatchNorm");
                if (!table) v.Settings["Normalization"] = value;
                else v.Summary = v.Name == "Net.Good" ? "| conv1 | Conv2d |\n| bn1 | GroupNorm |" : "| conv1 | Conv2d |";
            }
            ReportWriter.Write(results, folder);
            var md = File.ReadAllText(Path.Combine(folder, "report.md"));
            Assert.Contains("With GroupNorm the mean cos(G, G') is 0.910 vs 0.610 without", md);
            Assert.Contains("no GroupNorm", md);
            Assert.Contains("as Ioffe & Szegedy hypothesized for BatchNorm", md);
            Assert.Matches(@"\| Good \| [^|]* \| GroupNorm \| 4 \| 0\.810", md);
            Assert.Matches(@"\| Bad \| [^|]* \| none \| 8 \| 0\.110", md);
        }
    }

    [Fact]
    public void Every_csv_holds_the_exact_numbers()
    {
        ReportWriter.Write(Sample(), folder);
        string[] Csv(string name) => File.ReadAllLines(Path.Combine(folder, "data", name));
        var epochs = Csv("epochs.csv");
        Assert.Equal("variant,seed,learning_rate,epoch,epoch_learning_rate,train_loss,train_accuracy,validation_loss,validation_accuracy,test_loss,test_accuracy,seconds,live_tensors", epochs[0]);
        Assert.Equal("Net.Good,0,0.01,1,0.1,1,0.6,0.9,0.45,0.9,0.8,10,100", epochs[1]);
        Assert.Equal("Net.Good,0,0.01,2,0,0.5,0.8,0.6,0.5,0.6,0.9,10,100", epochs[2]);
        Assert.Equal(1 + 2 * 3 * 2 * 2, epochs.Length);
        Assert.Equal(["Net.Good,0.1,True,0,2,0.85,0.9,0.6,0.5", "Net.Good,0.1,True,1,2,0.86,0.902,0.6,0.51", "Net.Good,0.1,True,2,2,0.87,0.904,0.6,0.52"], Csv("selection.csv")[1..4]);
        var gradients = Csv("gradients.csv");
        Assert.Contains("Net.Good,0,0.01,shortcut_share,layer1.0,0.6", gradients);
        Assert.Contains("Net.Bad,2,0.1,log10_ratio,,3.02", gradients);
        Assert.Contains("Net.Good,1,0.01,unit_input_gradient_norm,layer1.1,1", gradients);
        // Per class at the selected epoch of each seed: Shirt (class 6) loses `seed` images in seed 1 -> 9 of 10.
        var perClass = Csv("per_class.csv");
        Assert.Equal("variant,seed,learning_rate,epoch,class_index,class,test_images,correct,accuracy", perClass[0]);
        Assert.Contains("Net.Good,1,0.1,2,6,Shirt,10,9,0.9", perClass);
        Assert.Contains("Net.Bad,0,0.01,2,1,Trouser,10,8,0.8", perClass);
        Assert.Equal(1 + 2 * 3 * 10, perClass.Length);
        var confusion = Csv("confusion.csv");
        Assert.Contains("Net.Good,0,0.1,2,Pullover,Dress,2", confusion);
        Assert.Contains("Net.Good,0,0.1,2,Pullover,Pullover,8", confusion);
        Assert.Contains("Net.Bad,2,0.01,2,Shirt,Bag,3", confusion);
        Assert.Equal(1 + 2 * 3 * 100, confusion.Length);
        Assert.Contains("Net.Good,0,0.01,0,relu1,0.5,1,0.1,0.05,,", Csv("activations.csv"));
    }

    [Fact]
    public void The_per_class_numbers_come_from_the_epoch_chosen_on_validation_not_the_last()
    {
        var results = Sample();
        // Good at 0.1: epoch 1 now has the best validation accuracy (and the informative matrix); epoch 2 predicts every image wrong.
        foreach (var j in results.Variants[0].Jobs.Where(j => j.LearningRate == 0.1))
            j.Epochs = [j.Epochs[0] with { ValidationAccuracy = 0.95, TestConfusion = Confusion(j.Seed, 1) }, j.Epochs[1] with { TestConfusion = Confusion(j.Seed, 1, allWrong: true) }];
        results.Variants[0].Selection = NetDsl.Experiments.Analysis.Selection.Select(results.Variants[0].Jobs);
        Assert.Equal([1, 1, 1], results.Variants[0].Selection!.Epochs.Select(e => e.Epoch));
        ReportWriter.Write(results, folder);
        var md = File.ReadAllLines(Path.Combine(folder, "report.md"));
        Assert.Contains("| Shirt | 90.0 ± 10.0% | 80.0 ± 10.0% |", md);
        Assert.Contains("Net.Good,0,0.1,1,0,T-shirt/top,10,10,1", File.ReadAllLines(Path.Combine(folder, "data", "per_class.csv")));
    }

    [Fact]
    public void The_headline_ranks_on_validation_and_states_each_interval()
    {
        Assert.Equal(
        [
            "ranked on validation; test accuracy at the learning rate and epoch chosen on validation (mean over 3 seed(s), 95% CI):",
            "  Good  90.2% [89.7, 90.7]  lr 0.1, epochs 2 2 2",
            "  Bad   80.2% [79.7, 80.7]  lr 0.01, epochs 2 2 2",
            "  Good's test accuracy is higher than Bad's by 10.00 points (95% CI 9.55 to 10.45, Welch, 3 seeds)",
        ], ReportWriter.Headline(Sample()));
    }

    [Fact]
    public void The_degradation_finding_compares_the_final_training_loss_of_the_deeper_minus_the_shallower_net()
    {
        var results = Sample();
        // Two depths of one family: Good (4 units, 6 weight layers) and a deeper copy (8 units, 10 weight layers) whose final training
        // loss is 0.2 higher in every seed; the best epoch (by validation) is not the last one, so the final loss is what must be used.
        var shallow = results.Variants[0];
        foreach (var j in shallow.Jobs) j.Epochs[0] = j.Epochs[0] with { ValidationAccuracy = 0.99 };
        shallow.Selection = NetDsl.Experiments.Analysis.Selection.Select(shallow.Jobs);
        var deep = results.Variants[1];
        deep.Name = "Net.Deep";
        deep.Settings = new() { ["BatchNorm"] = "BnAfterConv", ["Depth"] = "8" };
        foreach (var j in deep.Jobs) j.Epochs = results.Variants[0].Jobs.Single(g => g.Seed == j.Seed && g.LearningRate == j.LearningRate).Epochs
            .Select(e => e with { TrainLoss = e.TrainLoss + 0.2 + 0.01 * j.Seed }).ToList();
        deep.Selection = NetDsl.Experiments.Analysis.Selection.Select(deep.Jobs);
        Assert.All(shallow.Selection!.Epochs.Concat(deep.Selection!.Epochs), e => Assert.Equal(1, e.Epoch));
        ReportWriter.Write(results, folder);
        var md = File.ReadAllText(Path.Combine(folder, "report.md"));
        // Final losses: shallow 0.50, 0.51, 0.52; deep 0.70, 0.72, 0.74: difference 0.21, se = sqrt((0.0001 + 0.0004) / 3) = 0.0129,
        // Welch-Satterthwaite df = 2.94, t = 3.20: 0.17 to 0.25.
        Assert.Contains("BnAfterConv: the 10-layer network ends at training loss 0.720 vs 0.510 for the 6-layer one (10-layer net's training loss is higher than 6-layer net's by 0.21 nats (95% CI 0.17 to 0.25, Welch, 3 seeds)); the deeper network trains worse (higher training loss): the degradation problem.", md);
    }

    [Fact]
    public void The_normalization_free_finding_compares_each_variant_without_normalization_with_BatchNorm_at_its_depth_and_names_declared_inits()
    {
        var results = Sample();
        // Good (test 0.900, 0.902, 0.904) is BatchNorm with He's initialization, Bad (0.800, 0.802, 0.804) has no normalization and Fixup.
        results.Variants[0].Settings = new() { ["Normalization"] = "BatchNorm", ["Init"] = "HeFanIn", ["Depth"] = "3" };
        results.Variants[1].Settings = new() { ["Normalization"] = "NoNorm", ["Init"] = "Fixup", ["Depth"] = "3" };
        foreach (var j in results.Variants[1].Jobs) j.Init = "Fixup (declared)";
        ReportWriter.Write(results, folder);
        var md = File.ReadAllText(Path.Combine(folder, "report.md"));
        Assert.Contains("> **Finding.** At 6 weight layers, BatchNorm with He's initialization reaches 90.2% (95% CI 89.7% to 90.7%) test accuracy; " +
            "without normalization, Fixup's test accuracy is lower than BatchNorm's by 10.00 points (95% CI -10.45 to -9.55, Welch, 3 seeds): below BatchNorm.", md);
        Assert.Contains("Variants that declare their own initialization keep it: Bad (Fixup). ", md);
        // Without both axes, no such finding.
        ReportWriter.Write(Sample(), folder);
        Assert.DoesNotContain("without normalization", File.ReadAllText(Path.Combine(folder, "report.md")));
    }

    [Fact]
    public void Labels_read_the_residual_axis_typed_and_keep_the_other_settings_as_written()
    {
        var results = Sample();
        results.Variants[0].Settings = new() { ["Residual"] = "off", ["BatchNorm"] = "BnAfterConv", ["Depth"] = "4" };
        results.Variants[1].Settings = new() { ["Residual"] = "off", ["BatchNorm"] = "BnAfterConv", ["Depth"] = "8" };
        ReportWriter.Write(results, folder);
        var md = File.ReadAllText(Path.Combine(folder, "report.md"));
        // One family of two depths: the degradation finding names it Plain.BnAfterConv; the shattering table calls it Feedforward.
        Assert.Contains("Plain.BnAfterConv: the 10-layer network ends at training loss", md);
        Assert.Contains("| Good | Feedforward.BnAfterConv | BatchNorm | 4 |", md);
        // The variants table shows the text as stored.
        Assert.Contains("| variant | Residual | BatchNorm | Depth |", md);
        Assert.Contains("| Net.Bad | off | BnAfterConv | 8 |", md);
    }

    [Fact]
    public void Results_whose_settings_give_an_axis_a_value_it_does_not_take_are_refused_with_the_variant_and_the_accepted_values()
    {
        var results = Sample();
        results.Variants[1].Settings = new() { ["BatchNorm"] = "none" };
        var path = Path.Combine(folder, "results.json");
        File.WriteAllText(path, results.ToJson());
        var e = Assert.Throws<InvalidDataException>(() => RunResults.Load(path));
        Assert.Equal($"{path}: variant 'Net.Bad': the variant setting BatchNorm = 'none' is not one of the BatchNorm axis's values; use one of BnAfterConv, BnAfterActivation, NoBn (an edited file?); `netdsl compare` writes results.json", e.Message);
        // Entries that are not axes are a hand-written variant's own and load as they are.
        results.Variants[1].Settings = new() { ["Width"] = "wide" };
        File.WriteAllText(path, results.ToJson());
        Assert.Equal("wide", RunResults.Load(path).Variants[1].Settings["Width"]);
    }

    [Fact]
    public void The_gradient_finding_says_when_the_best_propagation_holds_by_construction()
    {
        var results = Sample();
        // Good propagates best (log10 ratio 0.2 vs 3.0); with SkipInit its branches start at zero.
        results.Variants[0].Settings = new() { ["Init"] = "SkipInit" };
        results.Variants[1].Settings = new() { ["Init"] = "HeFanIn" };
        ReportWriter.Write(results, folder);
        Assert.Contains("Good's residual branches start at zero (SkipInit), so at initialization the gradient crosses each unit through its shortcut alone: a ratio near 0 there holds by construction.",
            File.ReadAllText(Path.Combine(folder, "report.md")));
        ReportWriter.Write(Sample(), folder);
        Assert.DoesNotContain("holds by construction", File.ReadAllText(Path.Combine(folder, "report.md")));
    }

    [Fact]
    public void A_claim_whose_interval_contains_zero_says_not_distinguishable()
    {
        var results = Sample();
        // Bad's test accuracies moved next to Good's, with spread: 0.897, 0.901, 0.905 vs 0.900, 0.902, 0.904.
        var bad = results.Variants[1];
        foreach (var j in bad.Jobs.Where(j => j.LearningRate == 0.01))
            j.Epochs[1] = j.Epochs[1] with { TestAccuracy = 0.897 + 0.004 * j.Seed };
        bad.Selection = NetDsl.Experiments.Analysis.Selection.Select(bad.Jobs);
        ReportWriter.Write(results, folder);
        var md = File.ReadAllText(Path.Combine(folder, "report.md"));
        Assert.Contains("Good vs Bad: test accuracy differs by +0.10 points (95% CI", md);
        Assert.Contains("not distinguishable with 3 seeds", md);
        Assert.Contains(ReportWriter.Headline(results), l => l.Contains("not distinguishable with 3 seeds"));
    }

    [Fact]
    public void Variants_are_ranked_on_validation_even_when_the_test_set_disagrees()
    {
        var results = Sample();
        // Bad now has the higher test accuracy (95%) but still the lower validation accuracy (71% vs 86%).
        var bad = results.Variants[1];
        foreach (var j in bad.Jobs.Where(j => j.LearningRate == 0.01))
            j.Epochs[1] = j.Epochs[1] with { TestAccuracy = 0.95 + 0.002 * j.Seed };
        bad.Selection = NetDsl.Experiments.Analysis.Selection.Select(bad.Jobs);
        ReportWriter.Write(results, folder);
        var md = File.ReadAllText(Path.Combine(folder, "report.md"));
        Assert.Contains("Good ranks first on validation (86.0% at learning rate 0.1)", md);
        Assert.Contains("Good's test accuracy is lower than Bad's by 5.00 points", md);
        var headline = ReportWriter.Headline(results);
        Assert.StartsWith("  Good", headline[1]);
    }

    [Fact]
    public void A_variant_that_trains_at_no_rate_is_reported_as_such_and_left_out_of_the_ranking()
    {
        var results = Sample();
        var bad = results.Variants[1];
        foreach (var j in bad.Jobs)
            j.Epochs = j.Epochs.Select(e => e with { ValidationAccuracy = 0.1, TestAccuracy = 0.1 }).ToList();
        bad.Selection = NetDsl.Experiments.Analysis.Selection.Select(bad.Jobs);
        Assert.False(bad.Selection!.Trained);
        ReportWriter.Write(results, folder);
        var md = File.ReadAllText(Path.Combine(folder, "report.md"));
        Assert.Contains("Bad did not train at any learning rate of the grid: its best mean validation accuracy is 10.0%", md);
        Assert.Contains("**did not train at any rate**", md);
        Assert.DoesNotContain("Good's test accuracy is higher than Bad's", md);
        Assert.Contains(ReportWriter.Headline(results), l => l.Contains("did not train at any rate"));
    }

    [Fact]
    public void Results_round_trip_and_re_render_identically()
    {
        var results = Sample();
        ReportWriter.Write(results, folder);
        var loaded = RunResults.Load(Path.Combine(folder, "results.json"));
        Assert.Equal(results.ToJson(), loaded.ToJson());
        var again = Path.Combine(folder, "again");
        ReportWriter.Write(loaded, again);
        Assert.Equal(File.ReadAllText(Path.Combine(folder, "report.md")), File.ReadAllText(Path.Combine(again, "report.md")));
    }

    [Fact]
    public void Results_round_trip_the_selection_grid_validation_and_initialization()
    {
        var results = Sample();
        ReportWriter.Write(results, folder);
        var loaded = RunResults.Load(Path.Combine(folder, "results.json"));
        Assert.Equal(2, loaded.FormatVersion);
        Assert.Equal([0.01, 0.1], loaded.Settings.LearningRates);
        Assert.Equal(("HeFanIn", 0.1, 100), (loaded.Settings.Init, loaded.Settings.ValidationFraction, loaded.Settings.ValidationImages));
        var bad = loaded.Variants[1];
        Assert.Equal(0.01, bad.Selection!.LearningRate);
        Assert.Equal([2, 2, 2], bad.Selection.Epochs.Select(e => e.Epoch));
        Assert.Equal(0.71, bad.Selection.Rates.Single(r => r.LearningRate == 0.01).ValidationAccuracy, 12);
        var job = bad.Jobs.First(j => j.LearningRate == 0.1 && j.Seed == 2);
        Assert.Equal((0.1 + 0.01 * 2, 0.6), (job.Epochs[1].ValidationAccuracy, job.Epochs[1].ValidationLoss));
        Assert.Equal(results.Variants[1].Selection, bad.Selection with { Rates = results.Variants[1].Selection!.Rates, Epochs = results.Variants[1].Selection!.Epochs });
        Assert.Equal(results.Variants[1].Selection!.Rates, bad.Selection.Rates);
    }

    [Fact]
    public void Results_of_the_old_format_are_refused_with_the_reason_and_the_fix()
    {
        var path = Path.Combine(folder, "results.json");
        File.WriteAllText(path, "{ \"FormatVersion\": 1, \"Experiment\": \"bn-residual\", \"Variants\": [ { \"Name\": \"x\", \"Runs\": [] } ] }");
        var e = Assert.Throws<InvalidDataException>(() => RunResults.Load(path));
        Assert.Contains("results format 1", e.Message);
        Assert.Contains("without a validation split", e.Message);
        Assert.Contains("run the experiment again", e.Message);
        File.WriteAllText(path, "{ \"FormatVersion\": 99 }");
        Assert.Contains("newer than this netdsl reads", Assert.Throws<InvalidDataException>(() => RunResults.Load(path)).Message);
    }

    [Fact]
    public void Not_a_results_file_is_refused_with_its_name()
    {
        var path = Path.Combine(folder, "x.json");
        File.WriteAllText(path, "{ \"hello\": 1 }");
        var e = Assert.Throws<InvalidDataException>(() => RunResults.Load(path));
        Assert.Contains(path, e.Message);
        File.WriteAllText(path, "not json");
        Assert.Throws<InvalidDataException>(() => RunResults.Load(path));
    }
}
