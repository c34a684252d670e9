using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using NetDsl.Experiments.Analysis;
using NetDsl.Experiments.Data;
using NetDsl.Experiments.Progress;
using NetDsl.Experiments.Reporting;
using NetDsl.Experiments.Results;
using NetDsl.Experiments.Sweeps;
using NetDsl.Experiments.Text;
using NetDsl.Experiments.Training;
using NetDsl.Instrumentation;
using NetDsl.Measurements;
using Spectre.Console;
using TorchSharp;
using static System.FormattableString;

namespace NetDsl.Experiments;

/// <summary>How a <see cref="Comparison"/> run ended.</summary>
public enum ComparisonStatus
{
    /// <summary>Every job finished; the report is written.</summary>
    Completed,
    /// <summary>Some job failed (its error is in its result file and the report lists it); the report of the others is written.</summary>
    JobsFailed,
    /// <summary>A stop (Ctrl+C, SIGTERM, the cancellation token) ended it after a step with a checkpoint; no report. Run again with
    /// <see cref="ComparisonOptions.Resume"/> to continue.</summary>
    Interrupted,
}

/// <summary>A variant's line of the ranking: the learning rate and epochs chosen on validation, and the test accuracy there.</summary>
/// <param name="Variant">The variant's name.</param>
/// <param name="Trained">Whether any rate trained it (mean validation accuracy above <see cref="Selection.TrainedThreshold"/>).</param>
/// <param name="LearningRate">The rate chosen on validation.</param>
/// <param name="ValidationAccuracy">Mean over seeds of the validation accuracy at each seed's chosen epoch, 0 to 1.</param>
/// <param name="TestAccuracy">Mean, sd and 95% Student-t interval over seeds of the test accuracy at those epochs, 0 to 1.</param>
public sealed record RankedVariant(string Variant, bool Trained, double LearningRate, double ValidationAccuracy, Summary TestAccuracy);

/// <summary>What <see cref="Comparison.Run(CancellationToken)"/> came to: the run folder, the report, every number.</summary>
public sealed class ComparisonResult
{
    internal ComparisonResult(ComparisonStatus status, string folder, RunResults? results, IReadOnlyList<string> headline)
    {
        Status = status;
        Folder = folder;
        Results = results;
        Headline = headline;
        Ranking = results is null ? [] : Rank(results);
    }

    /// <summary>How the run ended.</summary>
    public ComparisonStatus Status { get; }

    /// <summary>The run folder (absolute): <c>plan.json</c>, <c>jobs/</c>, <c>checkpoints/</c> and the report.</summary>
    public string Folder { get; }

    /// <summary>The report's HTML page (<c>index.html</c>; <c>report.md</c> beside it), or null when the run was interrupted.</summary>
    public string? ReportPath => Results is null ? null : Path.Combine(Folder, "index.html");

    /// <summary><c>results.json</c>, or null when the run was interrupted.</summary>
    public string? ResultsPath => Results is null ? null : Path.Combine(Folder, "results.json");

    /// <summary>Everything measured (what <c>results.json</c> holds), or null when the run was interrupted.</summary>
    public RunResults? Results { get; }

    /// <summary>The headline as printed: variants ranked on validation with their test accuracy and 95% interval, and the best one
    /// against each other with Welch's interval of the difference ("not distinguishable" when it contains 0).</summary>
    public IReadOnlyList<string> Headline { get; }

    /// <summary>The trained variants ranked on validation accuracy (as the headline and report), then the ones no rate trained.</summary>
    public IReadOnlyList<RankedVariant> Ranking { get; }

    static List<RankedVariant> Rank(RunResults results) => results.Variants
        .Select(v => (v.Name, Sel: v.Selection ?? Selection.Select(v.Jobs)))
        .Where(x => x.Sel is not null)
        .Select(x => new RankedVariant(x.Name, x.Sel!.Trained, x.Sel.LearningRate, x.Sel.Epochs.Select(e => e.ValidationAccuracy).DefaultIfEmpty(0).Average(),
            Statistics.Summarize(x.Sel.Epochs.Select(e => e.TestAccuracy))))
        .OrderByDescending(r => r.Trained).ThenByDescending(r => r.ValidationAccuracy).ToList();
}

