using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace NetDsl.Fuzzing;

/// <summary>One source file of a mutant.</summary>
public sealed record SourceFile(string Path, string Text);

/// <summary>A mutant: the seed it came from, the mutations applied (by kind), its files and the language version it compiles at.</summary>
public sealed record Mutant(int Index, string Seed, IReadOnlyList<string> Mutations, IReadOnlyList<SourceFile> Files, LanguageVersion Version)
{
    /// <summary>The mutant as one text: a header naming it, then every file.</summary>
    public override string ToString() =>
        $"// mutant {Index} of seed {Seed}: {string.Join(", ", Mutations)}; C# {Version.ToDisplayString()}\n"
        + string.Concat(Files.Select(f => $"// ---- {f.Path}\n{f.Text}\n"));
}

/// <summary>A mutant under construction: its files as text, edited by span, re-parsed on demand.</summary>
public sealed class MutantBuilder
{
    readonly List<SourceFile> files;

    /// <summary>Starts from <paramref name="seed"/> in one file.</summary>
    public MutantBuilder(Seed seed, Random random)
    {
        Random = random;
        files = new List<SourceFile> { new("Mutant0.cs", seed.Text) };
    }

    /// <summary>The mutant's random source.</summary>
    public Random Random { get; }

    /// <summary>The language version the mutant compiles at.</summary>
    public LanguageVersion Version { get; set; } = LanguageVersion.Latest;

    /// <summary>The files so far.</summary>
    public IReadOnlyList<SourceFile> Files => files;

    /// <summary>File <paramref name="i"/> parsed.</summary>
    public CompilationUnitSyntax Root(int i = 0) => (CompilationUnitSyntax)CSharpSyntaxTree.ParseText(files[i].Text).GetRoot();

    /// <summary>Replaces <paramref name="span"/> of file <paramref name="file"/> with <paramref name="text"/>.</summary>
    public void Replace(TextSpan span, string text, int file = 0) =>
        files[file] = files[file] with { Text = SourceText.From(files[file].Text).WithChanges(new TextChange(span, text)).ToString() };

    /// <summary>Replaces a node's text (without its trivia).</summary>
    public void Replace(SyntaxNode node, string text, int file = 0) => Replace(node.Span, text, file);

    /// <summary>Inserts text at a position.</summary>
    public void Insert(int position, string text, int file = 0) => Replace(new TextSpan(position, 0), text, file);

    /// <summary>Sets the whole text of a file.</summary>
    public void SetText(string text, int file = 0) => files[file] = files[file] with { Text = text };

    /// <summary>Adds a file; returns its index.</summary>
    public int AddFile(string text)
    {
        files.Add(new SourceFile($"Mutant{files.Count}.cs", text));
        return files.Count - 1;
    }

    /// <summary>A random element of a non-empty list.</summary>
    public T Pick<T>(IReadOnlyList<T> items) => items[Random.Next(items.Count)];

    /// <summary>True with probability <paramref name="p"/>.</summary>
    public bool Chance(double p) => Random.NextDouble() < p;

    /// <summary>Picks a random element, or returns false when there is none.</summary>
    public bool TryPick<T>(IEnumerable<T> items, out T picked)
    {
        var list = items.ToList();
        picked = list.Count == 0 ? default! : list[Random.Next(list.Count)];
        return list.Count > 0;
    }

    /// <summary>The namespace name of file 0 ("Demo" when none).</summary>
    public string Namespace() => Root().DescendantNodes().OfType<BaseNamespaceDeclarationSyntax>().FirstOrDefault()?.Name.ToString() ?? "Demo";

    /// <summary>Builds the mutant.</summary>
    public Mutant Build(int index, string seed, IReadOnlyList<string> mutations) => new(index, seed, mutations, files.ToList(), Version);
}
