using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using NetDsl.Experiments.Data;
using NetDsl.Experiments;
using NetDsl.Experiments.Progress;
using NetDsl.Experiments.Reporting;
using NetDsl.Experiments.Results;
using NetDsl.Experiments.Sweeps;
using NetDsl.Experiments.Text;
using NetDsl.Experiments.Training;
using NetDsl.Measurements;
using Spectre.Console;
using TorchSharp;
using static System.FormattableString;

namespace NetDsl.Cli.Commands;

/// <summary>The options of <c>netdsl compare</c>, after parsing.</summary>
public sealed record CompareRequest
{
    /// <summary>Experiment name.</summary>
    public string Experiment { get; init; } = Catalog.Default;
    /// <summary>Preset: <c>quick</c> or <c>full</c>.</summary>
    public string Preset { get; init; } = "quick";
    /// <summary>Data folder, or null to search.</summary>
    public string? Data { get; init; }
    /// <summary>The dataset (<see cref="ImageDataset.Name"/>): <c>fashion-mnist</c> (default) or <c>mnist</c>.</summary>
    public string Dataset { get; init; } = ImageDataset.FashionMnist.Name;
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
    /// <summary>Schedule, or null for the preset's.</summary>
    public Schedule? Schedule { get; init; }
    /// <summary>Augmentation on or off, or null for the preset's.</summary>
    public bool? Augment { get; init; }
    /// <summary>Seeds, or null for the preset's.</summary>
    public int[]? Seeds { get; init; }
    /// <summary>LibTorch threads per job; null: the core count divided between <see cref="Jobs"/> (locally), the cores per task (Slurm).</summary>
    public int? Threads { get; init; }
    /// <summary>Jobs run at once on this machine (more than 1: in child processes).</summary>
    public int Jobs { get; init; } = 1;
    /// <summary>Submit the plan to Slurm with these options instead of running it here; null runs it here.</summary>
    public SlurmOptions? Slurm { get; init; }
    /// <summary>Print the plan's job count and estimated core-hours, and write nothing.</summary>
    public bool DryRun { get; init; }
    /// <summary>Report folder, or null for <c>reports/&lt;experiment&gt;-&lt;time&gt;</c>.</summary>
    public string? Output { get; init; }
    /// <summary>Training images, or null for the preset's.</summary>
    public int? Subset { get; init; }
    /// <summary>Continue the run in <see cref="Output"/> (its plan must be the one these options make).</summary>
    public bool Resume { get; init; }
    /// <summary>Only variants whose name contains this text (case-insensitive).</summary>
    public string? Only { get; init; }
    /// <summary>Progress as plain lines even on a terminal.</summary>
    public bool Plain { get; init; }
    /// <summary>A user's built assembly whose <c>[Network]</c> variants to compare instead of a built-in experiment, or null.</summary>
    public string? Assembly { get; init; }
    /// <summary>A user's project (.csproj) to build (Release) and take the assembly from, or null.</summary>
    public string? Project { get; init; }
    /// <summary>The network of <see cref="Assembly"/> or <see cref="Project"/> (full or short type name); null when it has one.</summary>
    public string? Network { get; init; }
}

/// <summary>
/// <c>netdsl compare</c>: plans an experiment as independent jobs (<c>plan.json</c>), then runs them here (in this process,
/// or <c>--jobs N</c> child processes) or submits them to Slurm (<c>--slurm</c>), and merges the finished jobs into the report.
/// </summary>
public static class CompareCommand
{
    /// <summary>Exit code when a stop signal (Ctrl+C, SIGTERM) interrupted the run: 128 + SIGINT, as shells report it.</summary>
    public const int Interrupted = 130;