/// <summary>
/// A comparison of network variants, as <c>netdsl compare</c> runs it, from code: every variant x seed x learning rate is an
/// independent, resumable job (<c>plan.json</c>, <c>jobs/&lt;id&gt;.json</c>, <c>checkpoints/&lt;id&gt;.ckpt</c>); each job trains with
/// SGD, evaluates validation and test after every epoch and takes the measurements asked for; selection (epoch, rate) reads
/// validation only; the report (<c>index.html</c>, <c>report.md</c>, plots, CSV, <c>results.json</c>) gives test accuracy with
/// 95% intervals over seeds and Welch intervals of every difference. Jobs run in this process, one after another, with
/// <see cref="ComparisonOptions.Threads"/> LibTorch threads (the tool's <c>--jobs N</c> child processes and <c>--slurm</c> stay in
/// <c>netdsl</c>; <c>netdsl report</c> and <c>netdsl status</c> read a folder this class wrote). The same options, seed and
/// thread count give the same numbers as <c>netdsl compare</c>.
/// </summary>
/// <remarks>Start the process with <c>OMP_WAIT_POLICY=PASSIVE</c> in its environment on Linux (LibTorch's OpenMP spin-waits
/// otherwise, which collapses when another process shares the cores).</remarks>
public sealed class Comparison
{
    static readonly System.Globalization.CultureInfo Inv = System.Globalization.CultureInfo.InvariantCulture;

    readonly RunSpec spec;
    readonly string output;

