using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using NetDsl.Generators;

namespace NetDsl.Fuzzing;

/// <summary>Something the fuzzer found wrong with one mutant.</summary>
/// <param name="Kind">One of <see cref="Findings"/>.</param>
/// <param name="Message">What exactly, with the diagnostic or the numbers.</param>
public sealed record Finding(string Kind, string Message);

/// <summary>The kinds of finding; every one must stay at zero.</summary>
public static class Findings
{
    /// <summary>The generator threw (Roslyn would drop every generated file of the project: CS8785).</summary>
    public const string Crash = "crash";
    /// <summary>The generator caught an exception of its own and reported ND0999.</summary>
    public const string InternalError = "internal-error";
    /// <summary>An error located in a generated file.</summary>
    public const string ErrorInGeneratedFile = "error-in-generated-file";
    /// <summary>A warning located in a generated file (a project with warnings as errors would fail).</summary>
    public const string WarningInGeneratedFile = "warning-in-generated-file";
    /// <summary>CS0169/CS0649/CS0414/CS8618 left on a NetDsl layer field (the suppressor should remove them).</summary>
    public const string FieldWarning = "field-warning";
    /// <summary>The generator ran longer than the time limit on one mutant.</summary>
    public const string Hang = "hang";
    /// <summary>A built network or variant differs from its compile-time Summary, or fails to build, run or back-propagate.</summary>
    public const string SummaryMismatch = "summary-mismatch";
}

/// <summary>What one mutant gave: findings, the generator's time, and what ran.</summary>
public sealed class Outcome
{
    /// <summary>Everything wrong (empty for a good mutant).</summary>
    public List<Finding> Findings { get; } = new();
    /// <summary>The generator's own time (Roslyn's timing of this generator), milliseconds.</summary>
    public double GeneratorMilliseconds { get; set; }
    /// <summary>Time to compile the mutant with its generated code (emit), milliseconds.</summary>
    public double CompileMilliseconds { get; set; }
    /// <summary>Time to load, build and run its models, milliseconds.</summary>
    public double RunMilliseconds { get; set; }
    /// <summary>The mutant compiled with its generated code without any error.</summary>
    public bool Compiled { get; set; }
    /// <summary>The generator reported an ND error (the mutant is invalid NetDsl).</summary>
    public bool Rejected { get; set; }
    /// <summary>Networks and variants built, run forward and backward, and compared with their Summary.</summary>
    public int ModelsRun { get; set; }
    /// <summary>Networks or variants over the run budget (checked at compile time only).</summary>
    public int ModelsTooLarge { get; set; }
    /// <summary>ND diagnostic IDs reported.</summary>
    public List<string> DiagnosticIds { get; } = new();
    /// <summary>The generated files by hint name (for <c>show --generated</c>).</summary>
    public Dictionary<string, string> Generated { get; } = new();
}

/// <summary>
/// Checks one mutant: runs the generator as the compiler does (no exception, within the time limit), compiles the
/// result (no error or warning inside a generated file, no unsuppressed warning on a NetDsl field), and when it
/// compiles without errors, loads it, builds every network and variant, runs forward and backward on a random
/// input of its [Input] shape, and compares output shape, parameters, module kinds and call order with its
/// compile-time Summary.
/// </summary>
public sealed class Oracle
{
    /// <summary>Largest model (parameters) the run check builds; larger ones are checked at compile time only.</summary>
    public const long MaxRunParameters = 20_000_000;
    /// <summary>Largest model (multiply-accumulates per sample) the run check runs.</summary>
    public const long MaxRunMacs = 2_000_000_000;

