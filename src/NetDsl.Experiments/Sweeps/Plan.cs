using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json;
using NetDsl.Experiments.Data;
using NetDsl.Experiments;
using NetDsl.Experiments.Results;
using NetDsl.Experiments.Training;
using NetDsl.Measurements;

namespace NetDsl.Experiments.Sweeps;

/// <summary>
/// Where a plan's variants come from, so that a job can be run from the plan alone in a fresh process (a child process or a
/// Slurm array task): a built-in experiment by name (<see cref="BuiltIn"/>), or a network of a user's assembly
/// (<see cref="UserAssembly"/>: <c>compare --assembly</c>), recorded with the assembly's checksum.
/// </summary>
/// <param name="Kind"><see cref="BuiltIn"/> or <see cref="UserAssembly"/> (a kind a later netdsl writes is refused by name).</param>
/// <param name="Experiment">The built-in experiment's name (<c>bn-residual</c>).</param>
/// <param name="Assembly">Absolute path of the assembly that declares the network (every machine that runs jobs must see it there).</param>
/// <param name="Network">Full name of the network type.</param>
/// <param name="AssemblySha256">SHA-256 of the assembly when the plan was written: a rebuilt assembly may hold other networks.</param>
public sealed record VariantSource(string Kind, string? Experiment = null, string? Assembly = null, string? Network = null, string? AssemblySha256 = null)
{
    /// <summary>The kind of a built-in experiment of <see cref="Catalog"/>.</summary>
    public const string BuiltIn = "experiment";

    /// <summary>The kind of a network in a user's assembly (<see cref="UserNetworks"/>).</summary>
    public const string UserAssembly = "assembly";

    /// <summary>The kind of variants a program gave in code (<see cref="Comparison"/>): only that program can run their jobs;
    /// <see cref="Experiment"/> is the run's name, <see cref="Assembly"/> the program's.</summary>
    public const string Program = "program";

    /// <summary>Where the variants come from, in words: <c>experiment bn-residual</c>, or <c>MyLab.Net in /path/MyLab.dll (SHA-256 3ff0841f1e02...)</c>.</summary>
    public string Describe() => Kind == UserAssembly
        ? $"{Network} in {Assembly}" + (AssemblySha256 is { Length: >= 12 } sha ? $" (SHA-256 {sha[..12]}...)" : "")
        : Kind == BuiltIn ? $"experiment {Experiment}"
        : Kind == Program ? $"variants given in code by {(Assembly is null ? "a program" : Path.GetFileName(Assembly))}"
        : $"a source of kind '{Kind}'";

    /// <summary>The experiment that holds the plan's variants.</summary>
    /// <exception cref="InvalidDataException">A kind or an experiment this netdsl does not have, an assembly that is gone, changed
    /// since the plan was written or no longer fits (the message names it and the fix).</exception>
    public Experiment Resolve()
    {
        if (Kind == BuiltIn)
            return Catalog.Find(Experiment ?? "")
                ?? throw new InvalidDataException($"the plan names the experiment '{Experiment}', which this netdsl does not have; run its jobs with the netdsl that wrote the plan");
        if (Kind == Program)
            throw new InvalidDataException($"the plan's variants were given in code by {(Assembly is null ? "a program" : $"'{Assembly}'")} (NetDsl.Experiments.Comparison), so only that program can run its jobs: run it again with the same options and Resume = true; `netdsl report` and `netdsl status` read the folder");
        if (Kind == UserAssembly && Assembly is not null && Network is not null)
        {
            if (!File.Exists(Assembly))
                throw new InvalidDataException($"the plan's network {Network} is in '{Assembly}', which is not there; jobs on other machines need it at the same path (a shared folder)");
            if (AssemblySha256 is not null && UserNetworks.Sha256(Assembly) != AssemblySha256)
                throw new InvalidDataException($"'{Assembly}' changed since the plan was written (its SHA-256 differs); results from two builds would not be comparable: start a new run (compare with another --output), or restore the build the plan was made with");
            try { return UserNetworks.ExperimentOf(UserNetworks.Select(Assembly, Network), Assembly); }
            catch (FileNotFoundException e) { throw new InvalidDataException(e.Message); }
        }
        throw new InvalidDataException($"the plan takes its variants from a source of kind '{Kind}'{(Network is null ? "" : $" ({Network} in {Assembly})")}, which this netdsl cannot load; run its jobs with the netdsl that wrote the plan");
    }
}