    /// <summary>
    /// Checks the options, loads the data (when <see cref="ComparisonOptions.Data"/> is null and the measurements need it) and plans
    /// the jobs; writes nothing.
    /// </summary>
    /// <exception cref="UsageException">No variants, duplicate or unusable variant names, a variant whose input or output does not
    /// fit the data, bad numbers (epochs, batch size, rates, seeds, fractions, threads, subsets), missing or corrupt data; the
    /// message names the option and the fix; a malformed <c>NETDSL_KEEP_FREED_MEMORY</c> (every job would fail on it).</exception>
    public Comparison(ComparisonOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        try { NetDsl.Native.TorchSharpRuntime.CheckEnvironment(); }
        catch (InvalidOperationException e) { throw new UsageException(e.Message); }
        Options = options;
        string N(string property) => options.NameOf(property);
        var variants = options.Variants ?? [];
        if (variants.Count == 0)
            throw new UsageException($"{N("Variants")} is empty; give the variants to compare (a generated registry such as MyNet.Variants.All, or ComparisonVariant.Of(name, () => new MyModule()))");
        var duplicates = variants.GroupBy(v => v.Name, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (duplicates.Count > 0)
            throw new UsageException($"{N("Variants")} names {string.Join(", ", duplicates)} more than once; each variant needs its own name (it names its jobs, checkpoints and report rows)");
        foreach (var v in variants)
            if (!ValidName(v.Name))
                throw new UsageException($"variant name '{v.Name}' cannot name files; use letters, digits, '.', '-' and '_'");
        var name = options.Name ?? SharedNetwork(variants) ?? "comparison";
        if (!ValidName(name)) throw new UsageException($"{N("Name")} '{name}' cannot name a folder; use letters, digits, '.', '-' and '_'");

        var what = options.Measures;
        var training = what.HasFlag(Measures.Training);
        var epochs = options.Epochs;
        if (training && epochs < 1) throw new UsageException(Invariant($"{N("Epochs")} must be at least 1 (got {epochs})"));
        var batchSize = options.BatchSize;
        var rates = training ? (options.LearningRates ?? []).ToArray() : [];
        if (training && rates.Length == 0) throw new UsageException($"{N("LearningRates")} is empty; give at least one learning rate (0.05 trains most networks here)");
        if (batchSize < 1) throw new UsageException(Invariant($"{N("BatchSize")} must be at least 1 (got {batchSize})"));
        foreach (var rate in rates)
        {
            if (!(rate > 0) || !double.IsFinite(rate)) throw new UsageException($"{N("LearningRates")} must be positive numbers (got {rate.ToString(Inv)})");
            // SGD updates in float32: a rate beyond 1e3 only overflows (no schedule here needs more than 1).
            if (rate > 1e3) throw new UsageException($"{N("LearningRates")} {rate.ToString(Inv)} is too large; use rates up to 1000 (the papers use 0.1)");
        }
        if (rates.Distinct().Count() != rates.Length) throw new UsageException($"{N("LearningRates")} has duplicates ({string.Join(" ", rates.Select(r => r.ToString(Inv)))}); give each rate once");
        var validation = options.ValidationFraction;
        if (!(validation > 0 && validation <= 0.5)) throw new UsageException($"{N("ValidationFraction")} must be a fraction in (0, 0.5] (got {validation.ToString(Inv)}); 0.1 holds out 10% of the training images");
        if (!Enum.IsDefined(options.Init)) throw new UsageException($"{N("Init")} must be one of {string.Join(", ", Enum.GetNames<InitScheme>())}");
        if (options.TestSubset is < 1) throw new UsageException(Invariant($"{N("TestSubset")} must be at least 1 (got {options.TestSubset})"));
        if (options.Momentum is < 0 or >= 1 || double.IsNaN(options.Momentum)) throw new UsageException($"{N("Momentum")} must be in [0, 1) (got {options.Momentum.ToString(Inv)})");
        if (!(options.WeightDecay >= 0)) throw new UsageException($"{N("WeightDecay")} must not be negative (got {options.WeightDecay.ToString(Inv)})");
        // Threads: the plan fixes them (results depend on the thread count), so every backend runs the same numbers.
        var threads = options.Threads ?? Environment.ProcessorCount;
        if (threads < 1) throw new UsageException(Invariant($"{N("Threads")} must be at least 1 (got {threads})"));
        if (!options.RunsElsewhere && threads > Environment.ProcessorCount)
            throw new UsageException(Invariant($"{N("Threads")} {threads} is more than this machine's {Environment.ProcessorCount} cores; LibTorch only slows down with more threads than cores"));
        if (options.Output is "") throw new UsageException($"{N("Output")} is empty; give a folder");
        if (RunPlan.NeedsData(what) && options.TrainingSubset is < 1) throw new UsageException(Invariant($"{N("TrainingSubset")} must be at least 1 (got {options.TrainingSubset})"));
        if (options.MeasureEvery < 1) throw new UsageException(Invariant($"{N("MeasureEvery")} must be at least 1 (got {options.MeasureEvery})"));
        if (options.SlicePoints < 2) throw new UsageException(Invariant($"{N("SlicePoints")} must be at least 2 (got {options.SlicePoints})"));
        var seeds = (options.Seeds ?? []).ToArray();
        if (seeds.Length == 0) throw new UsageException($"{N("Seeds")} is empty; give at least one seed (three give a confidence interval)");
        if (seeds.Distinct().Count() != seeds.Length) throw new UsageException($"{N("Seeds")} has duplicates ({string.Join(" ", seeds.Select(x => x.ToString(Inv)))}); give each seed once");
        if (!what.HasFlag(Measures.Shattering))
            foreach (var v in variants)
                if ((what.HasFlag(Measures.InitialGradients) || what.HasFlag(Measures.Activations)) && v.Summary.Layers.LastOrDefault()?.Name == "(output)" && !Instrumented(v))
                    throw new UsageException($"{v.Name} is not a NetDsl-generated network, and {N("Measures")} asks for probe measurements ({what & (Measures.InitialGradients | Measures.Activations)}), which need its tap points; leave them out (Measures = Measures.Training) or declare the network with NetDsl");

        Dataset? data = null;
        if (RunPlan.NeedsData(what))
        {
            // The data's shape sets the networks' [Input]: known before reading for the official datasets (refused before loading
            // them), read from the files for a user's data.
            var builtIn = options.Source is { Kind: VariantSource.BuiltIn };
            data = options.Data;
            if (data is null)
            {
                CheckShapes(variants, options.DataKind.Fit, builtIn, options.Source is null);
                try { data = FashionMnist.Load(options.DataFolder, options.DataKind); }
                catch (Exception e) when (e is IOException or InvalidDataException) { throw new UsageException(e.Message); }
            }
            // Jobs may run in other processes and on other machines: they find the data by its absolute path.
            data = data with { Test = data.Test.Take(options.TestSubset), Folder = Path.GetFullPath(data.Folder) };
            CheckShapes(variants, data.Fit, builtIn, options.Source is null);
            var available = data.Train.Take(options.TrainingSubset).Count;
            if (Math.Round(validation * available) < 1 || available - Math.Round(validation * available) < 2)
                throw new UsageException(Invariant($"{N("TrainingSubset")} {available} with {N("ValidationFraction")} {validation} leaves no validation image or fewer than 2 training images; use more images"));
        }

        var trainingOptions = new TrainingOptions
        {
            Epochs = training ? epochs : 0,
            BatchSize = batchSize,
            LearningRate = rates.Length > 0 ? rates[0] : TrainingOptions.Default.LearningRate,
            Momentum = options.Momentum,
            WeightDecay = options.WeightDecay,
            Schedule = options.Schedule,
            Augment = options.Augment,
            Subset = options.TrainingSubset,
        };
        var preset = new Preset(options.PresetName, _ => true, trainingOptions.Epochs, options.TrainingSubset, seeds, rates,
            MeasureEvery: options.MeasureEvery, SlicePoints: options.SlicePoints, BatchSize: batchSize, TestSubset: options.TestSubset,
            Schedule: options.Schedule, Augment: options.Augment);
        var dataTitle = data?.Kind.Title ?? "no data";
        var experiment = new Experiment(name, 0, options.Title ?? $"The variants of {name}",
            options.Description ?? $"{Plural(variants.Count, "variant")} ({string.Join(", ", variants.Select(v => v.Name))}) trained side by side on {dataTitle}, " +
                                   "with the learning rate and epoch of each chosen on validation" + (what.HasFlag(Measures.InitialGradients) ? ", and the gradient at initialization." : "."),
            variants.ToList(), what, preset, preset)
        {
            Origin = options.Source ?? new VariantSource(VariantSource.Program, name, Assembly: EntryAssembly()),
        };
        spec = new RunSpec(experiment, preset, trainingOptions, seeds, rates, options.Init, validation);
        var firstSplit = new Runner(spec, data, "").DataOf(seeds[0]);
        Data = data;
        Settings = new RunSettings
        {
            Epochs = trainingOptions.Epochs,
            BatchSize = trainingOptions.BatchSize,
            LearningRates = rates.ToList(),
            Momentum = trainingOptions.Momentum,
            WeightDecay = trainingOptions.WeightDecay,
            Schedule = trainingOptions.Schedule.ToString(),
            BatchNote = training && firstSplit is { } first ? Trainer.LastBatchNote(first.Split.Train.Count, batchSize) : null,
            Dataset = (data?.Kind ?? options.DataKind).Name,
            ClassNames = (data?.ClassNames ?? options.DataKind.ClassNames).ToList(),
            ImageShape = (data?.Shape ?? options.DataKind.Shape ?? []).Select(d => (int)d).ToList(),
            Augment = trainingOptions.Augment,
            Init = options.Init.ToString(),
            InitDescription = Initialization.Describe(options.Init),
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
            Subset = trainingOptions.Subset,
            MeasureEvery = preset.MeasureEvery,
            SlicePoints = preset.SlicePoints,
            DataSha256 = data is null ? "" : RunPlan.Checksum(data, trainingOptions.Subset),
            Versions = Versions(),
            // The tool replaces it with the netdsl command line that gives the same run.
            CommandLine = ThisCommandLine(),
        };
        output = Path.GetFullPath(options.Output ?? Path.Combine("reports", $"{name}-{DateTime.Now.ToString("yyyyMMdd-HHmmss", Inv)}"));
        var jobs = spec.Jobs();
        Summary = $"{name} ({preset.Name}): {Plural(variants.Count, "variant")} x {Plural(seeds.Length, "seed")}" +
                  (rates.Length > 0 ? $" x {Plural(rates.Length, "learning rate")} ({string.Join(", ", rates.Select(r => r.ToString(Inv)))})" : "") + $" = {Plural(jobs.Count, "job")}" +
                  $"; init {options.Init}; " +
                  (data is null ? "no data needed" : Invariant($"{Settings.TrainImages:N0} training / {Settings.ValidationImages:N0} validation / {Settings.TestImages:N0} test images from {data.Folder} ({data.Origin})")) +
                  $"; {Plural(threads, "thread")} per job";
    }

    /// <summary>The options the comparison was made with.</summary>
    public ComparisonOptions Options { get; }

    /// <summary>Every job, variant by variant, then seed, then learning rate: the plan.</summary>
    public IReadOnlyList<JobKey> Jobs => spec.Jobs();

    /// <summary>Every setting of the run, as <c>plan.json</c> and <c>results.json</c> record them.</summary>
    public RunSettings Settings { get; }

    /// <summary>The data the jobs read (test split cut to <see cref="ComparisonOptions.TestSubset"/>), or null when the measurements need none.</summary>
    public Dataset? Data { get; }

    /// <summary>The run folder (absolute): <see cref="ComparisonOptions.Output"/> or the default <c>reports/&lt;name&gt;-&lt;time&gt;</c>.</summary>
    public string Folder => output;

    /// <summary>The plan in one line: variants x seeds x rates = jobs, initialization, image counts and where the data came from, threads.</summary>
    public string Summary { get; }

    /// <summary>The run as the runner needs it.</summary>
    internal RunSpec Spec => spec;

    /// <summary>Plans, runs and reports in one call: <c>new Comparison(options).Run(cancellationToken)</c>.</summary>
    /// <exception cref="UsageException">As <see cref="Comparison(ComparisonOptions)"/> and <see cref="Run(CancellationToken)"/>.</exception>
    public static ComparisonResult Run(ComparisonOptions options, CancellationToken cancellationToken = default) =>
        new Comparison(options).Run(cancellationToken);

    /// <summary>
    /// Writes the plan into <see cref="Folder"/> (or, with <see cref="ComparisonOptions.Resume"/>, opens the plan there), runs every
    /// job that has no result yet in this process with progress, then merges the results into <c>results.json</c> and the report
    /// and writes the headline to <see cref="ComparisonOptions.Log"/>. A stop (<paramref name="cancellationToken"/>, or a signal
    /// with <see cref="ComparisonOptions.StopOnSignals"/>) ends the current job after its step with a checkpoint and returns
    /// <see cref="ComparisonStatus.Interrupted"/> without a report; running again with <see cref="ComparisonOptions.Resume"/>
    /// continues every job where it stopped, to the numbers of an uninterrupted run.
    /// </summary>
    /// <exception cref="UsageException">The folder is a file, not writable, or holds another run (without
    /// <see cref="ComparisonOptions.Resume"/>), or its plan was made with other settings (the message names the first one).</exception>
    public ComparisonResult Run(CancellationToken cancellationToken = default)
    {
        var log = Options.Log ?? Console.Out;
        var errors = Options.Log ?? Console.Error;
        var sweep = CreateRunFolder();
        log.WriteLine(Invariant($"{Summary}{(Options.ChildProcesses > 1 ? $", {Options.ChildProcesses} jobs at once" : "")}; report in {output}"));
        if (Settings.BatchNote is { } note) log.WriteLine($"note: {note}");
        using var signals = Options.StopOnSignals ? new StopSignal(reason => errors.WriteLine(
            $"\n{reason}: stopping after the current training step (Ctrl+C again quits at once); finished epochs stay in {sweep.CheckpointsFolder}")) : null;
        bool Stop() => signals?.Requested == true || cancellationToken.IsCancellationRequested;
        var jobs = spec.Jobs();
        void Execute(IRunProgress? progress)
        {
            var keys = sweep.Resolve().Keys;
            var todo = new List<PlannedJob>();
            foreach (var job in sweep.Plan.Jobs)
            {
                if (sweep.ReadShard(job, out _) is { State: ShardState.Done, Result: { } done }) progress?.End(keys[job.Id], done);
                else todo.Add(job);
            }
            if (Options.ChildProcesses > 1)
            {
                LocalJobs.Run(sweep, todo, Options.ChildProcesses, progress, Stop);
                return;
            }
            torch.set_num_threads(Settings.Threads);
            foreach (var job in todo)
            {
                if (Stop()) break;
                var outcome = sweep.Execute(job, progress, Stop, Data);
                if (outcome.Kind is JobOutcomeKind.Failed or JobOutcomeKind.Interrupted) progress?.Failed(keys[job.Id], outcome.Detail);
            }
        }
        if (Options.ProgressSink is { } sink) Execute(sink);
        else if (Options.Progress == ProgressDisplay.None) Execute(null);
        else if (Options.Progress == ProgressDisplay.Auto && Options.Log is null && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive)
        {
            // More bars than a terminal has rows scroll badly: with many jobs, finished bars make room (the headline lists every variant).
            AnsiConsole.Progress().AutoClear(false).HideCompleted(jobs.Count > Math.Max(8, Console.WindowHeight - 6))
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = 12 }, new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx => Execute(new BarProgress(ctx, jobs)));
        }
        else Execute(new LineProgress(Options.Log));

