using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace NetDsl.Fuzzing;

/// <summary>Settings of one fuzzing run.</summary>
public sealed record FuzzOptions
{
    /// <summary>Seed of the random stream; mutant i of seed s is always the same mutant.</summary>
    public int Seed { get; init; } = 1;
    /// <summary>First mutant index.</summary>
    public int Start { get; init; }
    /// <summary>Number of mutants.</summary>
    public int Count { get; init; } = 10_000;
    /// <summary>Time limit of one generator run (a longer run is a "hang" finding).</summary>
    public TimeSpan TimeLimit { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Build and run the networks of mutants that compile.</summary>
    public bool RunModels { get; init; } = true;
    /// <summary>Print one line per mutant.</summary>
    public bool Verbose { get; init; }
    /// <summary>Folder for the mutants with findings (null: none written).</summary>
    public string? Output { get; init; }
}

/// <summary>The totals of a run.</summary>
public sealed class FuzzTotals
{
    /// <summary>Mutants checked.</summary>
    public int Mutants { get; set; }
    /// <summary>Mutants the generator rejected with an ND error.</summary>
    public int Rejected { get; set; }
    /// <summary>Mutants that compiled without any error.</summary>
    public int Compiled { get; set; }
    /// <summary>Networks and variants built, run and compared with their Summary.</summary>
    public int ModelsRun { get; set; }
    /// <summary>Networks and variants over the run budget.</summary>
    public int ModelsTooLarge { get; set; }
    /// <summary>Findings per kind (every kind listed, zeros included).</summary>
    public SortedDictionary<string, int> Findings { get; } = new(StringComparer.Ordinal);
    /// <summary>Some mutants with findings: index, finding.</summary>
    public List<(int Index, Finding Finding)> Examples { get; } = new();
    /// <summary>Mutations applied, per kind.</summary>
    public SortedDictionary<string, int> MutationKinds { get; } = new(StringComparer.Ordinal);
    /// <summary>ND diagnostics reported, per ID.</summary>
    public SortedDictionary<string, int> DiagnosticIds { get; } = new(StringComparer.Ordinal);
    /// <summary>Generator time per mutant, milliseconds.</summary>
    public List<double> GeneratorMilliseconds { get; } = new();
    /// <summary>The slowest mutant.</summary>
    public (int Index, double Milliseconds) Slowest { get; set; }
    /// <summary>Wall time of the run.</summary>
    public TimeSpan Elapsed { get; set; }

    /// <summary>Total findings of all kinds.</summary>
    public int TotalFindings => Findings.Values.Sum();

    /// <summary>The totals as lines of text.</summary>
    public override string ToString()
    {
        var s = new StringBuilder();
        var times = GeneratorMilliseconds.OrderBy(t => t).ToList();
        double Q(double q) => times.Count == 0 ? 0 : times[Math.Min(times.Count - 1, (int)(q * times.Count))];
        s.AppendLine(Inv($"mutants: {Mutants:N0} in {Elapsed.TotalMinutes:F1} min; rejected with an ND error: {Rejected:N0}; compiled without errors: {Compiled:N0}"));
        s.AppendLine(Inv($"networks and variants built, run forward and backward, compared with their Summary: {ModelsRun:N0} (over the run budget, compile-time checks only: {ModelsTooLarge:N0})"));
        s.AppendLine(Inv($"generator time per mutant: median {Q(0.5):F1} ms, 99th percentile {Q(0.99):F1} ms, max {Slowest.Milliseconds:F1} ms (mutant {Slowest.Index})"));
        s.AppendLine("findings: " + string.Join(", ", Findings.Select(kv => $"{kv.Key} {kv.Value}")));
        foreach (var (index, finding) in Examples.Take(40))
            s.AppendLine(CultureInfo.InvariantCulture, $"  mutant {index}: {finding.Kind}: {Shorten(finding.Message)}");
        s.AppendLine("mutation kinds (" + MutationKinds.Count + "): " + string.Join(", ", MutationKinds.Select(kv => $"{kv.Key} {kv.Value}")));
        s.AppendLine("ND diagnostics: " + string.Join(", ", DiagnosticIds.Select(kv => $"{kv.Key} {kv.Value}")));
        return s.ToString();
    }

    static string Inv(FormattableString f) => f.ToString(CultureInfo.InvariantCulture);
    static string Shorten(string m) { var line = m.Replace('\n', ' '); return line.Length > 400 ? line[..400] + "..." : line; }
}

/// <summary>Makes mutants from the seeds and checks them with the <see cref="Oracle"/>.</summary>
public static class Fuzzer
{
    static readonly Lazy<IReadOnlyList<Seed>> SeedList = new(Seeds.Load);

    /// <summary>Mutant <paramref name="index"/> of the stream <paramref name="seed"/>: a seed with 1 to 3 mutations.</summary>
    public static Mutant Make(int seed, int index)
    {
        var random = new Random(unchecked(seed * 1_000_003 + index));
        var seeds = SeedList.Value;
        var start = seeds[random.Next(seeds.Count)];
        var builder = new MutantBuilder(start, random);
        var applied = new List<string>();
        int count = 1 + random.Next(3);
        for (int attempt = 0; applied.Count < count && attempt < 20; attempt++)
        {
            var mutation = Mutations.All[random.Next(Mutations.All.Count)];
            if (mutation.Apply(builder)) applied.Add(mutation.Kind);
        }
        return builder.Build(index, start.Name, applied);
    }