    /// <summary>
    /// Validates <paramref name="request"/>, writes the plan, runs or submits its jobs and, when they ran here, writes the
    /// report: the tool's options turned into <see cref="ComparisonOptions"/> and run by <see cref="Comparison"/> (the library's
    /// public API), with <c>--jobs N</c> child processes and <c>--slurm</c> added here. Prints progress, the headline and where
    /// the report is. Returns the exit code: 0, 1 when a job failed (the report lists it), <see cref="Interrupted"/> when stopped.
    /// </summary>
    /// <exception cref="UsageException">Unknown experiment or preset, bad numbers, missing or corrupt data, an output folder that is
    /// not writable or already holds another run, Slurm that cannot be reached.</exception>
    public static int Run(CompareRequest request)
    {
        var comparison = Plan(request);
        if (request.DryRun) return DryRun(comparison);

        if (request.Slurm is { } slurm)
        {
            var sweep = comparison.CreateRunFolder();
            Console.WriteLine($"{comparison.Summary}; run folder {comparison.Folder}");
            if (comparison.Settings.BatchNote is { } slurmNote) Console.WriteLine($"note: {slurmNote}");
            return SweepCommands.Submit(sweep, null, slurm, announce: true);
        }
        return comparison.Run().Status switch
        {
            ComparisonStatus.Interrupted => Interrupted,
            ComparisonStatus.JobsFailed => 1,
            _ => 0,
        };
    }

    static int DryRun(Comparison comparison)
    {
        var (spec, settings, data, summary) = (comparison.Spec, comparison.Settings, comparison.Data, comparison.Summary);
        Console.WriteLine($"dry run, nothing written: {summary}");
        var o = spec.Options;
        if (!spec.Experiment.What.HasFlag(Measures.Training))
        {
            Console.WriteLine($"{Plural(spec.Jobs().Count, "job")}, no training: seconds each");
            return 0;
        }
        var steps = (settings.TrainImages + o.BatchSize - 1) / o.BatchSize;
        var evaluated = settings.ValidationImages + settings.TestImages;
        if (data?.Origin == "bundled test split" && o.Subset is null)
            Console.WriteLine($"note: only the bundled {data.Train.Count:N0}-image split was found; with all of Fashion-MNIST (`netdsl data fetch fashion-mnist`, Debian's dataset-fashion-mnist, or --data) each job trains on 54,000 images, about {60_000.0 / data.Train.Count:F1}x longer");
        var load = Estimate.LoadAverage();
        Console.WriteLine($"timing one training step of each variant here: batch {o.BatchSize}, {Plural(settings.Threads, "thread")}, {Environment.ProcessorCount} cores" +
                          (load is { } l ? string.Create(Inv, $", load average {l:F1} (timings under load are slower than on an idle machine)") : ""));
        var costs = Estimate.Measure(spec, settings.Threads, settings.TrainImages, evaluated, line => Console.WriteLine(line));
        // Plain aligned columns (the same in a terminal, a log or a pipe).
        var width = costs.Max(c => c.Variant.Length);
        Console.WriteLine($"  {"variant".PadRight(width)}  {"step",9}  {"per job",9}  {"jobs",4}  {"core-hours",10}");
        foreach (var c in costs)
            Console.WriteLine($"  {c.Variant.PadRight(width)}  {string.Create(Inv, $"{c.StepSeconds:F3} s"),9}  {Estimate.Duration(c.JobSeconds),9}  {c.Jobs,4}  {c.CoreHours.ToString("N1", Inv),10}");
        var total = costs.Sum(c => c.CoreHours);
        var longest = costs.Max(c => c.JobSeconds);
        Console.WriteLine(string.Create(Inv, $"total: {Plural(spec.Jobs().Count, "job")}, {o.Epochs} epoch(s) of {steps:N0} steps (batch {o.BatchSize}) and {evaluated:N0} evaluated images each: about {total:N1} core-hours") +
                          $" ({Estimate.Duration(total * 3600 / Environment.ProcessorCount)} on this machine's {Environment.ProcessorCount} cores; the longest job {Estimate.Duration(longest)} on {Plural(settings.Threads, "thread")}, the least a cluster needs with every job running at once)");
        Console.WriteLine("not counted: measurements at initialization and between steps (Santurkar et al.'s, the loss slice), data loading, and other work on a busy machine");
        return 0;
    }

    /// <summary>How the library's messages name <see cref="ComparisonOptions"/>' properties on this command line.</summary>
    static readonly Dictionary<string, string> OptionNames = new()
    {
        [nameof(ComparisonOptions.Epochs)] = "--epochs",
        [nameof(ComparisonOptions.BatchSize)] = "--batch-size",
        [nameof(ComparisonOptions.LearningRates)] = "--lr",
        [nameof(ComparisonOptions.ValidationFraction)] = "--validation",
        [nameof(ComparisonOptions.Init)] = "--init",
        [nameof(ComparisonOptions.TestSubset)] = "--test-subset",
        [nameof(ComparisonOptions.Momentum)] = "--momentum",
        [nameof(ComparisonOptions.WeightDecay)] = "--weight-decay",
        [nameof(ComparisonOptions.Threads)] = "--threads",
        [nameof(ComparisonOptions.Output)] = "--output",
        [nameof(ComparisonOptions.TrainingSubset)] = "--subset",
        [nameof(ComparisonOptions.Seeds)] = "--seeds",
        [nameof(ComparisonOptions.Variants)] = "--only",
    };

