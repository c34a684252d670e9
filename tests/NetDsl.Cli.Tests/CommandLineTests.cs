using System;
using System.IO;
using System.Linq;
using NetDsl.Experiments.Results;
using Xunit;

namespace NetDsl.Cli.Tests;

[CollectionDefinition("console", DisableParallelization = true)]
public sealed class ConsoleCollection;

/// <summary>Runs <c>netdsl</c> in process (Console is redirected, so these tests do not run in parallel with others).</summary>
[Collection("console")]
public sealed class CommandLineTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("netdsl-cli-").FullName;
    static readonly string Bundled = Path.Combine(AppContext.BaseDirectory, "data", "fashion-mnist");

    public void Dispose() => Directory.Delete(folder, recursive: true);

    internal static (int Code, string Out, string Error) Run(params string[] args)
    {
        var (stdout, stderr) = (Console.Out, Console.Error);
        var (o, e) = (new StringWriter(), new StringWriter());
        Console.SetOut(o);
        Console.SetError(e);
        try { return (Program.Main(args), o.ToString(), e.ToString()); }
        finally { Console.SetOut(stdout); Console.SetError(stderr); }
    }

    [Theory]
    [InlineData("unknown experiment 'nope'; choose one of: bn-residual", "compare", "--experiment", "nope")]
    [InlineData("--epochs must be at least 1 (got 0)", "compare", "--epochs", "0")]
    [InlineData("--batch-size must be at least 1", "compare", "--batch-size", "0")]
    [InlineData("--lr must be positive numbers (got 0)", "compare", "--lr", "0.1", "0")]
    [InlineData("--lr has duplicates (0.1 0.1)", "compare", "--lr", "0.1", "0.1")]
    [InlineData("--validation must be a fraction in (0, 0.5] (got 0.7)", "compare", "--validation", "0.7")]
    [InlineData("--test-subset must be at least 1", "compare", "--test-subset", "0")]
    [InlineData("as an initialization: use HeFanIn, TorchvisionFanOut or PyTorchDefault", "compare", "--init", "Xavier")]
    [InlineData("--subset 3 with --validation 0.1 leaves no validation image or fewer than 2 training images", "compare", "--subset", "3")]
    [InlineData("--subset 2 with --validation 0.5 leaves no validation image or fewer than 2 training images", "compare", "--subset", "2", "--validation", "0.5")]
    [InlineData("--subset must be at least 1", "compare", "--subset", "0")]
    [InlineData("--seeds has duplicates", "compare", "--seeds", "1", "1")]
    [InlineData("does not exist; pass a folder with the Fashion-MNIST IDX files", "compare", "--data", "/nonexistent/fashion")]
    [InlineData("Argument 'huge' not recognized", "compare", "--preset", "huge")]
    [InlineData("Unrecognized command or argument '--bogus'", "compare", "--bogus")]
    [InlineData("Cannot parse argument 'ten'", "compare", "--epochs", "ten")]
    [InlineData("--only 'nothing-like-this' matches none", "compare", "--only", "nothing-like-this")]
    [InlineData("--threads 1000 is more than this machine's", "compare", "--threads", "1000")]
    [InlineData("--lr 1E+308 is too large", "compare", "--lr", "1e308")]
    [InlineData("Cannot parse argument '99999999999' for option '--epochs' as a whole number", "compare", "--epochs", "99999999999")]
    [InlineData("as a schedule: use Cosine, Step or Constant", "compare", "--schedule", "Linear")]
    [InlineData("no variant named 'ResNet99'", "summary", "ResNet99")]
    [InlineData("file not found", "report", "/nonexistent/results.json")]
    public void Bad_input_exits_2_with_a_one_line_message(string message, params string[] args)
    {
        var output = Path.Combine(folder, "out");
        var (code, _, error) = Run(args[0] == "compare" ? [.. args, "--output", output] : args);
        Assert.Equal(2, code);
        Assert.Contains(message, error);
        Assert.StartsWith("error: ", error);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.DoesNotContain("System.", error);
        Assert.False(File.Exists(Path.Combine(output, "index.html")));
    }

    [Theory]
    [InlineData("true")]
    [InlineData("yes")]
    public async System.Threading.Tasks.Task A_malformed_NETDSL_KEEP_FREED_MEMORY_exits_2_before_anything_is_written(string value)
    {
        // A child process: the variable is read once per process, and this one's modules must not see it.
        var output = Path.Combine(folder, "run");
        using var child = Cli.Start(new System.Collections.Generic.Dictionary<string, string?> { ["NETDSL_KEEP_FREED_MEMORY"] = value },
            "compare", "-x", "shattering", "--only", "Depth2", "--output", output);
        var errorRead = child.StandardError.ReadToEndAsync();
        var stdout = await child.StandardOutput.ReadToEndAsync();
        await child.WaitForExitAsync();
        var error = await errorRead;
        Assert.Equal(2, child.ExitCode);
        Assert.Equal($"error: NETDSL_KEEP_FREED_MEMORY is '{value}': set it to 1 (keep freed tensor memory, the default) or 0 (glibc's own settings), or unset it.",
            error.TrimEnd());
        Assert.Equal("", stdout);
        Assert.False(Directory.Exists(output), "the run folder was written");
    }

    [Fact]
    public void Unwritable_output_exits_2()
    {
        var file = Path.Combine(folder, "a-file");
        File.WriteAllText(file, "");
        var (code, _, error) = Run("compare", "-x", "shattering", "--only", "Depth2", "--output", Path.Combine(file, "report"));
        Assert.Equal(2, code);
        Assert.Contains("cannot write to the output folder", error);
        var (code2, _, error2) = Run("compare", "-x", "shattering", "--output", file);
        Assert.Equal(2, code2);
        Assert.Contains("is a file; give a folder", error2);
    }

    [Fact]
    public void Empty_output_and_report_into_another_runs_folder_exit_2()
    {
        Assert.Equal(2, Run("compare", "-o", "").Code);
        var results = Path.Combine(folder, "a", "results.json");
        Directory.CreateDirectory(Path.GetDirectoryName(results)!);
        File.WriteAllText(results, "{}");
        var other = Path.Combine(folder, "b");
        Directory.CreateDirectory(other);
        File.WriteAllText(Path.Combine(other, "results.json"), "another run");
        var (code, _, error) = Run("report", results, "-o", other);
        Assert.Equal(2, code);
        Assert.Contains("holds another run's results.json", error);
        Assert.Equal("another run", File.ReadAllText(Path.Combine(other, "results.json")));
    }

    [Fact]
    public void Corrupt_data_exits_2_naming_the_file()
    {
        var data = Path.Combine(folder, "data");
        Directory.CreateDirectory(data);
        File.Copy(Path.Combine(Bundled, "t10k-labels-idx1-ubyte.gz"), Path.Combine(data, "t10k-labels-idx1-ubyte.gz"));
        File.WriteAllBytes(Path.Combine(data, "t10k-images-idx3-ubyte.gz"), File.ReadAllBytes(Path.Combine(Bundled, "t10k-images-idx3-ubyte.gz"))[..100_000]);
        var (code, _, error) = Run("compare", "--data", data, "--output", Path.Combine(folder, "out"));
        Assert.Equal(2, code);
        Assert.Contains("t10k-images-idx3-ubyte.gz", error);
    }

    [Fact]
    public void Summary_prints_the_architecture()
    {
        var (code, output, _) = Run("summary", "DepthNet.Residual.BnAfterConv.Depth3");
        Assert.Equal(0, code);
        Assert.Contains("total: 269,434 parameters, 8,550,784 multiply-accumulates per sample", output);
        Assert.Contains("layer3.2.conv2", output);
    }

    [Fact]
    public void The_normalization_free_experiment_compares_two_normalizations_and_three_starts_without_one_at_two_depths()
    {
        var e = NetDsl.Experiments.Catalog.Find("normalization-free")!;
        Assert.Equal(
        [
            "NormFreeNet.BatchNorm.HeFanIn.Depth3", "NormFreeNet.BatchNorm.HeFanIn.Depth9", "NormFreeNet.GroupNorm.HeFanIn.Depth3", "NormFreeNet.GroupNorm.HeFanIn.Depth9",
            "NormFreeNet.NoNorm.HeFanIn.Depth3", "NormFreeNet.NoNorm.HeFanIn.Depth9", "NormFreeNet.NoNorm.Fixup.Depth3", "NormFreeNet.NoNorm.Fixup.Depth9",
            "NormFreeNet.NoNorm.SkipInit.Depth3", "NormFreeNet.NoNorm.SkipInit.Depth9",
        ], e.Variants.Select(v => v.Name));
        // The matrix skips Fixup with a normalization (Zhang et al. remove it); the experiment leaves out SkipInit with one.
        Assert.DoesNotContain(NetDsl.Experiments.NormFreeNet.Variants.All, v => v.Settings["Init"] == "Fixup" && v.Settings["Normalization"] != "NoNorm");
        Assert.Equal(14, NetDsl.Experiments.NormFreeNet.Variants.All.Count);
        // 6n + 2 weight layers at n = 3 and 9.
        Assert.All(e.Variants, v => Assert.Equal(v.Name.EndsWith("Depth3", StringComparison.Ordinal) ? 20 : 56, v.Summary.Layers.Count(l => l.Kind is "Conv2d" or "Linear")));
    }

    [Fact]
    public void List_names_every_experiment()
    {
        var (code, output, _) = Run("list");
        Assert.Equal(0, code);
        foreach (var name in new[] { "bn-residual", "gradient-flow", "bn-placement", "smoothness", "covariate-shift", "preactivation", "degradation", "normalization-free", "shattering" })
            Assert.Contains(name, output);
        // Each preset's plan with its job count (variants x seeds x rates), and each variant's size from its compile-time summary.
        var lines = output.Split('\n').Select(l => l.TrimEnd()).ToList();
        Assert.Contains("  quick: 3 epoch(s) on 3,000 training images less 10% for validation, 2,000 test images (batch 64), 4 variants x 3 seed(s) x learning rates 0.01, 0.05 = 24 jobs", lines);
        Assert.Contains("  full:  15 epoch(s) on all training images less 10% for validation, all test images (batch 128), 4 variants x 3 seed(s) x learning rates 0.01, 0.03, 0.1 = 36 jobs", lines);
        Assert.Contains("  quick: 16 variants x 3 seed(s), no training", lines);
        Assert.Contains("  full:  5 variants x 3 seed(s) x learning rates 0.03, 0.1, 0.2 = 45 jobs", lines.Select(l => l.Replace("15 epoch(s) on all training images less 10% for validation, all test images (batch 128), ", "", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.Contains("DepthNet.Residual.BnAfterConv.Depth3", StringComparison.Ordinal) && l.Contains("269,434", StringComparison.Ordinal) && l.Contains("8,550,784", StringComparison.Ordinal));
    }

    [Fact]
    public void Compare_trains_writes_a_report_and_resumes_without_retraining()
    {
        var output = Path.Combine(folder, "run");
        string[] args = ["compare", "--only", "Residual.BnAfterConv", "--subset", "256", "--epochs", "1", "--lr", "0.05", "0.01", "--seeds", "0", "1", "--data", Bundled, "--output", output, "--plain"];
        var (code, stdout, error) = Run(args);
        Assert.True(code == 0, error);
        Assert.Contains("4 jobs", stdout);
        Assert.Contains("DepthNet.Residual.BnAfterConv.Depth3 (seed 1, lr 0.01) epoch 1/1", stdout);
        Assert.Contains("ranked on validation; test accuracy at the learning rate and epoch chosen on validation", stdout);
        var results = RunResults.Load(Path.Combine(output, "results.json"));
        var variant = Assert.Single(results.Variants);
        Assert.Equal(4, variant.Jobs.Count);
        Assert.Equal(4, Directory.GetFiles(Path.Combine(output, "checkpoints"), "*.ckpt").Length);
        // The chosen rate is the one with the higher mean validation accuracy over the two seeds (one epoch each), computed here.
        var byRate = variant.Jobs.GroupBy(j => j.LearningRate!.Value).ToDictionary(g => g.Key, g => g.Average(j => j.Epochs.Single().ValidationAccuracy));
        Assert.NotEqual(byRate[0.01], byRate[0.05]);
        Assert.Equal(byRate.MaxBy(kv => kv.Value).Key, variant.Selection!.LearningRate);
        Assert.Equal([0, 1], variant.Selection.Epochs.Select(e => e.Seed));
        Assert.Equal(variant.Jobs.Where(j => j.LearningRate == variant.Selection.LearningRate).Select(j => j.Epochs[0].TestAccuracy), variant.Selection.Epochs.Select(e => e.TestAccuracy));
        var run = variant.Jobs[0];
        Assert.Single(run.Epochs);
        Assert.Equal((230, 26, 2000), (results.Settings.TrainImages, results.Settings.ValidationImages, results.Settings.TestImages));
        Assert.Equal("HeFanIn", results.Settings.Init);
        // Validation accuracy is a count over the 26 validation images; test accuracy over the 2,000 test images.
        Assert.All(variant.Jobs, j => Assert.Equal(Math.Round(j.Epochs[0].ValidationAccuracy * 26), j.Epochs[0].ValidationAccuracy * 26, 9));
        Assert.All(variant.Jobs, j => Assert.Equal(j.Epochs[0].TestAccuracy, j.Epochs[0].TestConfusion!.Counts.Where((_, k) => k / 10 == k % 10).Sum() / 2000.0, 12));
        Assert.All(variant.Jobs, j => Assert.Equal(2000, j.Epochs[0].TestConfusion!.Counts.Sum()));
        // The profile at initialization: 9 units, log10 of the first unit's input gradient over the last one's; at both rates the same
        // seed starts from the same weights, so the same profile.
        var norms = run.Initial!.UnitInputGradientNorms;
        Assert.Equal(9, norms.Count);
        Assert.Equal(Math.Log10(norms[0].Value / norms[^1].Value), run.Initial.Log10Ratio!.Value, 12);
        Assert.Equal(run.Initial.Log10Ratio, variant.Jobs.Single(j => j.Seed == run.Seed && j.LearningRate != run.LearningRate).Initial!.Log10Ratio);
        var html = File.ReadAllText(Path.Combine(output, "index.html"));
        Assert.Matches("<td[^>]*>Residual.BnAfterConv.Depth3</td>", html);
        Assert.Contains("Accuracy per class", html);

        // A second run into the same folder is refused; --resume continues from the checkpoint (nothing left to train).
        Assert.Equal(2, Run(args).Code);
        var (resumed, again, _) = Run([.. args, "--resume"]);
        Assert.Equal(0, resumed);
        Assert.DoesNotContain("epoch 1/1", again);
        var reloaded = RunResults.Load(Path.Combine(output, "results.json"));
        Assert.Equal(run.Epochs[0], reloaded.Variants[0].Jobs[0].Epochs[0]);

        // Resuming with other settings names the checkpoint and the fix, on one line.
        var (other, _, otherError) = Run([.. args, "--resume", "--momentum", "0.8"]);
        Assert.Equal(2, other);
        Assert.Contains("written by a run with other settings", otherError);
        Assert.Single(otherError.TrimEnd().Split('\n'));

        // The report's command spells out every setting, so it reproduces the run on another machine.
        Assert.Equal($"netdsl compare -x bn-residual -p quick --data {Bundled} --epochs 1 --batch-size 64 --lr 0.05 0.01 --momentum 0.9 --weight-decay 0.0001 --schedule Cosine --init HeFanIn --subset 256 --validation 0.1 --test-subset 2000 --seeds 0 1 --threads {Environment.ProcessorCount} --only Residual.BnAfterConv",
            results.Settings.CommandLine);

        // `report` re-renders from results.json.
        var (reported, _, _) = Run("report", Path.Combine(output, "results.json"), "--output", Path.Combine(folder, "rerendered"));
        Assert.Equal(0, reported);
        Assert.Equal(File.ReadAllText(Path.Combine(output, "report.md")), File.ReadAllText(Path.Combine(folder, "rerendered", "report.md")));
        Assert.Equal(File.ReadAllText(Path.Combine(output, "data", "selection.csv")), File.ReadAllText(Path.Combine(folder, "rerendered", "data", "selection.csv")));
    }

    [Fact]
    public void The_reproduce_command_of_a_run_with_hostile_paths_gives_bash_exactly_the_original_arguments()
    {
        // A data folder whose name holds spaces, both quotes, |, &, <, >, $, a backslash, a glob and non-ASCII letters.
        var data = Path.Combine(folder, "Fashion MNIST <v2> | \"quoted\" 'single' & $HOME \\ * Ünïcødé 日本");
        Directory.CreateDirectory(data);
        foreach (var file in Directory.GetFiles(Bundled, "*.gz")) File.Copy(file, Path.Combine(data, Path.GetFileName(file)));
        var output = Path.Combine(folder, "out $x | y");
        // 256 images less 26 for validation: 230 = 229 + 1, so the last batch of one image merges into the first (said once, and in the report).
        var (code, stdout, error) = Run("compare", "--only", "Residual.BnAfterConv", "--subset", "256", "--batch-size", "229", "--epochs", "1", "--lr", "0.05", "--seeds", "3",
            "--test-subset", "40", "--threads", "1", "--data", data, "--output", output, "--plain");
        Assert.True(code == 0, error);
        Assert.Contains(data, stdout);
        const string note = "230 training images in batches of 229 would leave a last batch of one image, which BatchNorm cannot normalize in training mode " +
                            "(PyTorch refuses it; TorchSharp would make running_var NaN): it is merged into the batch before, which holds 230";
        Assert.Single(stdout.Split('\n'), l => l.Contains("would leave a last batch of one image", StringComparison.Ordinal));
        Assert.Contains("note: " + note + "\n", stdout);

        // The command as the report prints it: the line inside the Reproduce section's fence, identical in results.json.
        var md = File.ReadAllLines(Path.Combine(output, "report.md"));
        var at = Array.IndexOf(md, "## Reproduce");
        var fence = md.Skip(at).First(l => l.StartsWith("```", StringComparison.Ordinal));
        var command = md[Array.IndexOf(md, fence, at) + 1];
        Assert.Equal(RunResults.Load(Path.Combine(output, "results.json")).Settings.CommandLine, command);
        string[] expected =
        [
            "compare", "-x", "bn-residual", "-p", "quick", "--data", data, "--epochs", "1", "--batch-size", "229", "--lr", "0.05", "--momentum", "0.9",
            "--weight-decay", "0.0001", "--schedule", "Cosine", "--init", "HeFanIn", "--subset", "256", "--validation", "0.1", "--test-subset", "40",
            "--seeds", "3", "--threads", "1", "--only", "Residual.BnAfterConv",
        ];
        Assert.Equal(expected, Shell.RunWithStub(command, "netdsl"));

        // index.html: the command verbatim in its code block; the folder HTML-encoded, never as a tag; the settings table keeps two cells.
        var html = File.ReadAllText(Path.Combine(output, "index.html"));
        var blocks = System.Text.RegularExpressions.Regex.Matches(html, "<pre><code>(.*?)</code></pre>", System.Text.RegularExpressions.RegexOptions.Singleline)
            .Select(m => System.Net.WebUtility.HtmlDecode(m.Groups[1].Value)).ToList();
        Assert.Contains(command + "\n", blocks);
        Assert.DoesNotContain("<v2>", html);
        Assert.Contains("Fashion MNIST &lt;v2&gt; | &quot;quoted&quot;", html);
        Assert.Contains("| batches | 229 images; " + NetDsl.Experiments.Text.Escape.Markdown(note) + " |", md);
        Assert.Contains("229 images; " + note, System.Net.WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Replace(html, "<[^>]*>", "")));
        var row = md.Single(l => l.StartsWith("| data |", StringComparison.Ordinal));
        Assert.Equal(3, System.Text.RegularExpressions.Regex.Matches(row, @"(?<!\\)\|").Count);
    }

    [Fact]
    public void Shattering_needs_no_data_and_measures_the_acf()
    {
        var output = Path.Combine(folder, "shatter");
        var (code, _, error) = Run("compare", "-x", "shattering", "--only", "Depth4", "--seeds", "0", "--output", output, "--plain");
        Assert.True(code == 0, error);
        var results = RunResults.Load(Path.Combine(output, "results.json"));
        Assert.Equal(5, results.Variants.Count);   // feedforward/residual x BN/none, and the 0.1 branch scale
        foreach (var v in results.Variants)
        {
            var s = v.Jobs[0].Shattering!;
            // The gradients are those of the variant built from seed 0 with He initialization (the run's --init), computed here.
            var info = NetDsl.Experiments.Catalog.AllVariants().Single(x => x.Name == v.Name);
            TorchSharp.torch.manual_seed(0);
            using var model = info.Create();
            NetDsl.Measurements.Initialization.Apply(model, NetDsl.Measurements.InitScheme.HeFanIn);
            Assert.Equal(NetDsl.Measurements.ShatteredGradients.InputGradients(model), s.Gradients);
            // ACF over lags 0..32 by its textbook formula, sum_i (g_i - m)(g_i+k - m) / sum_i (g_i - m)^2, on the stored gradients.
            var g = s.Gradients;
            var mean = g.Average();
            var denominator = g.Sum(x => (x - mean) * (x - mean));
            Assert.Equal(33, s.Autocorrelation.Length);
            for (var k = 0; k <= 32; k++)
                Assert.Equal(Enumerable.Range(0, g.Length - k).Sum(i => (g[i] - mean) * (g[i + k] - mean)) / denominator, s.Autocorrelation[k], 12);
        }
        // The residual nets keep neighbouring gradients more correlated than the feedforward ones with BatchNorm (Balduzzi et al.).
        double Lag1(string name) => results.Variants.Single(v => v.Name == name).Jobs[0].Shattering!.Autocorrelation[1];
        Assert.True(Lag1("ShatterNet.Residual.BnAfterConv.Depth4") > Lag1("ShatterNet.Plain.BnAfterConv.Depth4"));
    }
}
