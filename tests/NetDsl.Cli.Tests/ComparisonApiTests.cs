using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using NetDsl.Experiments;
using NetDsl.Experiments.Data;
using NetDsl.Experiments.Progress;
using NetDsl.Experiments.Results;
using NetDsl.Experiments.Sweeps;
using NetDsl.Experiments.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace NetDsl.Cli.Tests;

/// <summary>
/// The comparison engine as a user's program calls it (<see cref="Comparison"/>, <see cref="ComparisonOptions"/>): two variants of
/// a small network on a few hundred images, the same numbers as <c>netdsl compare</c>, resume after a stop, and every bad input
/// with its message.
/// </summary>
[Collection("console")]
public sealed class ComparisonApiTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("netdsl-api-").FullName;
    static readonly string Me = typeof(ComparisonApiTests).Assembly.Location;
    static readonly Dataset Bundled = FashionMnist.Load(SweepFixture.Bundled);

    public void Dispose() => Directory.Delete(folder, recursive: true);

    /// <summary>What a user writes: the registry, the data, 1 epoch on 300 images, 2 seeds, one rate, 1 thread.</summary>
    ComparisonOptions Small(string output, TextWriter? log = null) => new()
    {
        Variants = TinyMatrix.Variants.All,
        Data = Bundled,
        Epochs = 1,
        BatchSize = 32,
        LearningRates = [0.05],
        Seeds = [0, 1],
        TrainingSubset = 300,
        TestSubset = 100,
        Threads = 1,
        Output = output,
        Log = log ?? new StringWriter(),
    };

    [Fact]
    public void Two_variants_compare_through_the_api_to_the_numbers_the_tool_gives()
    {
        var log = new StringWriter();
        var api = Comparison.Run(Small(Path.Combine(folder, "api"), log));

        Assert.Equal(ComparisonStatus.Completed, api.Status);
        var results = RunResults.Load(api.ResultsPath!);
        Assert.Equal(["TinyMatrix.BnAfterConv", "TinyMatrix.NoBn"], results.Variants.Select(v => v.Name));
        Assert.Equal([0, 1], results.Settings.Seeds);
        Assert.Equal(4, results.PlannedJobs);
        Assert.Empty(results.Incomplete);
        Assert.All(results.Variants, v => Assert.Equal([(0, 0.05), (1, 0.05)], v.Jobs.Select(j => (j.Seed, j.LearningRate!.Value))));
        // 300 images, 10% of each class held out (rounded per class): 269 train, 31 validation; 100 test.
        Assert.Equal((269, 31, 100), (results.Settings.TrainImages, results.Settings.ValidationImages, results.Settings.TestImages));
        Assert.All(results.Variants.SelectMany(v => v.Jobs), j =>
        {
            var epoch = Assert.Single(j.Epochs);
            Assert.InRange(epoch.TestAccuracy, 0, 1);
            Assert.InRange(epoch.ValidationAccuracy, 0, 1);
            Assert.True(double.IsFinite(epoch.TrainLoss) && epoch.TrainLoss > 0);
        });
        Assert.Equal("TinyMatrix", results.Experiment);
        Assert.Equal(VariantSource.Program, Sweep.Open(api.Folder).Plan.Source.Kind);
        var report = File.ReadAllText(api.ReportPath!);
        Assert.Contains("TinyMatrix.BnAfterConv", report, StringComparison.Ordinal);
        Assert.Contains("TinyMatrix.NoBn", report, StringComparison.Ordinal);
        var markdown = File.ReadAllText(Path.Combine(api.Folder, "report.md"));
        Assert.Contains("This run was made in code (NetDsl.Experiments.Comparison) by the program below", markdown, StringComparison.Ordinal);
        Assert.Contains("2 variants (TinyMatrix.BnAfterConv, TinyMatrix.NoBn) trained side by side on Fashion-MNIST, with the learning rate and epoch of each chosen on validation, and the gradient at initialization.", markdown, StringComparison.Ordinal);
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(api.Folder, "plots"), "*.png"));
        Assert.Equal(4, Directory.GetFiles(Path.Combine(api.Folder, "checkpoints"), "*.ckpt").Length);
        // The headline is printed and returned; the ranking holds both variants with accuracies in [0, 1].
        Assert.Contains(api.Headline[0], log.ToString(), StringComparison.Ordinal);
        Assert.StartsWith("ranked on validation", api.Headline[0], StringComparison.Ordinal);
        Assert.Contains($"report: {api.ReportPath}", log.ToString(), StringComparison.Ordinal);
        Assert.Equal(2, api.Ranking.Count);
        Assert.All(api.Ranking, r => Assert.InRange(r.TestAccuracy.Mean, 0, 1));

        // The tool, on the same network from this assembly with the same settings: the same numbers (deterministic for seed and threads).
        var cli = Path.Combine(folder, "cli");
        var (code, stdout, error) = Cli.Run("compare", "--assembly", Me, "--network", "TinyMatrix", "--subset", "300", "--epochs", "1", "--batch-size", "32",
            "--lr", "0.05", "--seeds", "0", "1", "--test-subset", "100", "--threads", "1", "--data", SweepFixture.Bundled, "--output", cli, "--plain");
        Assert.True(code == 0, error + stdout);
        SameNumbers.Assert(RunResults.Load(Path.Combine(cli, "results.json")), results);
    }

    /// <summary>Stops the run at the given training step of the first job, as Ctrl+C would.</summary>
    sealed class StopAt(int step, CancellationTokenSource source) : IRunProgress, ITrainingProgress
    {
        public ITrainingProgress? Begin(JobKey job, int totalEpochs) => this;
        public void End(JobKey job, JobResult result) { }
        public void Step(int s, int totalSteps, double loss) { if (s == step) source.Cancel(); }
        public void Epoch(EpochRecord record, int totalEpochs) { }
    }

    [Fact]
    public void An_interrupted_run_resumes_through_the_api_to_the_numbers_of_an_uninterrupted_one()
    {
        var whole = Comparison.Run(Small(Path.Combine(folder, "whole")));
        var output = Path.Combine(folder, "stopped");
        using var source = new CancellationTokenSource();
        var log = new StringWriter();
        var stopped = Comparison.Run(Small(output, log) with { ProgressSink = new StopAt(4, source) }, source.Token);

        Assert.Equal(ComparisonStatus.Interrupted, stopped.Status);
        Assert.Null(stopped.Results);
        Assert.False(File.Exists(Path.Combine(output, "results.json")));
        Assert.Contains("continue with the same options and Resume = true", log.ToString(), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(output, "checkpoints", "TinyMatrix.BnAfterConv.seed0.lr0.05.ckpt")));

        // The tool cannot run the stopped job: its variants exist in this program only, and it says so.
        var (code, _, error) = Cli.Run("job", output, "0");
        Assert.Equal(Program.UsageError, code);
        Assert.Contains("were given in code by", error, StringComparison.Ordinal);
        Assert.Contains("run it again with the same options and Resume = true", error, StringComparison.Ordinal);

        // Without Resume the folder is refused; with it, the run continues from the checkpoint.
        var refused = Assert.Throws<UsageException>(() => Comparison.Run(Small(output)));
        Assert.Equal($"'{output}' already holds a run (plan, report, results.json or checkpoints); choose another Output, or set Resume = true to continue that run", refused.Message);
        var resumed = Comparison.Run(Small(output) with { Resume = true });
        Assert.Equal(ComparisonStatus.Completed, resumed.Status);
        SameNumbers.Assert(whole.Results!, resumed.Results!);

        // Resuming with other settings is refused, naming the setting.
        var other = Assert.Throws<UsageException>(() => Comparison.Run(Small(output) with { Resume = true, Epochs = 2 }));
        Assert.Contains("was written by a run with other settings (Epochs: 1 in the plan, 2 now)", other.Message, StringComparison.Ordinal);

        // The tool reads the folder.
        Assert.Equal(0, Cli.Run("report", output).Code);
    }

    [Fact]
    public void Bad_input_is_refused_with_the_problem_and_the_fix_before_anything_is_written()
    {
        var output = Path.Combine(folder, "bad");
        var good = Small(output);
        string Refused(ComparisonOptions o) => Assert.Throws<UsageException>(() => new Comparison(o)).Message;

        Assert.Equal("Variants is empty; give the variants to compare (a generated registry such as MyNet.Variants.All, or ComparisonVariant.Of(name, () => new MyModule()))",
            Refused(good with { Variants = [] }));
        Assert.Equal("Variants names TinyMatrix.NoBn more than once; each variant needs its own name (it names its jobs, checkpoints and report rows)",
            Refused(good with { Variants = [.. TinyMatrix.Variants.All, TinyMatrix.Variants.All[1]] }));
        Assert.Equal("variant name 'my net/1' cannot name files; use letters, digits, '.', '-' and '_'",
            Refused(good with { Variants = [TinyMatrix.Variants.All[0] with { Name = "my net/1" }] }));
        var colour = new VariantInfo("LabColourNet", new Dictionary<string, string>(), LabColourNet.Summary, () => new LabColourNet(), "");
        Assert.Equal("LabColourNet takes input [3, 32, 32] per sample; Fashion-MNIST images are [1, 28, 28]: declare [Input(1, 28, 28)] (or give ComparisonVariant.Of that input shape)",
            Refused(good with { Variants = [colour] }));
        var twoClasses = new VariantInfo("LabTwoClassNet", new Dictionary<string, string>(), LabTwoClassNet.Summary, () => new LabTwoClassNet(), "");
        Assert.Equal("LabTwoClassNet outputs [2] per sample; Fashion-MNIST has 10 classes: end the network with [Linear(10)] (after a flatten or global pooling)",
            Refused(good with { Variants = [twoClasses] }));
        Assert.Equal("Epochs must be at least 1 (got 0)", Refused(good with { Epochs = 0 }));
        Assert.Equal("BatchSize must be at least 1 (got 0)", Refused(good with { BatchSize = 0 }));
        Assert.Equal("LearningRates must be positive numbers (got -0.1)", Refused(good with { LearningRates = [-0.1] }));
        Assert.Equal("LearningRates is empty; give at least one learning rate (0.05 trains most networks here)", Refused(good with { LearningRates = [] }));
        Assert.Equal("LearningRates has duplicates (0.05 0.05); give each rate once", Refused(good with { LearningRates = [0.05, 0.05] }));
        Assert.Equal("Seeds has duplicates (1 1); give each seed once", Refused(good with { Seeds = [1, 1] }));
        Assert.Equal("Seeds is empty; give at least one seed (three give a confidence interval)", Refused(good with { Seeds = [] }));
        Assert.Equal("ValidationFraction must be a fraction in (0, 0.5] (got 0.7); 0.1 holds out 10% of the training images", Refused(good with { ValidationFraction = 0.7 }));
        Assert.Equal("TestSubset must be at least 1 (got 0)", Refused(good with { TestSubset = 0 }));
        Assert.Equal("Momentum must be in [0, 1) (got 1)", Refused(good with { Momentum = 1 }));
        Assert.Equal("WeightDecay must not be negative (got -1)", Refused(good with { WeightDecay = -1 }));
        Assert.Equal("Threads must be at least 1 (got 0)", Refused(good with { Threads = 0 }));
        Assert.Equal("TrainingSubset 2 with ValidationFraction 0.1 leaves no validation image or fewer than 2 training images; use more images",
            Refused(good with { TrainingSubset = 2 }));
        Assert.StartsWith("data folder '/nonexistent/netdsl' does not exist", Refused(good with { Data = null, DataFolder = "/nonexistent/netdsl" }), StringComparison.Ordinal);
        Assert.False(Directory.Exists(output));

        // An output folder that is a file, or holds another run.
        File.WriteAllText(output, "");
        Assert.Equal($"Output '{output}' is a file; give a folder", Assert.Throws<UsageException>(() => Comparison.Run(good)).Message);
        File.Delete(output);
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "results.json"), "{}");
        Assert.Equal($"'{output}' already holds a run (plan, report, results.json or checkpoints); choose another Output, or set Resume = true to continue that run",
            Assert.Throws<UsageException>(() => Comparison.Run(good)).Message);
    }

    /// <summary>A hand-written TorchSharp module: conv 1->4 (3x3, stride 2), ReLU, global average pooling, linear 4->10.</summary>
    sealed class HandWritten : nn.Module<Tensor, Tensor>
    {
        readonly TorchSharp.Modules.Conv2d conv = nn.Conv2d(1, 4, 3, stride: 2);
        readonly TorchSharp.Modules.ReLU relu = nn.ReLU();
        readonly TorchSharp.Modules.AdaptiveAvgPool2d pool = nn.AdaptiveAvgPool2d(1);
        readonly TorchSharp.Modules.Linear fc = nn.Linear(4, 10);

        public HandWritten() : base(nameof(HandWritten)) => RegisterComponents();

        public override Tensor forward(Tensor x) => fc.call(pool.call(relu.call(conv.call(x))).flatten(1));
    }

    [Fact]
    public void Hand_written_modules_compare_by_name_and_factory_with_a_measured_summary()
    {
        var variant = ComparisonVariant.Of("Hand.Small", () => new HandWritten());
        // conv 4 x 1 x 3 x 3 + 4 = 40, fc 4 x 10 + 10 = 50; conv output [4, 13, 13]: 676 x 9 = 6,084 MACs, fc 40.
        Assert.Equal(90, variant.Summary.TotalParameters);
        Assert.Equal(6084 + 40, variant.Summary.TotalMultiplyAccumulates);
        Assert.Equal([4L, 13, 13], variant.Summary.Layers[0].OutputShape);
        Assert.Equal([10L], variant.Summary.OutputShape);
        Assert.Equal([1L, 28, 28], variant.Summary.InputShape);

        // Probe measurements need generated tap points: refused by default, with the fix.
        var options = Small(Path.Combine(folder, "hand")) with { Variants = [variant, TinyMatrix.Variants.All[0]], Seeds = [0] };
        Assert.Equal("Hand.Small is not a NetDsl-generated network, and Measures asks for probe measurements (InitialGradients), which need its tap points; leave them out (Measures = Measures.Training) or declare the network with NetDsl",
            Assert.Throws<UsageException>(() => new Comparison(options)).Message);
        var result = Comparison.Run(options with { Measures = Measures.Training });
        Assert.Equal(ComparisonStatus.Completed, result.Status);
        Assert.Equal(["Hand.Small", "TinyMatrix.BnAfterConv"], result.Results!.Variants.Select(v => v.Name));
        Assert.Equal(90, result.Results.Variants[0].Parameters);
        Assert.InRange(result.Results.Variants[0].Jobs[0].Epochs[0].TestAccuracy, 0, 1);

        // A module that does not run on the images says so.
        var wrong = Assert.Throws<UsageException>(() => ComparisonVariant.Of("Hand.Colour", () => new HandWritten(), [3, 28, 28]));
        Assert.StartsWith("Hand.Colour does not run on images [3, 28, 28] (", wrong.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Hand_written_settings_are_typed_where_they_name_an_axis_and_refused_before_the_module_is_built_when_the_axis_does_not_take_them()
    {
        var typed = ComparisonVariant.Of("Hand.Typed", () => new HandWritten(), settings: new Dictionary<string, string> { ["Width"] = "4", ["BatchNorm"] = "NoBn" });
        Assert.Equal(new VariantSettings(batchNorm: BatchNormVariant.None), typed.Axes);
        Assert.Equal("4", typed.Settings["Width"]);
        bool built = false;
        var e = Assert.Throws<ArgumentException>(() => ComparisonVariant.Of("Hand.Bad", () => { built = true; return new HandWritten(); },
            settings: new Dictionary<string, string> { ["Residual"] = "true" }));
        Assert.Equal("variant 'Hand.Bad': the variant setting Residual = 'true' is not one of the Residual axis's values; use one of on, off (Parameter 'settings')", e.Message);
        Assert.False(built);
    }
}

/// <summary>What a new user met on the command line: the preset in any case, the dataset named as used, a near network name.</summary>
[Collection("console")]
public sealed class CompareFindingsTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("netdsl-findings-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void The_preset_takes_any_case_and_an_unknown_one_is_still_refused()
    {
        // Parsed and planned (the epochs check comes after the preset's): -p QUICK and -p Full are the presets.
        foreach (var preset in new[] { "QUICK", "Full" })
        {
            var (code, _, error) = Cli.Run("compare", "-p", preset, "--epochs", "0", "--output", Path.Combine(folder, "out"));
            Assert.Equal((2, "error: --epochs must be at least 1 (got 0)"), (code, error.Trim()));
        }
        var (bad, _, message) = Cli.Run("compare", "-p", "huge");
        Assert.Equal(2, bad);
        Assert.Contains("Argument 'huge' not recognized. Must be one of: 'quick', 'full'", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_run_on_mnist_describes_mnist_not_fashion_mnist()
    {
        // MNIST's files have Fashion-MNIST's format: the bundled split under MNIST's name stands in for it.
        var mnist = Path.Combine(folder, "mnist");
        Directory.CreateDirectory(mnist);
        foreach (var file in Directory.GetFiles(SweepFixture.Bundled, "*.gz")) File.Copy(file, Path.Combine(mnist, Path.GetFileName(file)));
        var comparison = NetDsl.Cli.Commands.CompareCommand.Plan(new NetDsl.Cli.Commands.CompareRequest { Dataset = "mnist", Data = mnist, Threads = 1 });
        var description = comparison.Spec.Experiment.Description;
        Assert.Contains("trained on MNIST;", description, StringComparison.Ordinal);
        Assert.DoesNotContain("Fashion-MNIST", description, StringComparison.Ordinal);
        Assert.Equal("mnist", comparison.Settings.Dataset);
        Assert.Equal("0", comparison.Settings.ClassNames[0]);
    }

    [Fact]
    public void A_network_name_that_matches_nothing_suggests_the_nearest()
    {
        var me = typeof(CompareFindingsTests).Assembly.Location;
        var (code, _, error) = Cli.Run("compare", "--assembly", me, "--network", "labnet", "--output", Path.Combine(folder, "out"));
        Assert.Equal(2, code);
        Assert.Contains("no network named 'labnet' in ", error, StringComparison.Ordinal);
        Assert.Contains("; did you mean NetDsl.Cli.Tests.LabNet? it has: ", error, StringComparison.Ordinal);
        var (_, _, far) = Cli.Run("compare", "--assembly", me, "--network", "Transformer", "--output", Path.Combine(folder, "out"));
        Assert.DoesNotContain("did you mean", far, StringComparison.Ordinal);
    }
}
