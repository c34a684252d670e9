using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis.CSharp;
using NetDsl.Generators.Model;
using NetDsl.Generators.Planning;

namespace NetDsl.Generators.Naming;

/// <summary>
/// The names generated code introduces, and how they are kept from clashing with user names:
/// <list type="bullet">
/// <item>Types and namespaces are always written with <c>global::</c>, so user types named <c>System</c>,
/// <c>TorchSharp</c>, <c>Tensor</c> or <c>var</c> never change what generated code means; locals have explicit
/// types (no <c>var</c>).</item>
/// <item>Members of the module are always written <c>this.name</c>, so locals and parameters (<c>x</c>, <c>y</c>,
/// <c>branch</c>, <c>shortcut</c>, <c>sum</c>, <c>scope</c>, <c>inChannels</c>...) never meet user fields.</item>
/// <item>Members the generator adds to a user's class (<see cref="Members"/>) must not equal a user member (ND0018)
/// nor the class's own name (ND0035): those are diagnostics, because a user would notice a renamed module.</item>
/// <item>Names only generated code sees (the types of blocks nested in a variant) are made unique with
/// <see cref="Unique"/>.</item>
/// </list>
/// </summary>
internal static class Identifiers
{
    /// <summary>
    /// The first line after a generated file's header: the user's type names are declared again in generated code (partial
    /// parts, blocks nested in variants), and C# warns about an all-lower-case one (CS8981) in every file that declares it,
    /// which a warnings-as-errors build cannot suppress in generated files.
    /// </summary>
    public const string LowerCaseTypeNames = "#pragma warning disable CS8981 // type names are the user's own (an all-lower-case one is declared again here)";

    public const string Forward = "forward";
    public const string Tap = "Tap";
    public const string Probe = "netdslProbe";
    public const string Prefix = "netdslPrefix";
    public const string Summary = "Summary";
    public const string Variants = "Variants";
    /// <summary>The constant holding a network's PyTorch source.</summary>
    public const string PyTorchSource = "PyTorchSource";
    public const string Downsample = "downsample";
    public const string ZeroPadStride = "zeroPadStride";
    public const string ZeroPadChannels = "zeroPadChannels";
    /// <summary>The static TorchSharp Scalar holding a residual block's branch scale.</summary>
    public const string BranchScale = "netdslBranchScale";
    /// <summary>The final normalization (of the variant's kind) a pre-activation variant adds after the last stage.</summary>
    public const string FinalNorm = "bn_final";

    /// <summary>The final activation a pre-activation variant adds after the last stage: <c>relu_final</c>.</summary>
    public static string FinalActivation(Nonlinearity kind) => Kinds.Layers.Activation.Field(kind) + "_final";

    /// <summary>
    /// A C# identifier: keywords and contextual keywords escaped with @ (a field declared <c>@class</c> is named "class";
    /// a class named <c>required</c> or <c>record</c> would read as a modifier or draw CS8860 where generated code names
    /// it). Contextual keywords newer than the Roslyn the generator is built against are listed by hand.
    /// </summary>
    public static string Id(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(name) != SyntaxKind.None || NewerContextualKeywords.Contains(name)
            ? "@" + name : name;

    /// <summary>Contextual keywords of C# versions after the Roslyn this generator references (4.11, C# 13).</summary>
    static readonly HashSet<string> NewerContextualKeywords = new() { "field", "extension", "allows" };

    /// <summary>A dotted name (namespace) with each part escaped.</summary>
    public static string Dotted(string name) => string.Join(".", name.Split('.').Select(Id));

    /// <summary>
    /// Every member the generator adds to a unit's class, with what it is (for messages): implied BatchNorms, shared
    /// activations, the shortcut, forward, the tap helpers, and for networks the Summary (and the Variants registry).
    /// </summary>
    public static List<(string Name, string What)> Members(UnitSchedule schedule, IReadOnlyList<LayerSpec> layers, bool isNetwork, bool hasVariants)
    {
        var generated = new List<(string Name, string What)>();
        generated.AddRange(schedule.NormNames.Select(kv => (kv.Value, "the " + Kinds.Normalization.Norms.Of(schedule.Norms[kv.Key].Kind).Name + " of '" + layers[kv.Key].Name + "'")));
        generated.AddRange(schedule.ActivationModules().Select(a => (Kinds.Layers.Activation.Field(a.Kind), "the shared " + a.Kind + " module")));
        if (schedule.Residual is { Shortcut: ShortcutKind.Auto or ShortcutKind.Projection }) generated.Add((Downsample, "the projection shortcut"));
        if (schedule.Residual is { Shortcut: ShortcutKind.ZeroPad })
        {
            generated.Add((ZeroPadStride, "the zero-padding shortcut's stride"));
            generated.Add((ZeroPadChannels, "the zero-padding shortcut's channels"));
        }
        if (schedule.Residual is { } r && r.BranchScale != 1.0) generated.Add((BranchScale, "the branch scale's Scalar"));
        generated.AddRange(schedule.Scalars.Select(n => (n, n == "alpha" ? "SkipInit's scalar alpha" : n == "scale" ? "Fixup's scalar multiplier" : "a Fixup scalar bias")));
        generated.Add((Forward, "the forward pass"));
        generated.Add((Tap, "the tap-point helper"));
        generated.Add((Probe, "the attached probe"));
        generated.Add((Prefix, "the module's tap-name prefix"));
        if (isNetwork) generated.Add((Summary, "the compile-time summary"));
        if (isNetwork) generated.Add((PyTorchSource, "the PyTorch source"));
        if (isNetwork && hasVariants) generated.Add((Variants, "the variant types and their registry"));
        return generated;
    }

    /// <summary>
    /// The clashes in one generated class: a generated member named like a layer or like another generated member,
    /// or any member named like the class itself (C# forbids it). Empty when every name is unique.
    /// </summary>
    public static List<(string Name, string What)> Clashes(string className, UnitSchedule schedule, IReadOnlyList<LayerSpec> layers, bool isNetwork, bool hasVariants)
    {
        var clashes = new List<(string, string)>();
        var seen = new HashSet<string>(layers.Select(l => l.Name));
        if (seen.Count < layers.Count)
            foreach (var g in layers.GroupBy(l => l.Name).Where(g => g.Count() > 1))
                clashes.Add((g.Key, g.Key == FinalNorm ? "the final BatchNorm that pre-activation variants add"
                    : g.Any(l => l.Kind == Kinds.Layers.LayerCatalog.Activation) && g.Key.EndsWith("_final", System.StringComparison.Ordinal) ? "the final activation that pre-activation variants add" : "two layers"));
        foreach (var (name, what) in Members(schedule, layers, isNetwork, hasVariants))
            if (!seen.Add(name)) clashes.Add((name, what));
        if (seen.Contains(className)) clashes.Add((className, "a member named like its class '" + className + "'"));
        return clashes;
    }

    /// <summary><paramref name="wanted"/>, or with '_' appended until no name in <paramref name="taken"/> equals it; the result is added to <paramref name="taken"/>.</summary>
    public static string Unique(string wanted, ISet<string> taken)
    {
        var name = wanted;
        while (!taken.Add(name)) name += "_";
        return name;
    }
}
