using System;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using NetDsl.Cli.Commands;
using NetDsl.Experiments.Progress;
using NetDsl.Experiments.Reporting;
using NetDsl.Experiments.Results;
using NetDsl.Experiments.Training;
using NetDsl.Measurements;
using Xunit;

namespace NetDsl.Cli.Tests;

/// <summary>
/// Numbers mean the same on every machine (issue 12, kind 2): the option parser and everything the tool writes, run under cultures
/// with other decimal and group separators (de-DE: 1.234,5; fr-FR: 1 234,5 with a narrow no-break space), other casing rules
/// (tr-TR: "i".ToUpper() is "İ") and another minus sign (sv-SE: U+2212), give exactly the invariant text.
/// </summary>
[Collection("console")]
public sealed class CultureTests : IDisposable
{
    public static readonly TheoryData<string> Cultures = new() { "de-DE", "fr-FR", "tr-TR", "sv-SE" };

    readonly string folder = Directory.CreateTempSubdirectory("netdsl-culture-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    internal static T In<T>(string culture, Func<T> action)
    {
        var (current, ui) = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = new CultureInfo(culture);
            return action();
        }
        finally
        {
            (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = (current, ui);
        }
    }

    [Fact]
    public void The_cultures_really_differ_here()
    {
        // Without ICU (invariant globalization mode) every culture would format like the invariant one and these tests could not fail.
        Assert.Equal("1.234,5", In("de-DE", () => 1234.5.ToString("N1", CultureInfo.CurrentCulture)));
        Assert.Equal("1\u202F234,5", In("fr-FR", () => 1234.5.ToString("N1", CultureInfo.CurrentCulture)));
        Assert.Equal("İ", In("tr-TR", () => "i".ToUpper(CultureInfo.CurrentCulture)));
        Assert.Equal("\u22121", In("sv-SE", () => (-1).ToString(CultureInfo.CurrentCulture)));
    }

    static T Value<T>(string command, string option, params string[] args)
    {
        var root = Program.Build();
        var parse = root.Parse(args);
        Assert.Empty(parse.Errors);
        var o = root.Subcommands.Single(c => c.Name == command).Options.Single(x => x.Name == option);
        return parse.GetValue((Option<T>)o)!;
    }

    [Theory]
    [MemberData(nameof(Cultures))]
    public void Number_options_parse_the_same_in_every_culture(string culture)
    {
        string[] args = ["compare", "--lr", "0.05", "1e-3", "--momentum", "0.9", "--weight-decay", "0.0001", "--validation", "0.25", "--epochs", "3", "--seeds", "-1", "2", "--subset", "12000", "--init", "hefanin", "--schedule", "STEP"];
        In(culture, () =>
        {
            Assert.Equal([0.05, 0.001], Value<double[]>("compare", "--lr", args));
            Assert.Equal(0.9, Value<double>("compare", "--momentum", args));
            Assert.Equal(0.0001, Value<double>("compare", "--weight-decay", args));
            Assert.Equal(0.25, Value<double?>("compare", "--validation", args));
            Assert.Equal(3, Value<int?>("compare", "--epochs", args));
            Assert.Equal([-1, 2], Value<int[]>("compare", "--seeds", args));
            Assert.Equal(12000, Value<int?>("compare", "--subset", args));
            // Enum names are matched ordinally: "hefanin" is HeFanIn under tr-TR too, where "I" lower-cases to "ı".
            Assert.Equal(InitScheme.HeFanIn, Value<InitScheme>("compare", "--init", args));
            Assert.Equal(Schedule.Step, Value<Schedule?>("compare", "--schedule", args));
            return 0;
        });
    }

    [Theory]
    [MemberData(nameof(Cultures))]
    public void A_localized_number_is_refused_with_the_fix(string culture)
    {
        var root = Program.Build();
        var errors = In(culture, () => root.Parse(["compare", "--lr", "0,05"]).Errors.Select(e => e.Message).ToList());
        Assert.Equal(["Cannot parse argument '0,05' for option '--lr' as a number (with . as the decimal point: 0.05, 1e-4)"], errors);
        var grouped = In(culture, () => root.Parse(["compare", "--subset", "12.000"]).Errors.Select(e => e.Message).ToList());
        Assert.Equal(["Cannot parse argument '12.000' for option '--subset' as a whole number (up to 2,147,483,647)"], grouped);
    }

    [Theory]
    [MemberData(nameof(Cultures))]
    public void Error_messages_write_numbers_invariantly(string culture)
    {
        var (code, _, error) = In(culture, () => CommandLineTests.Run("compare", "--momentum", "1.5", "--output", Path.Combine(folder, "x")));
        Assert.Equal(2, code);
        Assert.Equal("error: --momentum must be in [0, 1) (got 1.5)", error.TrimEnd());
        var (_, _, lr) = In(culture, () => CommandLineTests.Run("compare", "--lr", "0.5", "-0.25", "--output", Path.Combine(folder, "x")));
        Assert.Equal("error: --lr must be positive numbers (got -0.25)", lr.TrimEnd());
    }

    [Theory]
    [MemberData(nameof(Cultures))]
    public void Every_report_file_is_the_same_as_under_the_invariant_culture(string culture)
    {
        RunResults Results()
        {
            var r = ReportTests.Sample();
            // Numbers with group separators, decimals, negative values and dates in every section.
            r.Settings.TrainImages = 12345;
            r.Settings.WeightDecay = 0.0005;
            r.WallSeconds = 4321.5;
            r.Variants[0].Jobs[0].Epochs[1] = r.Variants[0].Jobs[0].Epochs[1] with { LiveTensors = 90 };
            return r;
        }
        var invariant = Path.Combine(folder, "invariant");
        var local = Path.Combine(folder, culture);
        var files = In("", () => ReportWriter.Write(Results(), invariant));
        In(culture, () => ReportWriter.Write(Results(), local));
        foreach (var file in files)
            Assert.True(File.ReadAllBytes(Path.Combine(invariant, file)).SequenceEqual(File.ReadAllBytes(Path.Combine(local, file))), $"{file} differs under {culture}");
        var md = File.ReadAllText(Path.Combine(local, "report.md"));
        Assert.Contains("| images | 12,345 training, 100 validation, 500 test |", md);
        Assert.Contains("| wall time | 4322 s from the first job's start to the last one's end", md);
        Assert.Contains("72.0 minutes of wall time on 2 threads, 2026-11-30 00:00 UTC.", md);
        Assert.Contains("SGD, momentum 0, weight decay 0.0005, ", md);
        Assert.Contains("Native tensors alive after the first vs the last epoch: change of -10 to 0 across jobs", md);
        Assert.Contains("| Good | 0.1 | 2, 2, 2 | 86.0 ± 1.0% | 90.2 ± 0.2% | 89.7% to 90.7% |", md);
        var csv = File.ReadAllLines(Path.Combine(local, "data", "selection.csv"));
        Assert.Equal("Net.Good,0.1,True,1,2,0.86,0.902,0.6,0.51", csv[2]);
        Assert.Contains("\"WeightDecay\": 0.0005,", File.ReadAllText(Path.Combine(local, "results.json")));
        Assert.Equal(ReportWriter.Headline(Results()), In(culture, () => ReportWriter.Headline(Results())));
    }

    [Theory]
    [MemberData(nameof(Cultures))]
    public void Progress_lines_and_checkpoint_fingerprints_are_invariant(string culture)
    {
        var run = new JobResult
        {
            Seconds = 12.4,
            Epochs = [new(1, 0.05, 1.2345, 0.5, 1.5, 0.8126, 1.4, 0.75, 3.25, 10)],
            Initial = new GradientProfile { Log10Ratio = -1.234 },
            Shattering = new ShatterResult([1, 2], [1, -0.5]),
        };
        Assert.Equal("validation accuracy 81.3%, log10 gradient ratio -1.23, lag-1 ACF -0.500, 12 s", In(culture, () => LineProgress.Describe(run)));
        var options = new TrainingOptions { LearningRate = 0.05, WeightDecay = 5e-4, Subset = 3000 };
        Assert.Equal("TrainingOptions { Epochs = 5, BatchSize = 128, LearningRate = 0.05, Momentum = 0.9, WeightDecay = 0.0005, Schedule = Cosine, Augment = False, Subset = 3000 }",
            In(culture, () => options.ToString()));
        Assert.Equal("1,235", In(culture, () => Plots.Tick(1234.6)));
        Assert.Equal("0.25", In(culture, () => Plots.Tick(0.25)));
        Assert.Equal("-2", In(culture, () => Plots.Tick(-2)));
        Assert.Equal("0", In(culture, () => Plots.Tick(-1e-12)));
        Assert.Equal("1E-05", In(culture, () => Plots.Tick(0.00001)));
    }

    [Theory]
    [MemberData(nameof(Cultures))]
    public void Plots_render_the_same_in_every_culture(string culture)
    {
        Series[] series = [new("a", [0, 0.5, 1, 1.5], [1234.5, -0.25, 0.125, 2000], [1000, -1, 0, 1500], [1500, 0.5, 0.25, 2500])];
        var invariant = Path.Combine(folder, "invariant.png");
        var local = Path.Combine(folder, culture + ".png");
        In("", () => Plots.Lines(invariant, "t", "x", "y", series));
        In(culture, () => Plots.Lines(local, "t", "x", "y", series));
        Assert.Equal(File.ReadAllBytes(invariant), File.ReadAllBytes(local));
    }
}
