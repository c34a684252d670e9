using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using NetDsl.Cli.Data;
using NetDsl.Cli.Experiments;
using NetDsl.Cli.Reporting;
using NetDsl.Cli.Results;
using NetDsl.Cli.Text;
using NetDsl.Cli.Training;
using NetDsl.Measurements;
using Spectre.Console;
using TorchSharp;
using static System.FormattableString;

namespace NetDsl.Cli.Commands;

/// <summary>A command-line mistake: the message names the problem and the fix; the process exits with code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>The options of <c>netdsl compare</c>, after parsing.</summary>
public sealed record CompareRequest
{
    /// <summary>Experiment name.</summary>
    public string Experiment { get; init; } = Catalog.Default;
    /// <summary>Preset: <c>quick</c> or <c>full</c>.</summary>
    public string Preset { get; init; } = "quick";
    /// <summary>Data folder, or null to search.</summary>
    public string? Data { get; init; }
    /// <summary>Epochs, or null for the preset's.</summary>
    public int? Epochs { get; init; }
    /// <summary>Batch size, or null for the preset's.</summary>
    public int? BatchSize { get; init; }
    /// <summary>Learning-rate grid, or null for the preset's.</summary>
    public double[]? LearningRates { get; init; }
    /// <summary>Weight initialization, used for training and every measurement.</summary>
    public InitScheme Init { get; init; } = InitScheme.HeFanIn;
    /// <summary>Share of the training images held out for validation, or null for <see cref="ValidationSplit.DefaultFraction"/>.</summary>
    public double? ValidationFraction { get; init; }
    /// <summary>Test images evaluated, or null for the preset's.</summary>
    public int? TestSubset { get; init; }
    /// <summary>Momentum.</summary>
    public double Momentum { get; init; } = TrainingOptions.Default.Momentum;
    /// <summary>Weight decay.</summary>
    public double WeightDecay { get; init; } = TrainingOptions.Default.WeightDecay;
    /// <summary>Schedule.</summary>
    public Schedule Schedule { get; init; } = TrainingOptions.Default.Schedule;
    /// <summary>Augmentation.</summary>
    public bool Augment { get; init; }
    /// <summary>Seeds, or null for the preset's.</summary>
    public int[]? Seeds { get; init; }
    /// <summary>LibTorch threads.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;
    /// <summary>Report folder, or null for <c>reports/&lt;experiment&gt;-&lt;time&gt;</c>.</summary>
    public string? Output { get; init; }
    /// <summary>Training images, or null for the preset's.</summary>
    public int? Subset { get; init; }
    /// <summary>Continue from the checkpoints in the output folder.</summary>
    public bool Resume { get; init; }
    /// <summary>Only variants whose name contains this text (case-insensitive).</summary>
    public string? Only { get; init; }
    /// <summary>Progress as plain lines even on a terminal.</summary>
    public bool Plain { get; init; }
}

