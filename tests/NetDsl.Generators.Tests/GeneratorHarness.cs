using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using NetDsl.Generators;

namespace NetDsl.Generators.Tests;

/// <summary>Runs the generator over source text in memory, the way the compiler does.</summary>
internal static class GeneratorHarness
{
    static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        var tpa = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var paths = tpa.Concat(new[] { typeof(NetworkAttribute).Assembly.Location, typeof(TorchSharp.torch).Assembly.Location }).Distinct();
        return paths.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToImmutableArray();
    });

    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    /// <summary>The repository root, found from this source file's path.</summary>
    public static string RepoRoot([System.Runtime.CompilerServices.CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", ".."));

    /// <summary>The source files of the example architectures (examples/Architectures/*.cs).</summary>
    public static string[] ExampleSources() =>
        Directory.GetFiles(Path.Combine(RepoRoot(), "examples", "Architectures"), "*.cs").OrderBy(f => f, StringComparer.Ordinal)
            .Select(File.ReadAllText).ToArray();

    public static CSharpCompilation Compile(params string[] sources) => Compile(ParseOptions, sources);

    public static CSharpCompilation Compile(CSharpParseOptions options, params string[] sources) =>
        CSharpCompilation.Create("UserAssembly",
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, options, path: $"File{i}.cs")),
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver CreateDriver() => CreateDriver(ParseOptions);

    public static GeneratorDriver CreateDriver(CSharpParseOptions options) =>
        CSharpGeneratorDriver.Create(new[] { new NetworkGenerator().AsSourceGenerator() }, parseOptions: options,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator; returns the generator's diagnostics, the generated sources, and the diagnostics of the compilation with them.</summary>
    public static Result Run(params string[] sources) => Run(ParseOptions, sources);

    /// <summary>Runs the generator at a language version (and with the other parse options) of <paramref name="options"/>.</summary>
    public static Result Run(CSharpParseOptions options, params string[] sources)
    {
        var compilation = Compile(options, sources);
        var driver = CreateDriver(options).RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        var run = driver.GetRunResult();
        foreach (var r in run.Results)
            if (r.Exception is not null) throw new InvalidOperationException("the generator threw", r.Exception);
        // As in a build: the compiler's diagnostics with the generator assembly's suppressor applied, and the repository's
        // analyzers (generated code never hands TorchSharp a temporary Scalar: NDA0001).
        var diagnostics = output.WithAnalyzers(ImmutableArray.Create<Microsoft.CodeAnalysis.Diagnostics.DiagnosticAnalyzer>(
                new NetDsl.Generators.Diagnostics.UnbuiltLayerSuppressor(), new NetDsl.Analyzers.TemporaryScalarAnalyzer()))
            .GetAllDiagnosticsAsync().GetAwaiter().GetResult();
        return new Result(
            generatorDiagnostics,
            run.Results.SelectMany(r => r.GeneratedSources).ToDictionary(s => s.HintName, s => s.SourceText.ToString()),
            diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning && !d.IsSuppressed).ToImmutableArray(),
            run.GeneratedTrees.Select(t => t.FilePath).ToImmutableHashSet());
    }

    public sealed record Result(ImmutableArray<Diagnostic> GeneratorDiagnostics, Dictionary<string, string> Sources, ImmutableArray<Diagnostic> CompilationDiagnostics,
        ImmutableHashSet<string> GeneratedPaths)
    {
        /// <summary>Compiler diagnostics (warnings and errors) located in generated files: there must be none, ever.</summary>
        public IEnumerable<Diagnostic> InGeneratedFiles => CompilationDiagnostics.Where(d => d.Location.SourceTree is { } t && GeneratedPaths.Contains(t.FilePath));
    }
}