    /// <summary>
    /// Turns the request into the library's options (the experiment's preset with every option given on the command line) and
    /// plans the run: validates, loads the data when the experiment needs it, and sets the command line that reproduces the run.
    /// </summary>
    internal static Comparison Plan(CompareRequest request)
    {
        var experiment = UserExperiment(request) ?? Catalog.Find(request.Experiment)
            ?? throw new UsageException($"unknown experiment '{request.Experiment}'; choose one of: {string.Join(", ", Catalog.All.Select(e => e.Name))} (see `netdsl list`)");
        var preset = experiment.PresetNamed(request.Preset.ToLowerInvariant())
            ?? throw new UsageException($"unknown preset '{request.Preset}'; use --preset quick or --preset full");
        if (request.Jobs < 1) throw new UsageException(Invariant($"--jobs must be at least 1 (got {request.Jobs})"));
        if (request.Slurm is not null && request.Jobs > 1) throw new UsageException("--jobs runs jobs on this machine and --slurm on the cluster; give one of them (Slurm's --max-running limits tasks at once)");
        if (request.Slurm is { CpusPerTask: < 1 }) throw new UsageException(Invariant($"--cpus-per-task must be at least 1 (got {request.Slurm.CpusPerTask})"));
        // Threads per job: the plan fixes them (results depend on the thread count), so every backend runs the same numbers.
        var threads = request.Threads ?? (request.Slurm is { } slurm ? slurm.CpusPerTask ?? 1 : Math.Max(1, Environment.ProcessorCount / request.Jobs));
        if (request.Slurm is { CpusPerTask: { } cpus } && cpus < threads)
            throw new UsageException(Invariant($"--cpus-per-task {cpus} is fewer than --threads {threads}; each task needs a core per thread"));
        // (Experiments without data have a subset of 0 in their presets: only a given --subset is checked here.)
        if (request.Subset is < 1) throw new UsageException(Invariant($"--subset must be at least 1 (got {request.Subset})"));
        if (request.Only is { } filter)
        {
            var all = experiment.VariantsOf(preset);
            var inner = preset.Include;
            preset = preset with { Include = v => inner(v) && v.Name.Contains(filter, StringComparison.OrdinalIgnoreCase) };
            if (experiment.VariantsOf(preset).Count == 0)
                throw new UsageException($"--only '{filter}' matches none of {experiment.Name}'s variants: {string.Join(", ", all.Select(v => v.Name))}");
        }
        var kind = ImageDataset.Find(request.Dataset)
            ?? throw new UsageException($"unknown dataset '{request.Dataset}'; choose one of: {string.Join(", ", ImageDataset.All.Select(d => d.Name))}");
        var defaults = ComparisonOptions.For(experiment, preset);
        var options = defaults with
        {
            // The experiments' descriptions name the default dataset; a run on another says the one it uses.
            Description = kind == ImageDataset.FashionMnist ? defaults.Description : defaults.Description?.Replace("Fashion-MNIST", kind.Title, StringComparison.Ordinal),
            DataFolder = request.Data,
            DataKind = kind,
            Epochs = request.Epochs ?? preset.Epochs,
            BatchSize = request.BatchSize ?? preset.BatchSize,
            LearningRates = request.LearningRates is { Length: > 0 } lrs ? lrs : preset.LearningRates,
            Seeds = request.Seeds is { Length: > 0 } s ? s : preset.Seeds,
            ValidationFraction = request.ValidationFraction ?? ValidationSplit.DefaultFraction,
            Init = request.Init,
            Momentum = request.Momentum,
            WeightDecay = request.WeightDecay,
            Schedule = request.Schedule ?? preset.Schedule,
            Augment = request.Augment ?? preset.Augment,
            TrainingSubset = request.Subset ?? preset.Subset,
            TestSubset = request.TestSubset ?? preset.TestSubset,
            Threads = threads,
            Output = request.Output,
            Resume = request.Resume,
            Progress = request.Plain ? ProgressDisplay.Lines : ProgressDisplay.Auto,
            OptionNames = OptionNames,
            ChildProcesses = request.Jobs,
            RunsElsewhere = request.Slurm is not null,
        };
        var comparison = new Comparison(options);
        comparison.Settings.CommandLine = Reproduction(experiment, preset, comparison, request);
        return comparison;
    }

