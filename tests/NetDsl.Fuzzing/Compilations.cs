using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace NetDsl.Fuzzing;

/// <summary>What every fuzzed compilation shares: references, options, the seed files.</summary>
public static class Compilations
{
    static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        var tpa = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var paths = tpa.Concat(new[] { typeof(NetworkAttribute).Assembly.Location, typeof(TorchSharp.torch).Assembly.Location }).Distinct();
        return paths.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToImmutableArray();
    });

    /// <summary>The repository root, found from this source file's path.</summary>
    public static string RepoRoot([System.Runtime.CompilerServices.CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", ".."));

    /// <summary>Parse options of the fuzzed compilations: documentation comments checked, as with GenerateDocumentationFile.</summary>
    public static CSharpParseOptions Parse(LanguageVersion version = LanguageVersion.Latest) =>
        new(version, DocumentationMode.Diagnose);

    /// <summary>A library compilation of <paramref name="trees"/> against .NET, NetDsl and TorchSharp, nullable enabled.</summary>
    public static CSharpCompilation Create(IEnumerable<SyntaxTree> trees) =>
        CSharpCompilation.Create("Mutant", trees, References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
}