    /// <summary>Runs the generator and the compiler once on a seed, so that timings that follow are not of JIT compilation.</summary>
    public static void WarmUp() =>
        new Oracle { TimeLimit = TimeSpan.FromMinutes(1), RunModels = false }.Check(new Mutant(-1, "warm-up", Array.Empty<string>(),
            new[] { new SourceFile("Seed.cs", SeedList.Value[0].Text) }, Microsoft.CodeAnalysis.CSharp.LanguageVersion.Latest));

    /// <summary>Checks every seed unmutated (also the warm-up of the generator and the compiler), then the mutants.</summary>
    public static FuzzTotals Run(FuzzOptions options, Action<string>? log = null)
    {
        var totals = new FuzzTotals();
        foreach (var kind in new[] { Findings.Crash, Findings.InternalError, Findings.ErrorInGeneratedFile, Findings.WarningInGeneratedFile, Findings.FieldWarning, Findings.Hang, Findings.SummaryMismatch })
            totals.Findings[kind] = 0;
        var oracle = new Oracle { TimeLimit = options.TimeLimit, RunModels = options.RunModels };
        var warmup = new Oracle { TimeLimit = TimeSpan.FromMinutes(1), RunModels = false };
        // The seeds themselves first (this also warms up the generator and the compiler): valid, and free of findings.
        foreach (var seed in SeedList.Value)
        {
            var outcome = warmup.Check(new Mutant(-1, seed.Name, Array.Empty<string>(), new[] { new SourceFile("Seed.cs", seed.Text) }, Microsoft.CodeAnalysis.CSharp.LanguageVersion.Latest));
            if (outcome.Rejected) outcome.Findings.Add(new Finding(Findings.ErrorInGeneratedFile, $"seed {seed.Name} is rejected: {string.Join(", ", outcome.DiagnosticIds)}"));
            foreach (var kind in outcome.Findings.Select(f => f.Kind).Distinct()) totals.Findings[kind]++;
            foreach (var finding in outcome.Findings.Take(1)) totals.Examples.Add((-1, finding with { Message = $"seed {seed.Name}: {finding.Message}" }));
        }
        var clock = Stopwatch.StartNew();
        for (int i = options.Start; i < options.Start + options.Count; i++)
        {
            var mutant = Make(options.Seed, i);
            // If the process dies in native code (LibTorch), this file names the mutant that was being checked.
            if (options.Output is not null)
            {
                Directory.CreateDirectory(options.Output);
                File.WriteAllText(Path.Combine(options.Output, "last-mutant.cs"), mutant.ToString());
            }
            Outcome outcome;
            try
            {
                outcome = oracle.Check(mutant);
            }
            catch (TimeoutException e)
            {
                // The generator ignores cancellation: nothing more can be trusted in this process.
                totals.Findings[Findings.Hang]++;
                totals.Examples.Add((i, new Finding(Findings.Hang, e.Message)));
                Save(options, mutant, new[] { new Finding(Findings.Hang, e.Message) });
                log?.Invoke($"mutant {i}: {e.Message}; stopping");
                break;
            }
            totals.Mutants++;
            if (options.Verbose)
                log?.Invoke(FormattableString.Invariant($"{i} {mutant.Seed} [{string.Join(", ", mutant.Mutations)}]: generator {outcome.GeneratorMilliseconds:F0} ms, compile {outcome.CompileMilliseconds:F0} ms, run {outcome.RunMilliseconds:F0} ms ({outcome.ModelsRun} models, {outcome.ModelsTooLarge} too large){(outcome.Rejected ? " rejected " + string.Join(",", outcome.DiagnosticIds.Distinct()) : "")}{string.Concat(outcome.Findings.Select(f => "; " + f.Kind))}"));
            if (outcome.Rejected) totals.Rejected++;
            if (outcome.Compiled) totals.Compiled++;
            totals.ModelsRun += outcome.ModelsRun;
            totals.ModelsTooLarge += outcome.ModelsTooLarge;
            totals.GeneratorMilliseconds.Add(outcome.GeneratorMilliseconds);
            if (outcome.GeneratorMilliseconds > totals.Slowest.Milliseconds) totals.Slowest = (i, outcome.GeneratorMilliseconds);
            foreach (var kind in mutant.Mutations) totals.MutationKinds[kind] = totals.MutationKinds.GetValueOrDefault(kind) + 1;
            foreach (var id in outcome.DiagnosticIds.Distinct()) totals.DiagnosticIds[id] = totals.DiagnosticIds.GetValueOrDefault(id) + 1;
            foreach (var kind in outcome.Findings.Select(f => f.Kind).Distinct()) totals.Findings[kind]++;
            if (outcome.Findings.Count > 0)
            {
                totals.Examples.Add((i, outcome.Findings[0]));
                Save(options, mutant, outcome.Findings);
            }
            if (log is not null && (i - options.Start + 1) % 500 == 0)
                log($"{i - options.Start + 1} mutants, {totals.TotalFindings} with findings, {clock.Elapsed.TotalMinutes:F1} min");
        }
        totals.Elapsed = clock.Elapsed;
        if (options.Output is not null) File.Delete(Path.Combine(options.Output, "last-mutant.cs"));
        return totals;
    }

    static void Save(FuzzOptions options, Mutant mutant, IEnumerable<Finding> findings)
    {
        if (options.Output is null) return;
        Directory.CreateDirectory(options.Output);
        var text = string.Concat(findings.Select(f => $"// {f.Kind}: {f.Message.Replace("\n", "\n//   ")}\n")) + mutant;
        File.WriteAllText(Path.Combine(options.Output, $"mutant-{mutant.Index:D5}.cs"), text);
    }
}