    /// <summary>The experiment over a user's network (<c>--assembly</c>, or <c>--project</c> built first), or null without either.</summary>
    /// <exception cref="UsageException">Both given, a missing or unloadable assembly, a project that does not build, no such network,
    /// or a network the data does not fit.</exception>
    internal static Experiment? UserExperiment(CompareRequest request)
    {
        if (request.Assembly is null && request.Project is null && request.Network is not null)
            throw new UsageException("--network picks a network of --assembly or --project; give one of them too");
        return FromUserAssembly(request.Assembly, request.Project, path => UserNetworks.ExperimentOf(UserNetworks.Select(path, request.Network), path));
    }

    /// <summary>
    /// What <paramref name="read"/> makes of a user's assembly (<c>--assembly</c>, or <c>--project</c> built first), or null without
    /// either: the one place the user-network options of <c>compare</c>, <c>list</c> and <c>export</c> are checked and turned into an assembly.
    /// </summary>
    /// <exception cref="UsageException">Both given, a missing or unloadable assembly, a project that does not build, or what
    /// <paramref name="read"/> refuses (<see cref="FileNotFoundException"/>, <see cref="InvalidDataException"/>).</exception>
    internal static T? FromUserAssembly<T>(string? assembly, string? project, Func<string, T> read) where T : class
    {
        if (assembly is null && project is null) return null;
        if (assembly is not null && project is not null) throw new UsageException("--assembly and --project both name your networks; give one of them");
        try { return read(assembly ?? UserNetworks.Build(project!, Console.Out)); }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException) { throw new UsageException(e.Message); }
    }

    static readonly System.Globalization.CultureInfo Inv = System.Globalization.CultureInfo.InvariantCulture;

    static string Plural(int n, string word) => Invariant($"{n} {word}{(n == 1 ? "" : "s")}");

    /// <summary>Every setting spelled out, so the command gives the same run on another machine (whatever its defaults or data search finds),
    /// each word quoted for a POSIX shell (a data folder or filter with spaces, quotes, <c>$</c>, <c>|</c> pastes as one argument).</summary>
    internal static string Reproduction(Experiment experiment, Preset preset, Comparison comparison, CompareRequest request)
    {
        static string N(double x) => x.ToString(Inv);
        static string I(int x) => x.ToString(Inv);
        var s = comparison.Settings;
        var data = comparison.Data;
        var words = experiment.Origin is { Kind: VariantSource.UserAssembly, Assembly: { } assembly, Network: { } network }
            ? new List<string> { "netdsl", "compare", "--assembly", assembly, "--network", network, "-p", preset.Name }
            : new List<string> { "netdsl", "compare", "-x", experiment.Name, "-p", preset.Name };
        if (data is not null && data.Kind != ImageDataset.FashionMnist) words.AddRange(["--dataset", data.Kind.Name]);
        if (data is not null) words.AddRange(["--data", data.Folder]);
        if (experiment.What.HasFlag(Measures.Training))
        {
            words.AddRange(["--epochs", I(s.Epochs), "--batch-size", I(s.BatchSize), "--lr", .. s.LearningRates.Select(N), "--momentum", N(s.Momentum), "--weight-decay", N(s.WeightDecay), "--schedule", s.Schedule]);
            if (s.Augment != preset.Augment) words.AddRange(["--augment", s.Augment ? "true" : "false"]);
        }
        words.AddRange(["--init", request.Init.ToString()]);
        if (data is not null)
        {
            if (s.Subset is { } n) words.AddRange(["--subset", I(n)]);
            words.AddRange(["--validation", N(s.ValidationFraction), "--test-subset", I(data.Test.Count)]);
        }
        words.AddRange(["--seeds", .. s.Seeds.Select(I)]);
        words.AddRange(["--threads", I(s.Threads)]);
        if (request.Only is { } only) words.AddRange(["--only", only]);
        return Escape.ShellCommand(words);
    }
}