    static readonly ImmutableArray<DiagnosticAnalyzer> Analyzers = typeof(NetworkGenerator).Assembly.GetTypes()
        .Where(t => typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && !t.IsAbstract)
        .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!).ToImmutableArray();

    static readonly string[] FieldWarningIds = { "CS0169", "CS0649", "CS0414", "CS8618" };

    /// <summary>Time limit of one generator run.</summary>
    public TimeSpan TimeLimit { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Whether to build and run the networks that compile.</summary>
    public bool RunModels { get; init; } = true;

    /// <summary>Checks <paramref name="mutant"/>; throws <see cref="TimeoutException"/> when the generator does not stop even when cancelled.</summary>
    public Outcome Check(Mutant mutant)
    {
        var outcome = new Outcome();
        var parse = Compilations.Parse(mutant.Version);
        var compilation = Compilations.Create(mutant.Files.Select(f => CSharpSyntaxTree.ParseText(f.Text, parse, path: f.Path)));
        GeneratorDriver driver = CSharpGeneratorDriver.Create(new[] { new NetworkGenerator().AsSourceGenerator() }, parseOptions: parse);

        // The generator runs on a worker thread so that a hang is seen (and cancelled) instead of stalling the fuzzer.
        Compilation? output = null;
        ImmutableArray<Diagnostic> generatorDiagnostics = default;
        using var cancel = new CancellationTokenSource();
        var task = Task.Run(() => driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out output, out generatorDiagnostics, cancel.Token));
        var hardLimit = TimeSpan.FromTicks(Math.Max(TimeLimit.Ticks * 10, TimeSpan.FromSeconds(30).Ticks));
        if (!task.Wait(hardLimit))
        {
            cancel.Cancel();
            if (!task.Wait(TimeSpan.FromSeconds(10)))
                throw new TimeoutException($"the generator ran over {hardLimit.TotalSeconds:F0} s and did not stop when cancelled");
            outcome.Findings.Add(new Finding(Findings.Hang, $"over {hardLimit.TotalSeconds:F0} s; stopped by cancellation"));
            return outcome;
        }
        if (task.IsFaulted)
        {
            outcome.Findings.Add(new Finding(Findings.Crash, "the driver threw: " + task.Exception!.InnerException));
            return outcome;
        }
        var run = driver.GetRunResult();
        var timing = driver.GetTimingInfo().GeneratorTimes.FirstOrDefault();
        outcome.GeneratorMilliseconds = timing.ElapsedTime.TotalMilliseconds;
        if (timing.ElapsedTime > TimeLimit)
            outcome.Findings.Add(new Finding(Findings.Hang, $"the generator took {outcome.GeneratorMilliseconds:F0} ms (limit {TimeLimit.TotalMilliseconds:F0} ms)"));
        foreach (var result in run.Results)
            if (result.Exception is not null)
                outcome.Findings.Add(new Finding(Findings.Crash, result.Exception.ToString()));
        foreach (var d in generatorDiagnostics)
        {
            if (d.Id == "CS8785") outcome.Findings.Add(new Finding(Findings.Crash, d.ToString()));
            if (d.Id == "ND0999") outcome.Findings.Add(new Finding(Findings.InternalError, d.ToString()));
            if (d.Id.StartsWith("ND", StringComparison.Ordinal)) outcome.DiagnosticIds.Add(d.Id);
            if (d.Id.StartsWith("ND", StringComparison.Ordinal) && d.Severity == DiagnosticSeverity.Error) outcome.Rejected = true;
        }
        if (outcome.Findings.Any(f => f.Kind == Findings.Crash) || output is null) return outcome;

        var generated = new HashSet<SyntaxTree>(run.GeneratedTrees);
        foreach (var source in run.Results.SelectMany(r => r.GeneratedSources)) outcome.Generated[source.HintName] = source.SourceText.ToString();
        using var image = new MemoryStream();
        var clock = Stopwatch.StartNew();
        var emit = output.Emit(image);
        outcome.CompileMilliseconds = clock.Elapsed.TotalMilliseconds;
        foreach (var d in emit.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning && !d.IsSuppressed))
        {
            if (d.Location.SourceTree is { } tree && generated.Contains(tree))
                outcome.Findings.Add(new Finding(d.Severity == DiagnosticSeverity.Error ? Findings.ErrorInGeneratedFile : Findings.WarningInGeneratedFile, d.ToString()));
        }
        var fieldWarnings = emit.Diagnostics.Where(d => FieldWarningIds.Contains(d.Id) && d.Location.SourceTree is { } t && !generated.Contains(t) && OnLayerField(d)).ToList();
        if (fieldWarnings.Count > 0)
        {
            // The suppressor runs with analyzers, as in a build: the warnings must come back suppressed.
            var analyzed = Analyzers.IsEmpty ? emit.Diagnostics
                : output.WithAnalyzers(Analyzers).GetAllDiagnosticsAsync().GetAwaiter().GetResult();
            foreach (var d in analyzed.Where(d => FieldWarningIds.Contains(d.Id) && !d.IsSuppressed && d.Location.SourceTree is { } t && !generated.Contains(t) && OnLayerField(d)))
                outcome.Findings.Add(new Finding(Findings.FieldWarning, d.ToString()));
        }
        // ND errors fail a build as C# errors do: only a mutant free of both has models to run.
        outcome.Compiled = emit.Success && !outcome.Rejected;
        if (!outcome.Compiled || !RunModels) return outcome;
        clock.Restart();
        ModelRun.Check(image.ToArray(), outcome);
        outcome.RunMilliseconds = clock.Elapsed.TotalMilliseconds;
        return outcome;
    }

    /// <summary>The mutant compiled with its generated code, or null when it has errors (for <c>stress</c>).</summary>
    public static byte[]? Compile(Mutant mutant)
    {
        var parse = Compilations.Parse(mutant.Version);
        var compilation = Compilations.Create(mutant.Files.Select(f => CSharpSyntaxTree.ParseText(f.Text, parse, path: f.Path)));
        CSharpGeneratorDriver.Create(new[] { new NetworkGenerator().AsSourceGenerator() }, parseOptions: parse)
            .RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        using var image = new MemoryStream();
        return diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error) || !output.Emit(image).Success ? null : image.ToArray();
    }

    /// <summary>Whether a diagnostic sits on (or names) a field with an attribute in a class marked [Network] or [Block].</summary>
    static bool OnLayerField(Diagnostic d)
    {
        var node = d.Location.SourceTree!.GetRoot().FindNode(d.Location.SourceSpan);
        var type = node.AncestorsAndSelf().OfType<TypeDeclarationSyntax>().FirstOrDefault();
        if (type is null || !type.AttributeLists.SelectMany(l => l.Attributes).Any(a => a.Name.ToString() is "Network" or "Block")) return false;
        var field = node.AncestorsAndSelf().OfType<FieldDeclarationSyntax>().FirstOrDefault();
        if (field is not null) return field.AttributeLists.Count > 0;
        // CS8618 at a constructor names the field: "Non-nullable field 'fc' must contain ...".
        var message = d.GetMessage(CultureInfo.InvariantCulture);
        int open = message.IndexOf('\''), close = open < 0 ? -1 : message.IndexOf('\'', open + 1);
        if (close < 0) return false;
        var name = message[(open + 1)..close];
        return type.Members.OfType<FieldDeclarationSyntax>().Any(f => f.AttributeLists.Count > 0 && f.Declaration.Variables.Any(v => v.Identifier.ValueText == name));
    }
}
