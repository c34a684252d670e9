using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Xunit;

namespace NetDsl.Generators.Tests;

/// <summary>The diagnostic catalog, docs/diagnostics.md and the analyzer release file agree.</summary>
public class CatalogTests
{
    static DiagnosticDescriptor[] Catalog()
    {
        var type = typeof(NetworkGenerator).Assembly.GetType("NetDsl.Generators.Diagnostics.DiagnosticDescriptors")!;
        return ((System.Collections.Generic.IReadOnlyList<DiagnosticDescriptor>)type.GetField("All", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!).ToArray();
    }

    [Fact]
    public void IDs_are_unique_stable_and_errors()
    {
        var catalog = Catalog();
        Assert.Equal(catalog.Length, catalog.Select(d => d.Id).Distinct().Count());
        Assert.All(catalog, d => Assert.Matches(@"^ND\d{4}$", d.Id));
        // Errors, except the informational messages about skipped variant combinations and a block without the network's policies.
        string[] infos = ["ND0027", "ND0040"];
        Assert.All(catalog.Where(d => !infos.Contains(d.Id)), d => Assert.Equal(DiagnosticSeverity.Error, d.DefaultSeverity));
        Assert.All(catalog.Where(d => infos.Contains(d.Id)), d => Assert.Equal(DiagnosticSeverity.Info, d.DefaultSeverity));
    }

    [Fact]
    public void Every_ID_is_documented_with_an_example_and_a_fix()
    {
        var doc = File.ReadAllText(Path.Combine(GeneratorHarness.RepoRoot(), "docs", "diagnostics.md"));
        var sections = Regex.Split(doc, @"^## ", RegexOptions.Multiline).Skip(1).ToDictionary(s => s.Substring(0, 6), s => s);
        foreach (var d in Catalog())
        {
            Assert.True(sections.ContainsKey(d.Id), $"docs/diagnostics.md has no section for {d.Id}");
            Assert.Contains("```csharp", sections[d.Id]);
            Assert.Contains("Fix:", sections[d.Id]);
        }
        Assert.Equal(Catalog().Select(d => d.Id).OrderBy(i => i), sections.Keys.OrderBy(i => i));
    }

    [Fact]
    public void Every_ID_is_in_the_analyzer_release_file()
    {
        var release = File.ReadAllText(Path.Combine(GeneratorHarness.RepoRoot(), "generators", "NetDsl.Generators", "AnalyzerReleases.Unshipped.md"));
        var listed = Regex.Matches(release, @"^(ND\d{4}) ", RegexOptions.Multiline).Select(m => m.Groups[1].Value).OrderBy(i => i);
        Assert.Equal(Catalog().Select(d => d.Id).OrderBy(i => i), listed);
    }
}