/// <summary>One job of a plan: its place in the plan (the Slurm array task id), its stable id and what it trains.</summary>
/// <param name="Index">0-based position in the plan; the array task id that runs it.</param>
/// <param name="Id">Stable id <c>&lt;variant&gt;.seed&lt;s&gt;[.lr&lt;r&gt;]</c>: names its checkpoint and its result file.</param>
/// <param name="Variant">The variant's name.</param>
/// <param name="Seed">The seed.</param>
/// <param name="LearningRate">The base learning rate, or null for experiments that do not train.</param>
public sealed record PlannedJob(int Index, string Id, string Variant, int Seed, double? LearningRate);

/// <summary>What the report says about a variant, recorded when the plan is made so that merging needs no network code.</summary>
/// <param name="Name">Variant name.</param>
/// <param name="Settings">Its axis settings.</param>
/// <param name="Parameters">Learnable parameters.</param>
/// <param name="MultiplyAccumulates">Forward multiply-accumulates per sample.</param>
/// <param name="WeightLayers">Convolution and linear layers.</param>
/// <param name="Summary">The architecture table.</param>
/// <param name="ForwardSource">The generated forward methods.</param>
public sealed record PlannedVariant(string Name, Dictionary<string, string> Settings, long Parameters, long MultiplyAccumulates, int WeightLayers, string Summary, string ForwardSource);

/// <summary>
/// A run as a plan of independent jobs (<c>plan.json</c> in the run's folder): one job per variant x seed x learning rate,
/// each with a stable id, every setting a job needs to run alone in a fresh process, the data's checksum and the tool's
/// version. Written once, before any job runs, and never changed: jobs, status and report read it.
/// </summary>
public sealed class RunPlan
{
    /// <summary>The plan format this netdsl writes and reads.</summary>
    public const int CurrentFormat = 1;

    /// <summary>The plan's file name in a run folder.</summary>
    public const string FileName = "plan.json";

    /// <summary>Format version of this file.</summary>
    public int FormatVersion { get; set; } = CurrentFormat;
    /// <summary>The netdsl that wrote the plan (<c>netdsl 0.1.0+&lt;commit&gt;</c>); jobs refuse to run under another.</summary>
    public string Tool { get; set; } = "";
    /// <summary>When the plan was written, UTC.</summary>
    public DateTime CreatedUtc { get; set; }
    /// <summary>Where the variants come from.</summary>
    public VariantSource Source { get; set; } = new(VariantSource.BuiltIn);
    /// <summary>Experiment name.</summary>
    public string Experiment { get; set; } = "";
    /// <summary>Preset name.</summary>
    public string Preset { get; set; } = "";
    /// <summary>The experiment's title.</summary>
    public string Title { get; set; } = "";
    /// <summary>The question it answers.</summary>
    public string Question { get; set; } = "";
    /// <summary>What each job measures.</summary>
    public Measures Measures { get; set; }
    /// <summary>Every setting of the run (<see cref="RunSettings.Threads"/> is per job).</summary>
    public RunSettings Settings { get; set; } = new();
    /// <summary>The jobs, variant by variant, then seed, then rate; <see cref="PlannedJob.Index"/> is the position.</summary>
    public List<PlannedJob> Jobs { get; set; } = new();
    /// <summary>The variants, in report order.</summary>
    public List<PlannedVariant> Variants { get; set; } = new();

    /// <summary>This netdsl's name and version, as plans and job results record it.</summary>
    public static string ToolVersion { get; } =
        "netdsl " + (typeof(RunPlan).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?");

    /// <summary>Whether jobs of <paramref name="measures"/> read the dataset.</summary>
    public static bool NeedsData(Measures measures) =>
        measures.HasFlag(Measures.Training) || measures.HasFlag(Measures.InitialGradients) || measures.HasFlag(Measures.Activations);

    /// <summary>The plan of <paramref name="spec"/>, with <paramref name="settings"/> as the run's settings.</summary>
    public static RunPlan Create(RunSpec spec, RunSettings settings)
    {
        var e = spec.Experiment;
        return new RunPlan
        {
            Tool = ToolVersion,
            CreatedUtc = DateTime.UtcNow,
            Source = e.Origin ?? new VariantSource(VariantSource.BuiltIn, e.Name),
            Experiment = e.Name,
            Preset = spec.Preset.Name,
            Title = e.Title,
            Question = e.Description,
            Measures = e.What,
            Settings = settings,
            Jobs = spec.Jobs().Select((j, i) => new PlannedJob(i, j.Id, j.Variant.Name, j.Seed, j.LearningRate)).ToList(),
            Variants = e.VariantsOf(spec.Preset).Select(v => new PlannedVariant(v.Name, v.Settings.ToDictionary(kv => kv.Key, kv => kv.Value),
                v.Summary.TotalParameters, v.Summary.TotalMultiplyAccumulates, v.Summary.Layers.Count(l => l.Kind is "Conv2d" or "Linear"),
                v.Summary.ToString(), v.ForwardSource)).ToList(),
        };
    }

    /// <summary>Indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, RunResults.Json);

    /// <summary>Writes <c>plan.json</c> into <paramref name="folder"/> atomically; returns the plan's id (<see cref="IdOf"/>).</summary>
    /// <exception cref="IOException">The folder is not writable.</exception>
    public string Save(string folder)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(ToJson());
        Checkpoint.WriteAtomically(Path.Combine(folder, FileName), w => w.Write(bytes));
        return IdOf(bytes);
    }

