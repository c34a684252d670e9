using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.CommandLine.Invocation;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Runtime.InteropServices;
using NetDsl.Cli.Commands;
using NetDsl.Experiments.Data;
using NetDsl.Experiments;
using NetDsl.Experiments.Reporting;
using NetDsl.Experiments.Results;
using NetDsl.Experiments.Sweeps;
using NetDsl.Experiments.Training;
using NetDsl.Measurements;
using Spectre.Console;
using static System.FormattableString;

namespace NetDsl.Cli;

/// <summary>The <c>netdsl</c> command line: <c>list</c>, <c>summary</c>, <c>export</c>, <c>compare</c>, <c>report</c>, and over a run folder
/// <c>status</c>, <c>submit</c> and <c>job</c>.</summary>
public static class Program
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Exit code for a command-line mistake (bad option value, unknown name, missing data, unwritable output).</summary>
    public const int UsageError = 2;

    /// <summary>Entry point; returns 0 on success, <see cref="UsageError"/> on bad input, 1 on a failure while running.</summary>
    public static int Main(string[] args)
    {
        OpenMpDefaults();
        try { NetDsl.Native.TorchSharpRuntime.CheckEnvironment(); }
        catch (InvalidOperationException e)
        {
            // Else every job of a run would fail with it, after the run folder is written.
            Console.Error.WriteLine($"error: {e.Message}");
            return UsageError;
        }
        var root = Build();
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // One line: the error that names the input (an unknown word before "a command is required"), in words rather than
            // .NET type names, and where to look.
            var first = parse.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized command or argument", StringComparison.Ordinal)) ?? parse.Errors[0];
            Console.Error.WriteLine($"error: {Readable(first.Message)} (see `netdsl {(args.Length > 0 && root.Subcommands.Any(c => c.Name == args[0]) ? args[0] + " " : "")}--help`)");
            return UsageError;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return UsageError;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            // Checkpoints and files met while running: the message names the file and the fix.
            Console.Error.WriteLine($"error: {e.Message}");
            return UsageError;
        }
    }

    /// <summary>System.CommandLine's parse messages with the .NET type names replaced by what the user must type, on one line.</summary>
    internal static string Readable(string message)
    {
        // System.CommandLine lists choices on the lines after the first ("Must be one of:\n\t'quick'\n\t'full'"): keep them, on one line.
        var lines = message.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        var text = lines.Count == 0 ? "" : lines[0] + (lines.Count > 1 ? " " + string.Join(", ", lines.Skip(1)) : "");
        text = Regex.Replace(text, @"as expected type 'NetDsl\.Experiments\.Training\.Schedule'\.?.*", "as a schedule: use Cosine, Step or Constant");
        text = Regex.Replace(text, @"as expected type 'NetDsl\.Measurements\.InitScheme'\.?.*", "as an initialization: use HeFanIn, TorchvisionFanOut or PyTorchDefault");
        return text.TrimEnd('.');
    }

    /// <summary>The command tree (public for tests of the parsing).</summary>
    public static RootCommand Build()
    {
        var root = new RootCommand("netdsl: train and measure NetDsl network variants side by side on Fashion-MNIST, and write a report with plots.");
        root.Subcommands.Add(ListCommand());
        root.Subcommands.Add(SummaryCommand());
        root.Subcommands.Add(ExportCommand.Build());
        root.Subcommands.Add(CompareCommandLine());
        root.Subcommands.Add(ReportCommand());
        root.Subcommands.Add(DataCommand());
        root.Subcommands.Add(StatusCommand());
        root.Subcommands.Add(SubmitCommand());
        root.Subcommands.Add(JobCommand());
        InvariantNumbers.Apply(root);
        return root;
    }

    static Command DataCommand()
    {
        var name = new Argument<string>("dataset") { Description = $"The dataset: {string.Join(", ", Fetch.All.Select(d => d.Name))}." };
        var to = new Option<string?>("--to") { Description = $"Folder to put the files in. Default: {Fetch.DefaultFolder("<dataset>")}, where compare finds it." };
        var mirror = new Option<string?>("--mirror") { Description = "Base URL of a mirror serving the same files (checked against the same published checksums). Default: the official location." };
        var fetch = new Command("fetch", "Download a dataset's official files, check their published checksums and that they read, then put them in place (nothing is left behind on failure).")
        {
            name, to, mirror,
        };
        fetch.SetAction(parse =>
        {
            var wanted = parse.GetValue(name)!;
            var dataset = Fetch.All.FirstOrDefault(d => string.Equals(d.Name, wanted, StringComparison.OrdinalIgnoreCase))
                ?? throw new UsageException($"unknown dataset '{wanted}'; choose one of: {string.Join(", ", Fetch.All.Select(d => d.Name))}");
            var folder = parse.GetValue(to) ?? Fetch.DefaultFolder(dataset.Name);
            if (parse.GetValue(mirror) is { } m && !Uri.TryCreate(m, UriKind.Absolute, out _))
                throw new UsageException($"--mirror '{m}' is not an absolute URL; give one such as https://example.org/datasets/{dataset.Name}/");
            using var http = new System.Net.Http.HttpClient { Timeout = TimeSpan.FromMinutes(30) };
            try
            {
                Fetch.RunAsync(dataset, folder, http, Console.Out, parse.GetValue(mirror)).GetAwaiter().GetResult();
                return 0;
            }
            catch (Exception e) when (e is InvalidDataException or System.Net.Http.HttpRequestException or IOException or UnauthorizedAccessException or System.Threading.Tasks.TaskCanceledException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return new Command("data", "Datasets the tool trains on.") { fetch };
    }

    /// <summary><c>--assembly</c>, <c>--project</c> and <c>--network</c>: a user's own networks (compare, list).</summary>
    static (Option<string?> Assembly, Option<string?> Project, Option<string?> Network) UserNetworkOptions() =>
        (new Option<string?>("--assembly") { Description = "Compare the variants of your own [Network] from your built assembly (bin/Release/net10.0/MyLab.dll) instead of a built-in experiment." },
         new Option<string?>("--project") { Description = "Like --assembly, but builds your project (.csproj, Release) first and takes its assembly." },
         new Option<string?>("--network") { Description = "The network of --assembly/--project to compare (full or short type name); needed when it declares several." });

    static Command ListCommand()
    {
        var (assembly, project, _) = UserNetworkOptions();
        var command = new Command("list", "List the ready-made experiments and the variants each compares (parameters, multiply-accumulates); with --assembly or --project, your own networks.")
        {
            assembly, project,
        };
        command.SetAction(parse =>
        {
            // Piped or redirected: no terminal width to respect, so do not wrap names and numbers at Spectre's 80-column default.
            // A console bound to the current Console.Out (Spectre's static AnsiConsole keeps the writer it first saw, so a second
            // `list` in one process, as in the tests, would write its tables elsewhere).
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
            if (Console.IsOutputRedirected) console.Profile.Width = 200;
            if (CompareCommand.FromUserAssembly(parse.GetValue(assembly), parse.GetValue(project), p => Tuple.Create(p, UserNetworks.Find(p))) is var (path, found))
            {
                foreach (var n in found)
                {
                    Experiment e;
                    try { e = UserNetworks.ExperimentOf(n, path, ImageDataset.FashionMnist.Fit); }
                    catch (InvalidDataException why)
                    {
                        e = new Experiment(n.Type.Name, 0, $"The variants of {n.Name}", "", n.Variants, Measures.None,
                            new("quick", _ => false, 0, null, [], []), new("full", _ => false, 0, null, [], []));
                        // Other data it may fit: an official dataset of its shape, else a user's own data of that shape.
                        var fits = ImageDataset.All.Where(d => d.Fit is { } f && n.Variants.All(v => f.Problem(v) is null)).Select(d => $"--dataset {d.Name}").ToList();
                        var input = n.Variants[0].Summary.InputShape;
                        var other = fits.Count > 0 ? $" It fits {string.Join(", ", fits)}."
                            : input.Length == 3 ? $" It fits your own images of [{string.Join(", ", input)}] (--dataset folder or idx)." : "";
                        Write(e, $"{n.Name}: cannot be compared on Fashion-MNIST: {why.Message}.{other}", n.Variants);
                        continue;
                    }
                    Write(e, null, n.Variants);
                }
                Console.WriteLine("`netdsl compare --assembly <dll> --network <name>` compares one network's variants.");
                return;
            }
            foreach (var e in Catalog.All) Write(e, null, e.Variants.Where(v => e.Quick.Include(v) || e.Full.Include(v)));
            Console.WriteLine("`netdsl summary <variant>` prints a variant's layers; `netdsl compare --experiment <name>` runs one.");

            void Write(Experiment e, string? refusal, IEnumerable<VariantInfo> variants)
            {
                var table = new Table().Title($"[bold]{Markup.Escape(e.Name)}[/]{(e.Name == Catalog.Default ? " (default)" : "")}: {Markup.Escape(e.Title)}")
                    .AddColumn(new TableColumn("variant").NoWrap()).AddColumn(new TableColumn("quick").NoWrap()).AddColumn(new TableColumn("full").NoWrap())
                    .AddColumn(new TableColumn("layers").NoWrap().RightAligned()).AddColumn(new TableColumn("parameters").NoWrap().RightAligned())
                    .AddColumn(new TableColumn("MACs / sample").NoWrap().RightAligned());
                foreach (var v in variants)
                    table.AddRow(Markup.Escape(v.Name), e.Quick.Include(v) ? "x" : "", e.Full.Include(v) ? "x" : "",
                        v.Summary.Layers.Count(l => l.Kind is "Conv2d" or "Linear").ToString(Inv), v.Summary.TotalParameters.ToString("N0", Inv), v.Summary.TotalMultiplyAccumulates.ToString("N0", Inv));
                console.Write(table);
                if (refusal is not null)
                {
                    Console.WriteLine($"  {refusal}");
                    Console.WriteLine();
                    return;
                }
                var what = string.Join(", ", Enum.GetValues<Measures>().Where(m => m != Measures.None && e.What.HasFlag(m)));
                Console.WriteLine($"  measures: {what}");
                Console.WriteLine($"  quick: {Describe(e, e.Quick)}");
                Console.WriteLine($"  full:  {Describe(e, e.Full)}");
                Console.WriteLine();
            }
        });
        return command;
    }

    static string Describe(Experiment e, Preset p) =>
        e.What.HasFlag(Measures.Training)
            ? Invariant($"{p.Epochs} epoch(s) on {(p.Subset is { } n ? n.ToString("N0", Inv) : "all")} training images less 10% for validation, {(p.TestSubset is { } t ? t.ToString("N0", Inv) : "all")} test images (batch {p.BatchSize}), ") +
              Invariant($"{e.VariantsOf(p).Count} variants x {p.Seeds.Length} seed(s) x learning rates {string.Join(", ", p.LearningRates.Select(r => r.ToString(Inv)))} = {e.VariantsOf(p).Count * p.Seeds.Length * p.LearningRates.Length} jobs") +
              (p.Schedule != Schedule.Cosine ? $"; {p.Schedule} schedule" : "") + (p.Augment ? "; crop and flip" : "")
            : Invariant($"{e.VariantsOf(p).Count} variants x {p.Seeds.Length} seed(s), no training");

    static Command SummaryCommand()
    {
        var name = new Argument<string>("variant") { Description = "A variant name from `netdsl list` (DepthNet.Residual.BnAfterConv.Depth3)." };
        var command = new Command("summary", "Print a variant's architecture: each layer's output shape, parameters and multiply-accumulates, and its generated forward.") { name };
        var code = new Option<bool>("--code") { Description = "Also print the generated forward methods." };
        command.Options.Add(code);
        command.SetAction(parse =>
        {
            var v = ExportCommand.Find(parse.GetValue(name)!);
            Console.WriteLine($"{v.Name} ({string.Join(", ", v.Settings.Select(kv => $"{kv.Key}={kv.Value}"))})");
            Console.WriteLine(v.Summary);
            if (parse.GetValue(code)) Console.WriteLine(v.ForwardSource);
        });
        return command;
    }

    static Command CompareCommandLine()
    {
        var defaults = new CompareRequest();
        var experiment = new Option<string>("--experiment", "-x") { Description = "Experiment to run (`netdsl list`).", DefaultValueFactory = _ => defaults.Experiment };
        var preset = new Option<string>("--preset", "-p") { Description = "quick (minutes: a few thousand training images, a few epochs) or full (all training images, more epochs and seeds); `netdsl list` says what each runs.", DefaultValueFactory = _ => defaults.Preset };
        // Any case (-p Full): the value is checked here, with the parser's wording for a value not among the choices.
        preset.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } value && !new[] { "quick", "full" }.Contains(value, StringComparer.OrdinalIgnoreCase))
                result.AddError($"Argument '{value}' not recognized. Must be one of: 'quick', 'full'");
        });
        var data = new Option<string?>("--data", "-d") { Description = $"Folder with the dataset's files: IDX files (raw or .gz) for fashion-mnist, mnist and idx; the CIFAR-10 binary batches (or the folder holding cifar-10-batches-bin) for cifar10; train/<class>/ and test/<class>/ image folders for folder. Default: the dataset's environment variable (${FashionMnist.EnvironmentVariable}, $NETDSL_MNIST, $NETDSL_CIFAR10, $NETDSL_IDX, $NETDSL_IMAGE_FOLDER), then the folder `netdsl data fetch` fills, then {FashionMnist.DebianFolder} (Debian's dataset-fashion-mnist), then the bundled Fashion-MNIST test split (8,000 training / 2,000 test images)." };
        var dataset = new Option<string>("--dataset") { Description = $"The dataset: {string.Join(", ", ImageDataset.All.Select(d => d.Name))}. fashion-mnist and mnist: 28x28 grey images, 10 classes; cifar10: 32x32 colour, 10 classes (`netdsl data fetch` downloads these three); idx: your own IDX files of any size; folder: your own images, a folder per class. The networks' [Input] must be the images' [C, H, W].", DefaultValueFactory = _ => defaults.Dataset };
        var epochs = new Option<int?>("--epochs", "-e") { Description = "Epochs (default: the preset's)." };
        var batch = new Option<int?>("--batch-size", "-b") { Description = "Images per SGD step (default: the preset's; quick 64, full 128)." };
        var lr = new Option<double[]>("--lr") { Description = "Learning-rate grid: each variant trains at every rate, and its row uses the rate with the best validation accuracy (--lr 0.01 0.05). Default: the preset's grid (`netdsl list`).", AllowMultipleArgumentsPerToken = true };
        var init = new Option<InitScheme>("--init") { Description = "Weight initialization for training and every measurement: HeFanIn (He et al. 2015, fan-in, as He et al. 2016), TorchvisionFanOut (torchvision's ResNets) or PyTorchDefault.", DefaultValueFactory = _ => defaults.Init };
        var validation = new Option<double?>("--validation") { Description = $"Share of the training images held out for validation, stratified by class and drawn from each seed (default {ValidationSplit.DefaultFraction.ToString(Inv)}); every choice of epoch and rate is made on it." };
        var testSubset = new Option<int?>("--test-subset") { Description = "Test images evaluated (the first N); default: the preset's (quick 2,000, full all)." };
        var momentum = new Option<double>("--momentum") { Description = "SGD momentum.", DefaultValueFactory = _ => defaults.Momentum };
        var decay = new Option<double>("--weight-decay") { Description = "L2 weight decay.", DefaultValueFactory = _ => defaults.WeightDecay };
        var schedule = new Option<Schedule?>("--schedule") { Description = "Learning-rate schedule: Cosine, Step (/10 at 50% and 75%) or Constant. Default: the preset's (Cosine; Step for the papers' presets)." };
        var augment = new Option<bool?>("--augment") { Description = "Random crop (padding 2 pixels for 28x28 images, 4 for 32x32: an eighth of the side from 32 up) and horizontal flip: --augment, or --augment false. Default: the preset's (off; on for the papers' full presets)." };
        var seeds = new Option<int[]>("--seeds", "-s") { Description = "Seeds (several give mean and spread): --seeds 0 1 2. Default: the preset's.", AllowMultipleArgumentsPerToken = true };
        var threads = new Option<int?>("--threads", "-t") { Description = "LibTorch threads per job (the plan fixes them: results depend on the thread count). Default: the cores divided between --jobs; with --slurm, --cpus-per-task or 1." };
        var jobs = new Option<int>("--jobs", "-j") { Description = "Jobs run at once on this machine, each in its own process with its share of the cores.", DefaultValueFactory = _ => 1 };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the plan's job count and its estimated core-hours (from a short timing of each variant's step here); write nothing." };
        var slurmFlag = new Option<bool>("--slurm") { Description = "Submit the jobs to Slurm as one job array, and a report job after it, instead of running them here." };
        var slurm = SlurmOptionsLine();
        var output = new Option<string?>("--output", "-o") { Description = "Report folder (default: reports/<experiment>-<time>)." };
        var subset = new Option<int?>("--subset") { Description = "Training images to use (the first N); default: the preset's." };
        var resume = new Option<bool>("--resume") { Description = "Continue an interrupted run from the checkpoints in --output." };
        var only = new Option<string?>("--only") { Description = "Run only the variants whose name contains this text." };
        var plain = new Option<bool>("--plain") { Description = "Plain line-by-line progress even on a terminal." };
        var (assembly, project, network) = UserNetworkOptions();
        var command = new Command("compare", "Train and measure an experiment's variants side by side and write a report (index.html, report.md, plots, CSV, results.json).")
        {
            experiment, preset, data, dataset, epochs, batch, lr, momentum, decay, schedule, augment, init, validation, seeds, threads, output, subset, testSubset, resume, only, plain,
            jobs, dryRun, slurmFlag, assembly, project, network,
        };
        foreach (var o in slurm.All) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var request = new CompareRequest
            {
                Experiment = parse.GetValue(experiment)!,
                Preset = parse.GetValue(preset)!,
                Data = parse.GetValue(data),
                Dataset = parse.GetValue(dataset)!,
                Epochs = parse.GetValue(epochs),
                BatchSize = parse.GetValue(batch),
                LearningRates = parse.GetValue(lr),
                Init = parse.GetValue(init),
                ValidationFraction = parse.GetValue(validation),
                TestSubset = parse.GetValue(testSubset),
                Momentum = parse.GetValue(momentum),
                WeightDecay = parse.GetValue(decay),
                Schedule = parse.GetValue(schedule),
                Augment = parse.GetValue(augment),
                Seeds = parse.GetValue(seeds),
                Threads = parse.GetValue(threads),
                Jobs = parse.GetValue(jobs),
                DryRun = parse.GetValue(dryRun),
                Slurm = parse.GetValue(slurmFlag) ? slurm.Read(parse) : slurm.Given(parse) is { } given
                    ? throw new UsageException($"{given} is a Slurm option; add --slurm to submit to Slurm, or leave it out to run here")
                    : null,
                Output = parse.GetValue(output),
                Subset = parse.GetValue(subset),
                Resume = parse.GetValue(resume),
                Only = parse.GetValue(only),
                Plain = parse.GetValue(plain),
                Assembly = parse.GetValue(assembly),
                Project = parse.GetValue(project),
                Network = parse.GetValue(network),
            };
            if ((request.Assembly ?? request.Project) is not null && parse.GetResult(experiment) is { Implicit: false })
                throw new UsageException("--experiment picks a built-in experiment and --assembly/--project your own networks; give one of them");
            return CompareCommand.Run(request);
        });
        return command;
    }

    /// <summary>The Slurm options of <c>compare --slurm</c> and <c>submit</c>.</summary>
    sealed class SlurmLine
    {
        public readonly Option<string?> Partition = new("--partition") { Description = "Slurm partition (default: the cluster's)." };
        public readonly Option<string?> Time = new("--time") { Description = "Time limit per job, as sbatch takes it (4:00:00, 2-00:00:00). Near the limit a job checkpoints and requeues itself." };
        public readonly Option<string?> Memory = new("--mem") { Description = "Memory per job, as sbatch takes it (4G)." };
        public readonly Option<int?> Cpus = new("--cpus-per-task") { Description = "Cores per job (default: the plan's threads per job)." };
        public readonly Option<int?> MaxRunning = new("--max-running") { Description = "At most this many jobs at once (--array=...%N)." };
        public readonly Option<string[]> Extra = new("--sbatch-arg") { Description = "An argument passed to sbatch unchanged (repeat it): --sbatch-arg=--account=lab --sbatch-arg=--qos=long." };
        public readonly Option<string?> Binary = new("--binary") { Description = "The netdsl the compute nodes run (the published binary in a shared folder); default: this one." };

        public IEnumerable<Option> All => [Partition, Time, Memory, Cpus, MaxRunning, Extra, Binary];

        public SlurmOptions Read(ParseResult parse) => new()
        {
            Partition = parse.GetValue(Partition),
            Time = parse.GetValue(Time),
            Memory = parse.GetValue(Memory),
            CpusPerTask = parse.GetValue(Cpus),
            MaxRunning = parse.GetValue(MaxRunning),
            Extra = (parse.GetValue(Extra) ?? []).ToList(),
            Binary = parse.GetValue(Binary),
        };

        /// <summary>The first Slurm option given, or null.</summary>
        public string? Given(ParseResult parse) => All.FirstOrDefault(o => parse.GetResult(o) is { Implicit: false })?.Name;
    }

    static SlurmLine SlurmOptionsLine() => new();

    static Command StatusCommand()
    {
        var folder = new Argument<string>("folder") { Description = "A run folder (compare's --output)." };
        var command = new Command("status", "Show where each job of a run stands: done, running, pending in Slurm, interrupted (a checkpoint continues it), failed or not started.") { folder };
        command.SetAction(parse => SweepCommands.Status(parse.GetValue(folder)!));
        return command;
    }

    static Command SubmitCommand()
    {
        var folder = new Argument<string>("folder") { Description = "A run folder (compare's --output)." };
        var which = new Option<string[]>("--job") { Description = "Submit only these jobs (indices or ids, repeatable); default: every job neither done nor queued.", AllowMultipleArgumentsPerToken = true };
        var slurm = SlurmOptionsLine();
        var command = new Command("submit", "Submit a run's unfinished jobs to Slurm as one job array, and a report job after it; options not given are the previous submission's.") { folder, which };
        foreach (var o in slurm.All) command.Options.Add(o);
        command.SetAction(parse => SweepCommands.Submit(SweepCommands.Open(parse.GetValue(folder)!), parse.GetValue(which), slurm.Read(parse)));
        return command;
    }

    static Command JobCommand()
    {
        var folder = new Argument<string>("folder") { Description = "A run folder (compare's --output)." };
        var which = new Argument<string>("job") { Description = "The job's index in the plan (a Slurm array task id) or its id." };
        var events = new Option<bool>("--events") { Description = "Progress as JSON lines on standard output (for the process that started this one)." };
        var command = new Command("job", "Run one job of a run's plan in this process (what `compare --jobs` children and Slurm array tasks run); does nothing when it is done, continues it from its checkpoint otherwise.") { folder, which, events };
        command.SetAction(parse => SweepCommands.Job(parse.GetValue(folder)!, parse.GetValue(which)!, parse.GetValue(events)));
        return command;
    }

    static Command ReportCommand()
    {
        var file = new Argument<string>("run") { Description = "A run folder (merges its finished jobs), or a results.json written by `netdsl compare` (renders it again)." };
        var output = new Option<string?>("--output", "-o") { Description = "Report folder (default: the run folder, or the folder of the results file)." };
        var command = new Command("report", "Merge a run's finished jobs into results.json and the report (jobs without a result are listed), or render a saved results.json again.") { file, output };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(file)!;
            if (Directory.Exists(path) && File.Exists(Path.Combine(path, RunPlan.FileName)))
            {
                var sweep = SweepCommands.Open(path);
                var target = parse.GetValue(output) ?? sweep.Folder;
                if (target.Length == 0) throw new UsageException("--output is empty; give a folder");
                var other = Path.Combine(Path.GetFullPath(target), "results.json");
                if (Path.GetFullPath(target) != sweep.Folder && File.Exists(other))
                    throw new UsageException($"'{target}' holds another run's results.json; render into an empty folder, or into the run folder (leave out --output)");
                SweepCommands.Report(sweep, Path.GetFullPath(target), headline: true);
                return 0;
            }
            if (Directory.Exists(path))
            {
                if (!File.Exists(Path.Combine(path, "results.json")))
                    throw new UsageException($"'{path}' holds neither a plan.json nor a results.json; give the folder `netdsl compare` wrote");
                path = Path.Combine(path, "results.json");
            }
            var folder = parse.GetValue(output) ?? Path.GetDirectoryName(Path.GetFullPath(path))!;
            if (folder.Length == 0) throw new UsageException("--output is empty; give a folder");
            var existing = Path.Combine(Path.GetFullPath(folder), "results.json");
            if (File.Exists(existing) && existing != Path.GetFullPath(path))
                throw new UsageException($"'{folder}' holds another run's results.json; render into an empty folder, or into the folder of {path} (leave out --output)");
            RunResults results;
            try { results = RunResults.Load(path); }
            catch (Exception e) when (e is IOException or InvalidDataException) { throw new UsageException(e.Message); }
            try { ReportWriter.Write(results, folder); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new UsageException($"cannot write the report to '{folder}' ({e.Message}); choose a writable --output"); }
            Console.WriteLine($"report: {Path.Combine(folder, "index.html")}");
            return 0;
        });
        return command;
    }

    /// <summary>
    /// LibTorch's OpenMP spin-waits by default, which collapses throughput when another process shares the cores
    /// (measured 4x slower than one thread; ENVIRONMENT.md). OpenMP reads OMP_WAIT_POLICY from the native environment when
    /// it loads, which .NET's Environment.SetEnvironmentVariable does not reach on Unix; libc's setenv does, if it runs
    /// before TorchSharp is first touched. A value the user set is kept.
    /// </summary>
    static void OpenMpDefaults()
    {
        if (Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is not null || OperatingSystem.IsWindows()) return;
        setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
        Environment.SetEnvironmentVariable("OMP_WAIT_POLICY", "PASSIVE");
    }

    [DllImport("libc", SetLastError = true)]
    static extern int setenv(string name, string value, int overwrite);
}
