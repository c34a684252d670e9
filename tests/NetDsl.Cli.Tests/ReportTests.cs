using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using NetDsl.Cli.Reporting;
using NetDsl.Cli.Results;
using Xunit;

namespace NetDsl.Cli.Tests;

public sealed class ReportTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("netdsl-report-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    /// <summary>Results with every section filled: variant "Good" beats "Bad" everywhere, by known amounts.</summary>
    static RunResults Sample()
    {
        VariantResult Variant(string name, string bn, double accuracy, double beta, double cosine, double rise, double acf, int depth) => new()
        {
            Name = $"Net.{name}",
            Settings = new() { ["BatchNorm"] = bn, ["Depth"] = depth.ToString() },
            Parameters = 1000,
            MultiplyAccumulates = 5000,
            WeightLayers = depth + 2,
            Summary = "table",
            ForwardSource = $"public override Tensor forward(Tensor x) {{ /* {name} <&> */ }}",
            Runs = new[] { 0, 1 }.Select(seed => new SeedResult
            {
                Seed = seed,
                Epochs = [new(1, 0.1, 1.0, 0.6, 0.9, accuracy - 0.1, 10, 100), new(2, 0.0, 0.5 + seed * 0.01, 0.8, 0.6, accuracy + seed * 0.002, 10, 100)],
                Initial = new GradientProfile
                {
                    WeightGradientNorms = [new("conv1.weight", 1), new("fc.weight", 0.1)],
                    UnitInputGradientNorms = [new("layer1.0", 10), new("layer1.1", 1)],
                    Log10Ratio = name == "Good" ? 0.2 : 3.0,
                    ShortcutShare = [new("layer1.0", 0.6)],
                },
                Activations = [new(0, [new("relu1", 0.5, 1, 0.1, 0.05, null, null)]), new(2, [new("relu1", 0.4, 1, name == "Good" ? 0.02 : 0.3, 0.1, null, null)])],
                Smoothness = [new(0, 0.1, 0.5, beta), new(10, 0.2, 0.6, beta * 2)],
                CovariateShift = [new(0, [new("conv1.weight", 0, 1), new("fc.weight", 0.5, cosine)])],
                Slice = new SliceResult([-1, -0.5, 0, 0.5, 1], [5, 1 + rise, 1, 1 + rise, 5], 100),
                Shattering = new ShatterResult([0.1, 0.2, 0.3], [1, acf, 0.1]),
            }).ToList(),
        };
        return new RunResults
        {
            Experiment = "sample",
            Preset = "quick",
            Title = "Sample",
            Question = "Which is better?",
            StartedUtc = new DateTime(2026, 11, 30, 0, 0, 0, DateTimeKind.Utc),
            WallSeconds = 12,
            Settings = new RunSettings { Epochs = 2, BatchSize = 64, LearningRate = 0.1, Seeds = [0, 1], Threads = 2, CommandLine = "netdsl compare -x sample", Versions = new() { ["NetDsl"] = "0.1.0" } },
            Variants = [Variant("Good", "BnAfterConv", 0.9, 1, 0.9, 0.5, 0.8, 4), Variant("Bad", "NoBn", 0.8, 4, 0.6, 2.0, 0.1, 8)],
        };
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
        var pngs = files.Where(f => f.EndsWith(".png")).ToList();
        Assert.Equal(15, pngs.Count);
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
        // Good: 0.9 and 0.902 -> 90.1%; Bad: 80.1%.
        Assert.Contains("Good reached the highest final test accuracy, 90.1% (mean of 2 seeds), 10.0 points above Bad (80.1%)", md);
        Assert.Contains("the lead is more than twice the spread across seeds", md);
        Assert.Contains("At initialization, Bad propagates the gradient worst: it grows toward the input by a factor 1E+03 (log10 ratio 3.00) across its units; Good best: it grows toward the input by a factor 1.58 (log10 ratio 0.20)", md);
        // Effective beta: Good mean(1, 2) = 1.5, Bad mean(4, 8) = 6: 4.0x.
        Assert.Contains("Over 4 probes per variant, Good has the smoothest landscape: mean effective beta 1.50, 4.0x lower than Bad (6.00)", md);
        // ICS: cos over layers 2..L only: 0.9 with BatchNorm vs 0.6 without.
        Assert.Contains("With BatchNorm the mean cos(G, G') is 0.900 vs 0.600 without: BatchNorm reduced", md);
        Assert.Contains("Bad's loss rises fastest around its trained weights: +2.000 nats at |a| = 0.5, 4.0x the rise of Good (+0.500)", md);
        Assert.Contains("ReLU: Good ends with the fewest dead or always-on units (2.0% dead", md);
        // Depth 8 vs 4 within each BatchNorm setting is not a depth group here (different BN): no degradation sentence.
        Assert.DoesNotContain("degradation problem", md);
        Assert.Contains("lag-1 ACF: NoBn 0.10, BnAfterConv 0.80", md);
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