        if (Stop())
        {
            var states = JobStates.Of(sweep, null);
            errors.WriteLine($"interrupted ({JobStates.Count(states)}): continue with the same {(Options.OptionNames is null ? "options and Resume = true" : "command and --resume")} (each job continues from its checkpoint); " +
                             $"`netdsl report {Slurm.Quote(output)}` writes a report of the finished jobs now");
            return new ComparisonResult(ComparisonStatus.Interrupted, output, null, []);
        }
        return Report(sweep, output, headline: true, log);
    }

    /// <summary>
    /// Merges the run folder's finished jobs into <c>results.json</c> and the report in <paramref name="folder"/>, writes the
    /// headline (when asked), the jobs without a result and the report's path to <paramref name="log"/>.
    /// </summary>
    /// <exception cref="UsageException">No job has finished, or the report cannot be written.</exception>
    internal static ComparisonResult Report(Sweep sweep, string folder, bool headline, TextWriter log)
    {
        var queue = Slurm.Submissions(sweep).Count > 0 ? Slurm.Queue(sweep, out _) : null;
        var states = JobStates.Of(sweep, queue);
        RunResults results;
        try { results = Merge.Results(sweep, states); }
        catch (InvalidDataException e) { throw new UsageException(e.Message); }
        try { ReportWriter.Write(results, folder); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new UsageException($"cannot write the report to '{folder}' ({e.Message}); choose a writable --output"); }
        var lines = ReportWriter.Headline(results);
        if (headline)
            foreach (var line in lines) log.WriteLine(line);
        if (results.Incomplete.Count > 0)
        {
            log.WriteLine($"{results.Incomplete.Count} of {results.PlannedJobs} jobs have no result ({JobStates.Count(states.Where(s => s.State != JobState.Done))}); the report lists them:");
            foreach (var j in results.Incomplete.Take(10)) log.WriteLine($"  {j.Id}: {j.State}{(j.Detail.Length > 0 ? $" ({j.Detail})" : "")}");
            if (results.Incomplete.Count > 10) log.WriteLine($"  ... and {results.Incomplete.Count - 10} more (`netdsl status {Slurm.Quote(sweep.Folder)}`)");
        }
        log.WriteLine($"report: {Path.Combine(folder, "index.html")}");
        var failed = states.Any(s => s.State == JobState.Failed);
        return new ComparisonResult(failed ? ComparisonStatus.JobsFailed : ComparisonStatus.Completed, folder, results, lines);
    }

    /// <summary>
    /// Makes <see cref="Folder"/> ready and writes the plan there, or with <see cref="ComparisonOptions.Resume"/> opens the plan
    /// there, which must be the one these options make (a run is never continued with other settings).
    /// </summary>
    /// <exception cref="UsageException">See <see cref="Run(CancellationToken)"/>.</exception>
    internal Sweep CreateRunFolder()
    {
        string N(string property) => Options.NameOf(property);
        var resume = Options.Resume;
        var resumeHint = Options.OptionNames is null ? "set Resume = true" : "pass --resume";
        if (File.Exists(output)) throw new UsageException($"{N("Output")} '{output}' is a file; give a folder");
        if (!resume && new[] { "index.html", "results.json", "checkpoints", RunPlan.FileName }.Any(f => Path.Exists(Path.Combine(output, f))))
            throw new UsageException($"'{output}' already holds a run (plan, report, results.json or checkpoints); choose another {N("Output")}, or {resumeHint} to continue that run");
        try
        {
            Directory.CreateDirectory(output);
            var probe = Path.Combine(output, $".write-test-{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot write to the output folder '{output}' ({e.Message}); choose a writable {N("Output")}");
        }
        var plan = RunPlan.Create(spec, Settings);
        Sweep sweep;
        if (resume && File.Exists(Path.Combine(output, RunPlan.FileName)))
        {
            try { sweep = Sweep.Open(output); }
            catch (InvalidDataException e) { throw new UsageException(e.Message); }
            if (sweep.Plan.Difference(plan) is { } difference)
                throw new UsageException($"{Path.Combine(output, RunPlan.FileName)} was written by a run with other settings ({difference}); resume with the same options, or choose another {N("Output")}");
        }
        else
        {
            try { sweep = Sweep.Create(output, plan); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"cannot write the plan to '{output}' ({e.Message}); choose a writable {N("Output")}");
            }
        }
        // This process has the variants (a program's own may exist nowhere else): its jobs run from them.
        sweep.Provide(spec);
        sweep.Runner(Data).CheckpointEvery = Options.CheckpointEvery;
        return sweep;
    }

    /// <summary>The variants' input and output against the data (<see cref="DataShape.Problem"/>): its <c>[C, H, W]</c> images in, one
    /// logit per class out; nothing with a null <paramref name="fit"/> (a user's data before it is read).</summary>
    /// <exception cref="UsageException">The first variant that does not fit; the message names both shapes and the fix.</exception>
    static void CheckShapes(IReadOnlyList<VariantInfo> variants, DataShape? fit, bool builtIn, bool inCode)
    {
        if (fit is null) return;
        foreach (var v in variants)
            if (fit.Problem(v, builtIn) is { } problem)
                throw new UsageException(problem + (inCode && !builtIn && !v.Summary.InputShape.SequenceEqual(fit.Input) ? " (or give ComparisonVariant.Of that input shape)" : ""));
    }

    static bool Instrumented(VariantInfo v)
    {
        using var model = v.Create();
        return model is IInstrumented;
    }

    static bool ValidName(string name) =>
        name.Length > 0 && name.Length <= 200 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_') && name[0] != '.';

    /// <summary>The network name every variant starts with (<c>LabNet</c> of <c>LabNet.Plain.NoBn</c>), or null.</summary>
    static string? SharedNetwork(IReadOnlyList<VariantInfo> variants)
    {
        var first = variants[0].Name.Split('.')[0];
        return variants.All(v => v.Name.Split('.')[0] == first) ? first : null;
    }

    static string? EntryAssembly() => System.Reflection.Assembly.GetEntryAssembly()?.Location is { Length: > 0 } path ? path : null;

    /// <summary>This process's command line, quoted for a POSIX shell (<c>dotnet Lab.dll 300 1</c>): what reproduces a run made in code.</summary>
    static string ThisCommandLine()
    {
        var args = Environment.GetCommandLineArgs();
        var words = args.Length > 0 && args[0].EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? ["dotnet", .. args] : args;
        return Escape.ShellCommand(words);
    }

    static string Plural(int n, string word) => Invariant($"{n} {word}{(n == 1 ? "" : "s")}");

    internal static Dictionary<string, string> Versions()
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
