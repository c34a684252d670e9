using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using NetDsl.Experiments.Data;
using NetDsl.Experiments;
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
    /// report. Prints progress, the headline and where the report is. Returns the exit code: 0, 1 when a job failed (the
    /// report lists it), <see cref="Interrupted"/> when stopped.
    /// </summary>
    /// <exception cref="UsageException">Unknown experiment or preset, bad numbers, missing or corrupt data, an output folder that is
    /// not writable or already holds another run, Slurm that cannot be reached.</exception>
    public static int Run(CompareRequest request)
    {
        var (spec, settings, data) = Plan(request);
        var experiment = spec.Experiment;
        var jobs = spec.Jobs();
        var rates = spec.LearningRates;
        var threads = settings.Threads;
        var summary = $"{experiment.Name} ({spec.Preset.Name}): {Plural(experiment.VariantsOf(spec.Preset).Count, "variant")} x {Plural(spec.Seeds.Count, "seed")}" +
                      (rates.Count > 0 ? $" x {Plural(rates.Count, "learning rate")} ({string.Join(", ", rates.Select(r => r.ToString(Inv)))})" : "") + $" = {Plural(jobs.Count, "job")}" +
                      $"; init {spec.Init}; " +
                      (data is null ? "no data needed" : Invariant($"{settings.TrainImages:N0} training / {settings.ValidationImages:N0} validation / {settings.TestImages:N0} test images from {data.Folder} ({data.Origin})")) +
                      $"; {Plural(threads, "thread")} per job";
        if (request.DryRun) return DryRun(spec, settings, summary, data, request);

        var output = Path.GetFullPath(request.Output ?? Path.Combine("reports", $"{experiment.Name}-{DateTime.Now.ToString("yyyyMMdd-HHmmss", Inv)}"));
        PrepareOutput(output, request.Resume);
        var sweep = OpenOrCreate(output, RunPlan.Create(spec, settings), request.Resume);

        if (request.Slurm is { } slurm)
        {
            Console.WriteLine($"{summary}; run folder {output}");
            if (settings.BatchNote is { } slurmNote) Console.WriteLine($"note: {slurmNote}");
            return SweepCommands.Submit(sweep, null, slurm, announce: true);
        }

        Console.WriteLine(Invariant($"{summary}{(request.Jobs > 1 ? $", {request.Jobs} jobs at once" : "")}; report in {output}"));
        if (settings.BatchNote is { } note) Console.WriteLine($"note: {note}");
        using var stop = new StopSignal(reason => Console.Error.WriteLine(
            $"\n{reason}: stopping after the current training step (Ctrl+C again quits at once); finished epochs stay in {sweep.CheckpointsFolder}"));
        var outcomes = new List<JobOutcome>();
        void Execute(IRunProgress progress)
        {
            var keys = sweep.Resolve().Keys;
            var todo = new List<PlannedJob>();
            foreach (var job in sweep.Plan.Jobs)
            {
                if (sweep.ReadShard(job, out _) is { State: ShardState.Done, Result: { } done }) progress.End(keys[job.Id], done);
                else todo.Add(job);
            }
            if (request.Jobs > 1)
            {
                outcomes.AddRange(LocalJobs.Run(sweep, todo, request.Jobs, progress, stop));
                return;
            }
            torch.set_num_threads(threads);
            foreach (var job in todo)
            {
                if (stop.Requested) break;
                var outcome = sweep.Execute(job, progress, () => stop.Requested, data);
                if (outcome.Kind is JobOutcomeKind.Failed or JobOutcomeKind.Interrupted) progress.Failed(keys[job.Id], outcome.Detail);
                outcomes.Add(outcome);
            }
        }
        if (!request.Plain && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive)
        {
            // More bars than a terminal has rows scroll badly: with many jobs, finished bars make room (the summary at the end lists every variant).
            AnsiConsole.Progress().AutoClear(false).HideCompleted(jobs.Count > Math.Max(8, Console.WindowHeight - 6))
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = 12 }, new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx => Execute(new BarProgress(ctx, jobs)));
        }
        else
        {
            Execute(new LineProgress());
        }

        if (stop.Requested)
        {
            var states = JobStates.Of(sweep, null);
            Console.Error.WriteLine($"interrupted ({JobStates.Count(states)}): continue with the same command and --resume (each job continues from its checkpoint); " +
                                    $"`netdsl report {Slurm.Quote(output)}` writes a report of the finished jobs now");
            return Interrupted;
        }
        return SweepCommands.Report(sweep, output, headline: true);
    }

    static int DryRun(RunSpec spec, RunSettings settings, string summary, Dataset? data, CompareRequest request)
    {
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

    /// <summary>
    /// Validates the request and makes the run's spec and settings (threads per job, data checksum, the reproducing command line);
    /// loads the data when the experiment needs it.
    /// </summary>
    static (RunSpec Spec, RunSettings Settings, Dataset? Data) Plan(CompareRequest request)
    {
        var experiment = UserExperiment(request) ?? Catalog.Find(request.Experiment)
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
        if (request.Momentum is < 0 or >= 1) throw new UsageException($"--momentum must be in [0, 1) (got {request.Momentum.ToString(Inv)})");
        if (request.WeightDecay < 0) throw new UsageException($"--weight-decay must not be negative (got {request.WeightDecay.ToString(Inv)})");
        if (request.Jobs < 1) throw new UsageException(Invariant($"--jobs must be at least 1 (got {request.Jobs})"));
        if (request.Slurm is not null && request.Jobs > 1) throw new UsageException("--jobs runs jobs on this machine and --slurm on the cluster; give one of them (Slurm's --max-running limits tasks at once)");
        if (request.Slurm is { CpusPerTask: < 1 }) throw new UsageException(Invariant($"--cpus-per-task must be at least 1 (got {request.Slurm.CpusPerTask})"));
        // Threads per job: the plan fixes them (results depend on the thread count), so every backend runs the same numbers.
        var threads = request.Threads ?? (request.Slurm is { } slurm ? slurm.CpusPerTask ?? 1 : Math.Max(1, Environment.ProcessorCount / request.Jobs));
        if (threads < 1) throw new UsageException(Invariant($"--threads must be at least 1 (got {threads})"));
        if (request.Slurm is null && threads > Environment.ProcessorCount)
            throw new UsageException(Invariant($"--threads {threads} is more than this machine's {Environment.ProcessorCount} cores; LibTorch only slows down with more threads than cores"));
        if (request.Slurm is { CpusPerTask: { } cpus } && cpus < threads)
            throw new UsageException(Invariant($"--cpus-per-task {cpus} is fewer than --threads {threads}; each task needs a core per thread"));
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
        var kind = ImageDataset.Find(request.Dataset)
            ?? throw new UsageException($"unknown dataset '{request.Dataset}'; choose one of: {string.Join(", ", ImageDataset.All.Select(d => d.Name))}");
        if (RunPlan.NeedsData(experiment.What))
        {
            // The data's shape sets the networks' [Input]: known before reading for the official datasets (refused before loading
            // them), read from the files for a user's data.
            var builtIn = experiment.Origin is null;
            CheckFit(experiment.VariantsOf(preset), kind.Fit, builtIn);
            try { data = FashionMnist.Load(request.Data, kind); }
            catch (Exception e) when (e is IOException or InvalidDataException) { throw new UsageException(e.Message); }
            CheckFit(experiment.VariantsOf(preset), data.Fit, builtIn);
            // Jobs may run in other processes and on other machines: they find the data by its absolute path.
            data = data with { Test = data.Test.Take(request.TestSubset ?? preset.TestSubset), Folder = Path.GetFullPath(data.Folder) };
            var available = data.Train.Take(request.Subset ?? preset.Subset).Count;
            if (Math.Round(validation * available) < 1 || available - Math.Round(validation * available) < 2)
                throw new UsageException(Invariant($"--subset {available} with --validation {validation} leaves no validation image or fewer than 2 training images; use more images"));
        }

        var options = new TrainingOptions
        {
            Epochs = training ? epochs : 0,
            BatchSize = batchSize,
            LearningRate = rates.Length > 0 ? rates[0] : TrainingOptions.Default.LearningRate,
            Momentum = request.Momentum,
            WeightDecay = request.WeightDecay,
            Schedule = request.Schedule ?? preset.Schedule,
            Augment = request.Augment ?? preset.Augment,
            Subset = request.Subset ?? preset.Subset,
        };
        var spec = new RunSpec(experiment, preset, options, seeds, rates, request.Init, validation);
        var firstSplit = new Runner(spec, data, "").DataOf(seeds[0]);
        var settings = new RunSettings
        {
            Epochs = options.Epochs,
            BatchSize = options.BatchSize,
            LearningRates = rates.ToList(),
            Momentum = options.Momentum,
            WeightDecay = options.WeightDecay,
            Schedule = options.Schedule.ToString(),
            BatchNote = training && firstSplit is { } first ? Trainer.LastBatchNote(first.Split.Train.Count, batchSize) : null,
            Dataset = kind.Name,
            ClassNames = (data?.ClassNames ?? kind.ClassNames).ToList(),
            ImageShape = (data?.Shape ?? kind.Shape ?? []).Select(d => (int)d).ToList(),
            Augment = options.Augment,
            Init = request.Init.ToString(),
            InitDescription = Initialization.Describe(request.Init),
            ValidationFraction = validation,
            Seeds = seeds.ToList(),
            Threads = threads,
            OmpWaitPolicy = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "(unset)",
            DataFolder = data?.Folder ?? "(none: no data needed)",
            DataOrigin = data?.Origin ?? "",
            DataSplit = data?.Split ?? "",
            TrainImages = firstSplit?.Split.Train.Count ?? 0,
            ValidationImages = firstSplit?.Split.Validation.Count ?? 0,
            TestImages = data?.Test.Count ?? 0,
            Subset = options.Subset,
            MeasureEvery = preset.MeasureEvery,
            SlicePoints = preset.SlicePoints,
            DataSha256 = data is null ? "" : RunPlan.Checksum(data, options.Subset),
            Versions = Versions(),
        };
        settings.CommandLine = Reproduction(experiment, preset, options, rates, seeds, request, validation, data, threads);
        return (spec, settings, data);
    }

    /// <summary>Refuses the first variant that does not take <paramref name="fit"/>'s images or give its classes (nothing with a null fit).</summary>
    /// <exception cref="UsageException">The message names both shapes and the fix.</exception>
    static void CheckFit(IEnumerable<VariantInfo> variants, DataShape? fit, bool builtIn)
    {
        if (fit is null) return;
        foreach (var v in variants)
            if (fit.Problem(v, builtIn) is { } problem) throw new UsageException(problem);
    }

    /// <summary>The experiment over a user's network (<c>--assembly</c>, or <c>--project</c> built first), or null without either.</summary>
    /// <exception cref="UsageException">Both given, a missing or unloadable assembly, a project that does not build, no such network,
    /// or a network the data does not fit.</exception>
    internal static Experiment? UserExperiment(CompareRequest request)
    {
        if (request.Assembly is null && request.Project is null && request.Network is not null)
            throw new UsageException("--network picks a network of --assembly or --project; give one of them too");
        var fit = ImageDataset.Find(request.Dataset)?.Fit;
        return FromUserAssembly(request.Assembly, request.Project, path => UserNetworks.ExperimentOf(UserNetworks.Select(path, request.Network), path, fit));
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

    /// <summary>Writes the plan into <paramref name="output"/>, or with <paramref name="resume"/> opens the plan there, which must be
    /// the one the same options make now (a run is never continued with other settings).</summary>
    static Sweep OpenOrCreate(string output, RunPlan plan, bool resume)
    {
        if (resume && File.Exists(Path.Combine(output, RunPlan.FileName)))
        {
            Sweep existing;
            try { existing = Sweep.Open(output); }
            catch (InvalidDataException e) { throw new UsageException(e.Message); }
            if (existing.Plan.Difference(plan) is { } difference)
                throw new UsageException($"{Path.Combine(output, RunPlan.FileName)} was written by a run with other settings ({difference}); resume with the same options, or choose another --output");
            return existing;
        }
        try { return Sweep.Create(output, plan); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot write the plan to '{output}' ({e.Message}); choose a writable --output");
        }
    }

    static readonly System.Globalization.CultureInfo Inv = System.Globalization.CultureInfo.InvariantCulture;

    static string Plural(int n, string word) => Invariant($"{n} {word}{(n == 1 ? "" : "s")}");

    /// <summary>Every setting spelled out, so the command gives the same run on another machine (whatever its defaults or data search finds),
    /// each word quoted for a POSIX shell (a data folder or filter with spaces, quotes, <c>$</c>, <c>|</c> pastes as one argument).</summary>
    internal static string Reproduction(Experiment experiment, Preset preset, TrainingOptions o, double[] rates, int[] seeds, CompareRequest request, double validation, Dataset? data, int threads)
    {
        static string N(double x) => x.ToString(Inv);
        static string I(int x) => x.ToString(Inv);
        var words = experiment.Origin is { Kind: VariantSource.UserAssembly, Assembly: { } assembly, Network: { } network }
            ? new List<string> { "netdsl", "compare", "--assembly", assembly, "--network", network, "-p", preset.Name }
            : new List<string> { "netdsl", "compare", "-x", experiment.Name, "-p", preset.Name };
        if (data is not null && data.Kind != ImageDataset.FashionMnist) words.AddRange(["--dataset", data.Kind.Name]);
        if (data is not null) words.AddRange(["--data", data.Folder]);
        if (experiment.What.HasFlag(Measures.Training))
        {
            words.AddRange(["--epochs", I(o.Epochs), "--batch-size", I(o.BatchSize), "--lr", .. rates.Select(N), "--momentum", N(o.Momentum), "--weight-decay", N(o.WeightDecay), "--schedule", o.Schedule.ToString()]);
            if (o.Augment != preset.Augment) words.AddRange(["--augment", o.Augment ? "true" : "false"]);
        }
        words.AddRange(["--init", request.Init.ToString()]);
        if (data is not null)
        {
            if (o.Subset is { } n) words.AddRange(["--subset", I(n)]);
            words.AddRange(["--validation", N(validation), "--test-subset", I(data.Test.Count)]);
        }
        words.AddRange(["--seeds", .. seeds.Select(I)]);
        words.AddRange(["--threads", I(threads)]);
        if (request.Only is { } only) words.AddRange(["--only", only]);
        return Escape.ShellCommand(words);
    }

    /// <summary>
    /// Makes sure <paramref name="output"/> can take the run: creates it, checks it is writable, and refuses a folder that
    /// already holds a run (unless resuming, which continues it).
    /// </summary>
    static void PrepareOutput(string output, bool resume)
    {
        if (File.Exists(output)) throw new UsageException($"--output '{output}' is a file; give a folder");
        if (!resume && new[] { "index.html", "results.json", "checkpoints", RunPlan.FileName }.Any(f => Path.Exists(Path.Combine(output, f))))
            throw new UsageException($"'{output}' already holds a run (plan, report, results.json or checkpoints); choose another --output, or pass --resume to continue that run");
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
            ["NetDsl"] = RunPlan.ToolVersion,
            ["TorchSharp"] = typeof(torch).Assembly.GetName().Version?.ToString() ?? "?",
            [".NET"] = RuntimeInformation.FrameworkDescription,
            ["OS"] = RuntimeInformation.OSDescription,
            ["CPU"] = $"{cpu ?? RuntimeInformation.ProcessArchitecture.ToString()}, {Environment.ProcessorCount} logical cores",
        };
    }
}