    /// <summary>The plan's id: the first 16 hex digits of the SHA-256 of its file. Job results carry it, so a result from
    /// another plan is never merged into this one.</summary>
    public static string IdOf(byte[] file) => Convert.ToHexStringLower(SHA256.HashData(file))[..16];

    /// <summary>Reads <c>plan.json</c> from a run folder.</summary>
    /// <returns>The plan and its id.</returns>
    /// <exception cref="FileNotFoundException">The folder holds no plan (the message says what writes one).</exception>
    /// <exception cref="InvalidDataException">Not a plan, or a format this netdsl does not read.</exception>
    public static (RunPlan Plan, string Id) Load(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{folder}: no {FileName}; `netdsl compare` (with --output) writes a run folder with its plan", path);
        var bytes = File.ReadAllBytes(path);
        RunPlan? plan;
        try { plan = JsonSerializer.Deserialize<RunPlan>(bytes, RunResults.Json); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not a netdsl plan ({e.Message.Split('.')[0]})", e); }
        if (plan is null || plan.Jobs.Count == 0 || string.IsNullOrEmpty(plan.Experiment))
            throw new InvalidDataException($"{path}: not a netdsl plan (an experiment and at least one job)");
        if (plan.FormatVersion != CurrentFormat)
            throw new InvalidDataException($"{path}: plan format {plan.FormatVersion}; this netdsl reads format {CurrentFormat}: use the netdsl that wrote it ({plan.Tool})");
        if (plan.Jobs.Select((j, i) => j.Index != i).Any(x => x) || plan.Jobs.Select(j => j.Id).Distinct().Count() != plan.Jobs.Count)
            throw new InvalidDataException($"{path}: job indices must be 0, 1, 2, ... and ids unique; the file was edited");
        return (plan, IdOf(bytes));
    }

    /// <summary>The job at <paramref name="indexOrId"/>: its index in the plan (the array task id) or its id.</summary>
    /// <exception cref="ArgumentException">No such job (the message gives the range and an example id).</exception>
    public PlannedJob Find(string indexOrId)
    {
        if (int.TryParse(indexOrId, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index))
            return index < Jobs.Count ? Jobs[index]
                : throw new ArgumentException($"job {index} is not in the plan: it has {Jobs.Count} jobs, 0 to {Jobs.Count - 1}");
        return Jobs.FirstOrDefault(j => j.Id == indexOrId)
            ?? throw new ArgumentException($"no job '{indexOrId}' in the plan; give an index 0 to {Jobs.Count - 1} or an id such as {Jobs[0].Id}");
    }

    /// <summary>
    /// The run as the runner needs it, rebuilt from the plan alone: the experiment from <see cref="Source"/>, a preset with the
    /// plan's settings, and every job's key.
    /// </summary>
    /// <exception cref="InvalidDataException">The source cannot be loaded, or the plan names variants or jobs it does not have.</exception>
    public (RunSpec Spec, IReadOnlyDictionary<string, JobKey> Keys) Resolve()
    {
        var experiment = Source.Resolve();
        var names = Variants.Select(v => v.Name).ToHashSet();
        var missing = names.Where(n => experiment.Variants.All(v => v.Name != n)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"the plan names variants that experiment '{experiment.Name}' of this netdsl does not have: {string.Join(", ", missing)}; run its jobs with the netdsl that wrote the plan ({Tool})");
        var s = Settings;
        var schedule = Enum.Parse<Schedule>(s.Schedule);
        var preset = new Preset(Preset, v => names.Contains(v.Name), s.Epochs, s.Subset, s.Seeds.ToArray(), s.LearningRates.ToArray(),
            MeasureEvery: Math.Max(1, s.MeasureEvery), SlicePoints: Math.Max(2, s.SlicePoints), BatchSize: s.BatchSize, TestSubset: s.TestImages, Schedule: schedule, Augment: s.Augment);
        var options = new TrainingOptions
        {
            Epochs = s.Epochs,
            BatchSize = s.BatchSize,
            LearningRate = s.LearningRates.Count > 0 ? s.LearningRates[0] : TrainingOptions.Default.LearningRate,
            Momentum = s.Momentum,
            WeightDecay = s.WeightDecay,
            Schedule = schedule,
            Augment = s.Augment,
            Subset = s.Subset,
        };
        var spec = new RunSpec(experiment with { What = Measures }, preset, options, s.Seeds, s.LearningRates, Enum.Parse<InitScheme>(s.Init), s.ValidationFraction);
        var keys = spec.Jobs().ToDictionary(k => k.Id);
        var unknown = Jobs.Where(j => !keys.ContainsKey(j.Id)).Select(j => j.Id).ToList();
        if (unknown.Count > 0 || keys.Count != Jobs.Count)
            throw new InvalidDataException($"the plan's jobs do not match its settings ({(unknown.Count > 0 ? "unknown: " + string.Join(", ", unknown.Take(3)) : $"{keys.Count} jobs from the settings, {Jobs.Count} listed")}); the file was edited");
        return (spec, keys);
    }

    /// <summary>
    /// Loads the plan's data from its recorded folder (test images cut to the planned count) and checks that it is the data
    /// the plan was made with. Null when the jobs need no data.
    /// </summary>
    /// <exception cref="InvalidDataException">The folder is gone, or its images differ from the plan's (checksum).</exception>
    public Dataset? LoadData()
    {
        if (!NeedsData(Measures)) return null;
        Dataset data;
        var kind = ImageDataset.Find(Settings.Dataset)
            ?? throw new InvalidDataException($"the plan's dataset '{Settings.Dataset}' is not one this netdsl reads; run its jobs with the netdsl that wrote the plan ({Tool})");
        try { data = FashionMnist.Load(Settings.DataFolder, kind); }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            throw new InvalidDataException($"cannot read the plan's data ({e.Message}); jobs read {Settings.DataFolder}, which must be visible wherever they run (a shared folder on a cluster)", e);
        }
        data = data with { Test = data.Test.Take(Settings.TestImages), Origin = Settings.DataOrigin };
        var sha = Checksum(data, Settings.Subset);
        if (sha != Settings.DataSha256)
            throw new InvalidDataException($"the images in {Settings.DataFolder} differ from those the plan was made with (SHA-256 {sha[..12]}..., planned {Settings.DataSha256[..Math.Min(12, Settings.DataSha256.Length)]}...); every job of a plan must read the same files");
        return data;
    }