/// <summary><c>netdsl compare</c>: runs an experiment and writes its report.</summary>
public static class CompareCommand
{
    /// <summary>Validates <paramref name="request"/>, runs the experiment, writes the report; returns the report folder.
    /// The report's command line spells out every setting actually used.</summary>
    /// <exception cref="UsageException">Unknown experiment or preset, bad numbers, missing or corrupt data, an output folder that is not writable or already holds a report.</exception>
    public static string Run(CompareRequest request)
    {
        var experiment = Catalog.Find(request.Experiment)
            ?? throw new UsageException($"unknown experiment '{request.Experiment}'; choose one of: {string.Join(", ", Catalog.All.Select(e => e.Name))} (see `netdsl list`)");
        var preset = experiment.PresetNamed(request.Preset)
            ?? throw new UsageException($"unknown preset '{request.Preset}'; use --preset quick or --preset full");
        var training = experiment.What.HasFlag(Measures.Training);
        var epochs = request.Epochs ?? preset.Epochs;
        if (training && epochs < 1) throw new UsageException(Invariant($"--epochs must be at least 1 (got {epochs})"));
        var batchSize = request.BatchSize ?? preset.BatchSize;
        var rates = training ? request.LearningRates is { Length: > 0 } lrs ? lrs : preset.LearningRates : [];
        if (batchSize < 1) throw new UsageException(Invariant($"--batch-size must be at least 1 (got {batchSize})"));
        foreach (var rate in rates)
        {
            if (!(rate > 0) || !double.IsFinite(rate)) throw new UsageException($"--lr must be positive numbers (got {rate.ToString(Inv)})");
            // SGD updates in float32: a rate beyond 1e3 only overflows (no schedule here needs more than 1).
            if (rate > 1e3) throw new UsageException($"--lr {rate.ToString(Inv)} is too large; use rates up to 1000 (the papers use 0.1)");
        }
        if (rates.Distinct().Count() != rates.Length) throw new UsageException($"--lr has duplicates ({string.Join(" ", rates.Select(r => r.ToString(Inv)))}); give each rate once");
        var validation = request.ValidationFraction ?? ValidationSplit.DefaultFraction;
        if (!(validation > 0 && validation <= 0.5)) throw new UsageException($"--validation must be a fraction in (0, 0.5] (got {validation.ToString(Inv)}); 0.1 holds out 10% of the training images");
        if (!Enum.IsDefined(request.Init)) throw new UsageException($"--init must be one of {string.Join(", ", Enum.GetNames<InitScheme>())}");
        if (request.TestSubset is < 1) throw new UsageException(Invariant($"--test-subset must be at least 1 (got {request.TestSubset})"));
        if (request.Momentum is < 0 or >= 1) throw new UsageException(Invariant($"--momentum must be in [0, 1) (got {request.Momentum})"));
        if (request.WeightDecay < 0) throw new UsageException(Invariant($"--weight-decay must not be negative (got {request.WeightDecay})"));
        if (request.Threads < 1) throw new UsageException(Invariant($"--threads must be at least 1 (got {request.Threads})"));
        if (request.Threads > Environment.ProcessorCount)
            throw new UsageException(Invariant($"--threads {request.Threads} is more than this machine's {Environment.ProcessorCount} cores; LibTorch only slows down with more threads than cores"));
        if (request.Output is "") throw new UsageException("--output is empty; give a folder");
        if (request.Subset is < 1) throw new UsageException(Invariant($"--subset must be at least 1 (got {request.Subset})"));
        var seeds = request.Seeds is { Length: > 0 } s ? s : preset.Seeds;
        if (seeds.Distinct().Count() != seeds.Length) throw new UsageException($"--seeds has duplicates ({string.Join(" ", seeds.Select(x => x.ToString(Inv)))}); give each seed once");
        var filter = request.Only;
        if (filter is not null)
        {
            var all = experiment.VariantsOf(preset);
            var inner = preset.Include;
            preset = preset with { Include = v => inner(v) && v.Name.Contains(filter, StringComparison.OrdinalIgnoreCase) };
            if (experiment.VariantsOf(preset).Count == 0)
                throw new UsageException($"--only '{filter}' matches none of {experiment.Name}'s variants: {string.Join(", ", all.Select(v => v.Name))}");
        }

        Dataset? data = null;
        if (training || experiment.What.HasFlag(Measures.InitialGradients) || experiment.What.HasFlag(Measures.Activations))
        {
            try { data = FashionMnist.Load(request.Data); }
            catch (Exception e) when (e is IOException or InvalidDataException) { throw new UsageException(e.Message); }
            data = data with { Test = data.Test.Take(request.TestSubset ?? preset.TestSubset) };
            var available = data.Train.Take(request.Subset ?? preset.Subset).Count;
            if (Math.Round(validation * available) < 1 || available - Math.Round(validation * available) < 2)
                throw new UsageException(Invariant($"--subset {available} with --validation {validation} leaves no validation image or fewer than 2 training images; use more images"));
        }

        var output = Path.GetFullPath(request.Output ?? Path.Combine("reports", $"{experiment.Name}-{DateTime.Now.ToString("yyyyMMdd-HHmmss", Inv)}"));
        PrepareOutput(output, request.Resume);

        torch.set_num_threads(request.Threads);
        var options = new TrainingOptions
        {
            Epochs = training ? epochs : 0,
            BatchSize = batchSize,
            LearningRate = rates.Length > 0 ? rates[0] : TrainingOptions.Default.LearningRate,
            Momentum = request.Momentum,
            WeightDecay = request.WeightDecay,
            Schedule = request.Schedule,
            Augment = request.Augment,
            Subset = request.Subset ?? preset.Subset,
        };
        var spec = new RunSpec(experiment, preset, options, seeds, rates, request.Init, validation);
        var runner = new Runner(spec, data, Path.Combine(output, "checkpoints"));
        var firstSplit = runner.DataOf(seeds[0]);
        var results = new RunResults
        {
            Experiment = experiment.Name,
            Preset = preset.Name,
            Title = experiment.Title,
            Question = experiment.Description,
            StartedUtc = DateTime.UtcNow,
            Settings = new RunSettings
            {
                Epochs = options.Epochs,
                BatchSize = options.BatchSize,
                LearningRates = rates.ToList(),
                Momentum = options.Momentum,
                WeightDecay = options.WeightDecay,
                Schedule = options.Schedule.ToString(),
                BatchNote = training && firstSplit is { } first ? Trainer.LastBatchNote(first.Split.Train.Count, batchSize) : null,
                Augment = options.Augment,
                Init = request.Init.ToString(),
                InitDescription = Initialization.Describe(request.Init),
                ValidationFraction = validation,
                Seeds = seeds.ToList(),
                Threads = request.Threads,
                OmpWaitPolicy = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "(unset)",
                DataFolder = data?.Folder ?? "(none: no data needed)",
                DataOrigin = data?.Origin ?? "",
                DataSplit = data?.Split ?? "",
                TrainImages = firstSplit?.Split.Train.Count ?? 0,
                ValidationImages = firstSplit?.Split.Validation.Count ?? 0,
                TestImages = data?.Test.Count ?? 0,
                Versions = Versions(),
                CommandLine = Reproduction(experiment, preset, options, rates, seeds, request, validation, data),
            },
        };
        var clock = Stopwatch.StartNew();
        Console.CancelKeyPress += (_, _) =>
            Console.Error.WriteLine($"\ninterrupted: finished epochs are in {Path.Combine(output, "checkpoints")}; continue with the same options and --resume");
        var variants = experiment.VariantsOf(preset);
        var jobs = spec.Jobs();
        Console.WriteLine($"{experiment.Name} ({preset.Name}): {variants.Count} variants x {Plural(seeds.Length, "seed")}" +
                          (rates.Length > 0 ? $" x {Plural(rates.Length, "learning rate")} ({string.Join(", ", rates.Select(r => r.ToString(Inv)))}) = {Plural(jobs.Count, "job")}" : "") +
                          $"; init {request.Init}; " +
                          (data is null ? "no data needed" : Invariant($"{results.Settings.TrainImages:N0} training / {results.Settings.ValidationImages:N0} validation / {results.Settings.TestImages:N0} test images from {data.Folder} ({data.Origin})")) +
                          $"; {Plural(request.Threads, "thread")}; report in {output}");
        if (results.Settings.BatchNote is { } note) Console.WriteLine($"note: {note}");
        if (!request.Plain && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive)
        {
            // More bars than a terminal has rows scroll badly: with many jobs, finished bars make room (the summary at the end lists every variant).
            AnsiConsole.Progress().AutoClear(false).HideCompleted(jobs.Count > Math.Max(8, Console.WindowHeight - 6))
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = 12 }, new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx => results.Variants = runner.Run(new BarProgress(ctx, jobs)));
        }
        else
        {
            results.Variants = runner.Run(new LineProgress());
        }
        results.WallSeconds = clock.Elapsed.TotalSeconds;
        ReportWriter.Write(results, output);
        foreach (var line in ReportWriter.Headline(results)) Console.WriteLine(line);
        return output;
    }

    static readonly System.Globalization.CultureInfo Inv = System.Globalization.CultureInfo.InvariantCulture;

    static string Plural(int n, string word) => Invariant($"{n} {word}{(n == 1 ? "" : "s")}");

    /// <summary>Every setting spelled out, so the command gives the same run on another machine (whatever its defaults or data search finds),
    /// each word quoted for a POSIX shell (a data folder or filter with spaces, quotes, <c>$</c>, <c>|</c> pastes as one argument).</summary>
    internal static string Reproduction(Experiment experiment, Preset preset, TrainingOptions o, double[] rates, int[] seeds, CompareRequest request, double validation, Dataset? data)
    {
        static string N(double x) => x.ToString(Inv);
        static string I(int x) => x.ToString(Inv);
        var words = new List<string> { "netdsl", "compare", "-x", experiment.Name, "-p", preset.Name };
        if (data is not null) words.AddRange(["--data", data.Folder]);
        if (experiment.What.HasFlag(Measures.Training))
        {
            words.AddRange(["--epochs", I(o.Epochs), "--batch-size", I(o.BatchSize), "--lr", .. rates.Select(N), "--momentum", N(o.Momentum), "--weight-decay", N(o.WeightDecay), "--schedule", o.Schedule.ToString()]);
            if (o.Augment) words.Add("--augment");
        }
        words.AddRange(["--init", request.Init.ToString()]);
        if (data is not null)
        {
            if (o.Subset is { } n) words.AddRange(["--subset", I(n)]);
            words.AddRange(["--validation", N(validation), "--test-subset", I(data.Test.Count)]);
        }
        words.AddRange(["--seeds", .. seeds.Select(I)]);
        words.AddRange(["--threads", I(request.Threads)]);
        if (request.Only is { } only) words.AddRange(["--only", only]);
        return Escape.ShellCommand(words);
    }

    /// <summary>
    /// Makes sure <paramref name="output"/> can take the report: creates it, checks it is writable, and refuses a folder that
    /// already holds a finished report (unless resuming, which continues from its checkpoints).
    /// </summary>
    static void PrepareOutput(string output, bool resume)
    {
        if (File.Exists(output)) throw new UsageException($"--output '{output}' is a file; give a folder");
        if (!resume && new[] { "index.html", "results.json", "checkpoints" }.Any(f => Path.Exists(Path.Combine(output, f))))
            throw new UsageException($"'{output}' already holds a run (report, results.json or checkpoints); choose another --output, or pass --resume to continue that run");
        try
        {
            Directory.CreateDirectory(output);
            var probe = Path.Combine(output, $".write-test-{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot write to the output folder '{output}' ({e.Message}); choose a writable --output");
        }
    }

    static Dictionary<string, string> Versions()
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        return new Dictionary<string, string>
        {
            ["NetDsl"] = typeof(VariantInfo).Assembly.GetName().Version?.ToString() ?? "?",
            ["TorchSharp"] = typeof(torch).Assembly.GetName().Version?.ToString() ?? "?",
            [".NET"] = RuntimeInformation.FrameworkDescription,
            ["OS"] = RuntimeInformation.OSDescription,
            ["CPU"] = $"{cpu ?? RuntimeInformation.ProcessArchitecture.ToString()}, {Environment.ProcessorCount} logical cores",
        };
    }
}
