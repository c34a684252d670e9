using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;

namespace NetDsl.Generators.Naming;

/// <summary>
/// The names of generated files. Roslyn compares hint names ignoring case, and a duplicate throws outside any
/// generator code (every generated file of the project is then dropped), so the names are unique by construction
/// across every kind of file the generator adds (networks, blocks, stubs, variant registries, variant types):
/// <list type="bullet">
/// <item>A file's name is its type's path (namespaces, then the type) and a suffix from a fixed vocabulary
/// (<c>.g.cs</c>, <c>.Variants.g.cs</c>, <c>.Variants.&lt;variant&gt;.g.cs</c>) whose words differ from each other
/// even ignoring case.</item>
/// <item>Characters other than ASCII letters, digits and '_' are written <c>-uXXXX</c> (UTF-16 code, lowercase hex),
/// so only ASCII letters can differ in case.</item>
/// <item>Two paths that are equal ignoring case but name different files first differ at a segment whose parent is
/// the same; there the two segments are different symbols (namespaces or types) with names equal ignoring case:
/// "case twins". When any segment of a type's path has a case twin, the type's files carry a mark
/// <c>-c&lt;segments&gt;x&lt;hex&gt;</c>: the number of segments and a bit per ASCII letter saying whether it is
/// upper case. Twins both carry marks, and the marks differ.</item>
/// </list>
/// Types without twins keep readable names (<c>Demo.Net.g.cs</c>).
/// </summary>
internal static class HintNames
{
    /// <summary>The file-name stem of a type's files: <c>Demo.Net</c>, or <c>Demo.Net-c2x5</c> when it has case twins.</summary>
    public static string Stem(INamedTypeSymbol type, System.Threading.CancellationToken ct)
    {
        var segments = new List<ISymbol>();
        for (var ns = type.ContainingNamespace; ns is { IsGlobalNamespace: false }; ns = ns.ContainingNamespace) segments.Insert(0, ns);
        segments.Add(type);
        var path = string.Join(".", segments.Select(s => Escape(s.Name)));
        if (!segments.Any(s => HasCaseTwin(s, ct))) return path;
        // One bit per ASCII letter of the escaped path (escapes are lowercase and never differ in case).
        var bits = new StringBuilder();
        int nibble = 0, count = 0;
        foreach (char c in path)
        {
            if (!(c is >= 'a' and <= 'z' or >= 'A' and <= 'Z')) continue;
            nibble = nibble << 1 | (c is >= 'A' and <= 'Z' ? 1 : 0);
            if (++count % 4 == 0) { bits.Append(nibble.ToString("x", CultureInfo.InvariantCulture)); nibble = 0; }
        }
        if (count % 4 != 0) bits.Append(nibble.ToString("x", CultureInfo.InvariantCulture));
        return path + "-c" + segments.Count.ToString(CultureInfo.InvariantCulture) + "x" + bits;
    }

    /// <summary>The file of a network, block or stub.</summary>
    public static string Unit(string stem) => stem + ".g.cs";

    /// <summary>The file of a network's variant registry.</summary>
    public static string Registry(string stem) => stem + ".Variants.g.cs";

    /// <summary>The file of one variant type.</summary>
    public static string Variant(string stem, string variantTypeName) => stem + ".Variants." + Escape(variantTypeName) + ".g.cs";

    /// <summary>A name with everything but ASCII letters, digits and '_' written as <c>-uXXXX</c>.</summary>
    public static string Escape(string name)
    {
        var s = new StringBuilder(name.Length);
        foreach (char c in name)
        {
            if (c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '_') s.Append(c);
            else s.Append("-u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
        }
        return s.ToString();
    }

    /// <summary>Whether another namespace or type in the same parent has a name equal to this one's ignoring case.</summary>
    static bool HasCaseTwin(ISymbol symbol, System.Threading.CancellationToken ct)
    {
        var parent = symbol.ContainingNamespace;
        if (parent is null) return false;
        var name = Escape(symbol.Name);
        foreach (var sibling in parent.GetMembers())
        {
            ct.ThrowIfCancellationRequested();
            if (sibling.Name.Length == symbol.Name.Length && !SymbolEqualityComparer.Default.Equals(sibling, symbol) && string.Equals(Escape(sibling.Name), name, System.StringComparison.OrdinalIgnoreCase))
                return true;
        }
        return false;
    }
}