    /// <summary>SHA-256 (hex) of the training subset's pixels and labels, then the test images' (as <paramref name="data"/> holds them).</summary>
    public static string Checksum(Dataset data, int? subset)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var train = data.Train.Take(subset);
        foreach (var part in new[] { train.Pixels, train.Labels, data.Test.Pixels, data.Test.Labels }) hash.AppendData(part);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// The first setting in which <paramref name="other"/> (the plan the same command would write now) differs from this plan, in
    /// words; null when they plan the same jobs the same way. Machine details (versions, OMP policy, data origin) do not count.
    /// </summary>
    public string? Difference(RunPlan other)
    {
        if (other.Tool != Tool) return $"tool: the plan was written by {Tool}, this is {other.Tool}";
        if (other.Source != Source) return $"variants from {Source.Describe()} vs {other.Source.Describe()}";
        if (other.Preset != Preset) return $"preset: {Preset} vs {other.Preset}";
        static Dictionary<string, string> Fields(RunSettings s)
        {
            using var document = JsonDocument.Parse(JsonSerializer.Serialize(s, RunResults.Json));
            return document.RootElement.EnumerateObject()
                .Where(p => p.Name is not (nameof(RunSettings.Versions) or nameof(RunSettings.OmpWaitPolicy) or nameof(RunSettings.DataOrigin) or nameof(RunSettings.CommandLine)))
                .ToDictionary(p => p.Name, p => p.Value.GetRawText());
        }
        var (mine, theirs) = (Fields(Settings), Fields(other.Settings));
        foreach (var (name, value) in mine)
            if (theirs.GetValueOrDefault(name) != value) return $"{name}: {value} in the plan, {theirs.GetValueOrDefault(name, "(none)")} now";
        var (a, b) = (string.Join(",", Jobs.Select(j => j.Id)), string.Join(",", other.Jobs.Select(j => j.Id)));
        return a == b ? null : $"jobs: the plan has {Jobs.Count} ({Jobs[0].Id}, ...), now {other.Jobs.Count}";
    }
}
