using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace NetDsl.Fuzzing;

/// <summary>One starting point for mutants: a network declaration with the blocks it uses, as a file of its own.</summary>
/// <param name="Name">Where it comes from: <c>ResNets.cs:ResNet18</c>.</param>
/// <param name="Text">The source: the original file's usings and namespace, the blocks, the network.</param>
public sealed record Seed(string Name, string Text);

/// <summary>
/// The seeds: every [Network] of the example architectures (examples/Architectures), of the CLI's experiments
/// (src/NetDsl.Experiments/Comparisons/Networks.cs) and of the fuzzer's own seed files (tests/NetDsl.Fuzzing/SeedNetworks:
/// the normalization family, which the examples do not use), each cut out of its file together with the blocks its stages
/// use, so that one mutant compiles and runs one network (and its variants), not a whole file of them.
/// </summary>
public static class Seeds
{
    /// <summary>The seed files, relative to the repository root.</summary>
    public static IReadOnlyList<string> Files()
    {
        var root = Compilations.RepoRoot();
        return Directory.GetFiles(Path.Combine(root, "examples", "Architectures"), "*.cs").OrderBy(f => f, StringComparer.Ordinal)
            .Append(Path.Combine(root, "src", "NetDsl.Experiments", "Comparisons", "Networks.cs"))
            .Concat(Directory.GetFiles(Path.Combine(root, "tests", "NetDsl.Fuzzing", "SeedNetworks"), "*.cs").OrderBy(f => f, StringComparer.Ordinal))
            .Select(f => Path.GetRelativePath(root, f)).ToList();
    }

    /// <summary>Every network of the seed files with its blocks, in file order.</summary>
    public static IReadOnlyList<Seed> Load()
    {
        var root = Compilations.RepoRoot();
        var seeds = new List<Seed>();
        foreach (var file in Files())
            seeds.AddRange(Split(Path.GetFileName(file), File.ReadAllText(Path.Combine(root, file))));
        return seeds;
    }

    /// <summary>Cuts one file into one seed per [Network] class.</summary>
    public static IEnumerable<Seed> Split(string fileName, string text)
    {
        var unit = (CompilationUnitSyntax)CSharpSyntaxTree.ParseText(text).GetRoot();
        var ns = unit.DescendantNodes().OfType<BaseNamespaceDeclarationSyntax>().FirstOrDefault();
        var classes = unit.DescendantNodes().OfType<ClassDeclarationSyntax>().ToList();
        var byName = classes.GroupBy(c => c.Identifier.ValueText).ToDictionary(g => g.Key, g => g.First());
        var usings = string.Concat(unit.Usings.Select(u => u.ToFullString()));
        foreach (var network in classes.Where(c => HasAttribute(c, "Network")))
        {
            var used = new List<ClassDeclarationSyntax>();
            void Use(ClassDeclarationSyntax c)
            {
                foreach (var generic in c.Members.OfType<FieldDeclarationSyntax>().SelectMany(f => f.Declaration.Type.DescendantNodesAndSelf().OfType<GenericNameSyntax>()))
                    foreach (var argument in generic.TypeArgumentList.Arguments)
                        if (byName.TryGetValue(argument.ToString(), out var block) && !used.Contains(block) && block != network)
                        {
                            Use(block);
                            used.Add(block);
                        }
            }
            Use(network);
            var body = string.Concat(used.Append(network).Select(c => c.ToFullString().TrimEnd() + "\n\n"));
            yield return new Seed($"{fileName}:{network.Identifier.ValueText}",
                usings + (ns is null ? "" : $"\nnamespace {ns.Name};\n") + "\n" + body);
        }
    }

    static bool HasAttribute(MemberDeclarationSyntax m, string name) =>
        m.AttributeLists.SelectMany(l => l.Attributes).Any(a => a.Name.ToString() == name);
}
