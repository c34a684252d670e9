using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace NetDsl.Fuzzing;

// The mutation kinds of the normalization family ([BatchNorm], [GroupNorm], [LayerNorm] and the Normalization axis): group
// counts that divide the widths, that do not, 1 and equal to the channels; each kind as a class or field policy and as an
// explicit layer, also on a field type of the wrong kind or rank; two kinds on one class; Enabled = false on an explicit
// BatchNorm; the Normalization axis alone and with the BatchNorm axis; [Variants(Groups = ...)] with bad values.
public static partial class Mutations
{
    static readonly string[] NormAttributes = { "BatchNorm", "GroupNorm", "LayerNorm" };

    /// <summary>The widths the mutant declares: output sizes of convolutions and linear layers, stage channels, input channels.</summary>
    static List<int> Widths(CompilationUnitSyntax root)
    {
        var widths = new List<int>();
        foreach (var a in root.DescendantNodes().OfType<AttributeSyntax>())
        {
            if (a.ArgumentList is null) continue;
            var name = ShortName(a);
            foreach (var argument in a.ArgumentList.Arguments)
            {
                bool width = name is "Conv" or "Linear" or "Input" && argument.NameEquals is null && argument == a.ArgumentList.Arguments[0]
                    || name == "Stage" && argument.NameEquals?.Name.Identifier.ValueText == "Channels";
                if (width && argument.Expression is LiteralExpressionSyntax { Token.Value: int w } && w > 0) widths.Add(w);
            }
        }
        return widths.Distinct().ToList();
    }

    /// <summary>
    /// A group count: mostly one that divides some width or not (3, 5, 7, a width + 1), 1, or equal to a width (InstanceNorm) or
    /// twice it; sometimes one out of range (0, negative, over the generator's limit of 65,536).
    /// </summary>
    static string Groups(MutantBuilder b)
    {
        var widths = Widths(b.Root());
        if (b.Chance(0.15)) return b.Pick(new[] { "0", "-1", "-32", "65536", "65537", "int.MaxValue", "int.MinValue", "1 << 30" });
        if (widths.Count > 0 && b.Chance(0.4))
        {
            long w = b.Pick(widths);
            long g = b.Random.Next(4) switch { 0 => w, 1 => w / 2, 2 => w + 1, _ => 2 * w };
            return Math.Clamp(g, 1, int.MaxValue).ToString(CultureInfo.InvariantCulture);
        }
        return b.Pick(new[] { "1", "2", "3", "4", "5", "7", "8", "16", "32", "64" });
    }

    /// <summary>A normalization attribute of one kind, with arguments that kind has (and, rarely, one it does not have).</summary>
    static string NormAttribute(MutantBuilder b, string kind)
    {
        var arguments = new List<string>();
        if (kind == "GroupNorm" && b.Chance(0.8)) arguments.Add("Groups = " + Groups(b));
        if (b.Chance(0.3)) arguments.Add(b.Pick(new[] { "After = Layer.Activation", "After = Layer.Conv", "After = (Layer)2" }));
        if (b.Chance(0.2)) arguments.Add(b.Pick(new[] { "Eps = 1e-3", "Eps = 0.1", "Eps = 0.0", "Eps = double.NaN", "Eps = double.PositiveInfinity" }));
        if (kind == "BatchNorm" && b.Chance(0.2)) arguments.Add(b.Pick(new[] { "Enabled = false", "Momentum = 0.5", "Momentum = 2.0" }));
        // A setting of another kind (GroupNorm has no Momentum, LayerNorm no Groups): a C# error at the attribute.
        if (b.Chance(0.03)) arguments.Add(b.Pick(new[] { "Momentum = 0.2", "Groups = 2", "Enabled = true" }));
        return arguments.Count == 0 ? kind : $"{kind}({string.Join(", ", arguments)})";
    }

    /// <summary>Classes of the DSL and weight-layer fields (where a normalization policy may stand).</summary>
    static List<MemberDeclarationSyntax> PolicyTargets(CompilationUnitSyntax root) =>
        Types(root).Where(t => Has(t, "Network") || Has(t, "Block")).Cast<MemberDeclarationSyntax>()
            .Concat(LayerFields(root).Where(f => Has(f, "Conv") || Has(f, "Linear"))).ToList();

    static List<AttributeSyntax> NormAttributesOf(MemberDeclarationSyntax m) =>
        m.AttributeLists.SelectMany(l => l.Attributes).Where(a => NormAttributes.Contains(ShortName(a))).ToList();

    /// <summary>[GroupNorm] or [LayerNorm] as the policy of a class or a weight layer, replacing the normalization it states, if any.</summary>
    static bool NormPolicy(MutantBuilder b)
    {
        if (!b.TryPick(PolicyTargets(b.Root()), out var target)) return false;
        var attribute = NormAttribute(b, b.Pick(new[] { "GroupNorm", "GroupNorm", "LayerNorm", "BatchNorm" }));
        var existing = NormAttributesOf(target);
        if (existing.Count > 0 && b.Chance(0.8)) b.Replace(b.Pick(existing), attribute);
        else if (target.AttributeLists.Count > 0) b.Insert(target.AttributeLists[0].Attributes.Last().Span.End, ", " + attribute);
        else return false;
        return true;
    }

    /// <summary>One normalization attribute turned into another kind, settings carried over; on an explicit layer the field type too, sometimes to the wrong one.</summary>
    static bool NormKindSwap(MutantBuilder b)
    {
        var root = b.Root();
        var attributes = root.DescendantNodes().OfType<AttributeSyntax>().Where(a => NormAttributes.Contains(ShortName(a))).ToList();
        if (!b.TryPick(attributes, out var attribute)) return false;
        var from = ShortName(attribute);
        var to = b.Pick(NormAttributes.Where(k => k != from).ToList());
        // Keep the arguments the new kind has; a GroupNorm gets a group count.
        var kept = attribute.ArgumentList?.Arguments.Where(a => a.NameEquals?.Name.Identifier.ValueText is "After" or "Eps"
            || a.NameEquals?.Name.Identifier.ValueText is "Momentum" or "Enabled" && to == "BatchNorm" || a.NameEquals?.Name.Identifier.ValueText == "Groups" && to == "GroupNorm")
            .Select(a => a.ToString()).ToList() ?? new List<string>();
        if (to == "GroupNorm" && !kept.Any(a => a.StartsWith("Groups", StringComparison.Ordinal)) && b.Chance(0.8)) kept.Add("Groups = " + Groups(b));
        var replacement = kept.Count == 0 ? to : $"{to}({string.Join(", ", kept)})";
        var field = attribute.Ancestors().OfType<FieldDeclarationSyntax>().FirstOrDefault();
        var type = field?.Declaration.Type.ToString();
        if (field is not null && type is "BatchNorm2d" or "BatchNorm1d" or "GroupNorm" or "LayerNorm" && b.Chance(0.85))
        {
            // An explicit layer: its type follows the kind (LayerNorm on maps is the wrong rank), or is a type of another kind.
            var newType = b.Chance(0.8)
                ? to switch { "GroupNorm" => "GroupNorm", "LayerNorm" => "LayerNorm", _ => type is "BatchNorm1d" or "LayerNorm" ? "BatchNorm1d" : "BatchNorm2d" }
                : b.Pick(new[] { "BatchNorm2d", "BatchNorm1d", "GroupNorm", "LayerNorm" });
            // The field's type lies after the attribute: replace it first.
            b.Replace(field.Declaration.Type, newType);
        }
        b.Replace(attribute, replacement);
        return true;
    }

    /// <summary>An explicit normalization layer anywhere in a network or block: every kind on every rank, types of another kind, Groups = 1 and other counts.</summary>
    static bool NormExplicitLayer(MutantBuilder b)
    {
        var root = b.Root();
        if (!b.TryPick(Types(root).Where(t => Has(t, "Network") || Has(t, "Block")), out var type)) return false;
        var groups = Groups(b);
        var layer = b.Pick(new[]
        {
            $"[GroupNorm(Groups = {groups})] GroupNorm", "[GroupNorm(Groups = 1)] GroupNorm", "[GroupNorm] GroupNorm", $"[GroupNorm(Groups = {groups}, Eps = 1e-3)] GroupNorm",
            "[LayerNorm] LayerNorm", "[LayerNorm(Eps = 1e-4)] LayerNorm", "[BatchNorm] BatchNorm2d", "[BatchNorm] BatchNorm1d",
            // The policy of one kind on the module type of another.
            "[LayerNorm] GroupNorm", $"[GroupNorm(Groups = {groups})] LayerNorm", "[GroupNorm] BatchNorm2d", "[BatchNorm] GroupNorm", "[LayerNorm] BatchNorm1d", "[BatchNorm] LayerNorm",
            // Placement on an explicit layer, a disabled one, and a normalization with an activation on one field.
            "[GroupNorm(Groups = 2, After = Layer.Activation)] GroupNorm", "[LayerNorm(Enabled = false)] LayerNorm", "[BatchNorm(Enabled = false)] BatchNorm2d",
            "[GroupNorm(Groups = 2), Activation(Nonlinearity.ReLU)] GroupNorm", "[LayerNorm, Conv(4)] LayerNorm",
        });
        var fields = type.Members.OfType<FieldDeclarationSyntax>().ToList();
        int at = fields.Count == 0 || b.Chance(0.2) ? type.CloseBraceToken.SpanStart : b.Pick(fields).FullSpan.Start;
        b.Insert(at, $"    {layer} norm{b.Random.Next(10)};\n");
        return true;
    }

    /// <summary>Two normalization kinds on one class or weight layer (or explicit layer): beside the one it states, or two new ones.</summary>
    static bool NormTwoKinds(MutantBuilder b)
    {
        var root = b.Root();
        var targets = PolicyTargets(root).Concat(LayerFields(root).Where(f => NormAttributesOf(f).Count > 0)).ToList();
        if (!b.TryPick(targets, out var target) || target.AttributeLists.Count == 0) return false;
        var existing = NormAttributesOf(target).Select(ShortName).ToList();
        var kinds = NormAttributes.Where(k => !existing.Contains(k)).OrderBy(_ => b.Random.Next()).Take(existing.Count > 0 ? 1 : 2).ToList();
        var added = kinds.Select(k => k == "BatchNorm" && b.Chance(0.3) ? "BatchNorm(Enabled = false)" : NormAttribute(b, k)).ToList();
        // One list or one list each, before or after the others.
        var text = b.Chance(0.5) ? $"[{string.Join(", ", added)}] " : string.Concat(added.Select(a => $"[{a}] "));
        if (b.Chance(0.5)) b.Insert(target.AttributeLists[0].SpanStart, text);
        else b.Insert(target.AttributeLists.Last().Span.End, " " + text.TrimEnd());
        return true;
    }

    /// <summary><c>Enabled = false</c> on an explicit BatchNorm layer (a new one when the mutant has none).</summary>
    static bool ExplicitBatchNormDisabled(MutantBuilder b)
    {
        var root = b.Root();
        var explicitNorms = Fields(root).Where(f => f.Declaration.Type.ToString() is "BatchNorm2d" or "BatchNorm1d" or "GroupNorm" or "LayerNorm")
            .SelectMany(f => f.AttributeLists.SelectMany(l => l.Attributes)).Where(a => ShortName(a) == "BatchNorm").ToList();
        if (b.TryPick(explicitNorms, out var attribute))
        {
            AddNamedArgument(b, attribute, b.Pick(new[] { "Enabled = false", "Enabled = false", "Enabled = true", "Enabled = false, Momentum = 0.3" }));
            return true;
        }
        if (!b.TryPick(Types(root).Where(t => Has(t, "Network") || Has(t, "Block")), out var type)) return false;
        var fields = type.Members.OfType<FieldDeclarationSyntax>().ToList();
        int at = fields.Count == 0 ? type.CloseBraceToken.SpanStart : b.Pick(fields).FullSpan.Start;
        b.Insert(at, $"    [BatchNorm(Enabled = false)] {b.Pick(new[] { "BatchNorm2d", "BatchNorm1d" })} bn_off;\n");
        return true;
    }

    static readonly string[] NormalizationAxes =
    {
        "Normalization = new[] { NormalizationVariant.BatchNorm, NormalizationVariant.GroupNorm, NormalizationVariant.LayerNorm, NormalizationVariant.None }",
        "Normalization = new[] { NormalizationVariant.GroupNorm }", "Normalization = new[] { NormalizationVariant.LayerNorm }", "Normalization = new[] { NormalizationVariant.None }",
        "Normalization = new[] { NormalizationVariant.GroupNorm, NormalizationVariant.LayerNorm }", "Normalization = new[] { NormalizationVariant.BatchNorm, NormalizationVariant.GroupNorm }",
        "Normalization = new[] { NormalizationVariant.GroupNorm, NormalizationVariant.GroupNorm }", "Normalization = new NormalizationVariant[0]", "Normalization = null",
        "Normalization = new[] { (NormalizationVariant)4 }", "Normalization = new[] { (NormalizationVariant)(-1), NormalizationVariant.LayerNorm }",
    };

    /// <summary>
    /// The Normalization axis on a network, alone or with other axes, sometimes with the BatchNorm axis (refused: both set the
    /// normalization) and with a group count that divides the widths or not.
    /// </summary>
    static bool NormalizationAxis(MutantBuilder b)
    {
        var root = b.Root();
        if (!b.TryPick(Networks(root), out var network)) return false;
        var axes = new List<string> { b.Pick(NormalizationAxes) };
        if (b.Chance(0.6)) axes.Add("Groups = " + Groups(b));
        if (b.Chance(0.25)) axes.Add(b.Pick(new[] { "BatchNorm = new[] { BatchNormVariant.AfterConv, BatchNormVariant.AfterActivation, BatchNormVariant.None }", "BatchNorm = new[] { BatchNormVariant.None }" }));
        if (b.Chance(0.3)) axes.Add(b.Pick(new[] { "Residual = new[] { true, false }", "Residual = new[] { false }" }));
        if (b.Chance(0.25)) axes.Add(b.Pick(new[] { "Order = new[] { UnitOrder.Original, UnitOrder.FullPreActivation }", "Order = new[] { UnitOrder.BnAfterAddition, UnitOrder.ReluOnlyPreActivation }" }));
        if (b.Chance(0.2)) axes.Add(b.Pick(new[] { "Activation = new[] { Nonlinearity.ReLU, Nonlinearity.Tanh }", "Depth = new[] { 1, 2 }" }));
        var ordered = axes.OrderBy(_ => b.Random.Next()).ToList();
        var existing = network.AttributeLists.SelectMany(l => l.Attributes).FirstOrDefault(a => ShortName(a) == "Variants");
        if (existing is not null && b.Chance(0.5)) b.Replace(existing, $"Variants({string.Join(", ", ordered)})");
        else if (existing is not null)
        {
            // Added to the matrix already there (an axis stated twice is a C# error, CS0643).
            AddNamedArgument(b, existing, string.Join(", ", ordered));
        }
        else if (network.AttributeLists.Count > 0) b.Insert(network.AttributeLists[0].SpanStart, $"[Variants({string.Join(", ", ordered)})] ");
        else return false;
        return true;
    }

    /// <summary>[Variants(Groups = ...)] with a bad or odd group count, with or without a Normalization axis.</summary>
    static bool VariantsGroups(MutantBuilder b)
    {
        var root = b.Root();
        if (!b.TryPick(Networks(root), out var network)) return false;
        var value = b.Chance(0.7) ? b.Pick(new[] { "0", "-1", "-4", "int.MinValue", "int.MaxValue", "65536", "65537", "100000", "3", "7", "(int)NormalizationVariant.LayerNorm" }) : Groups(b);
        var existing = network.AttributeLists.SelectMany(l => l.Attributes).FirstOrDefault(a => ShortName(a) == "Variants");
        var groups = existing?.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == "Groups");
        if (groups is not null) b.Replace(groups.Expression, value);
        else if (existing is not null) AddNamedArgument(b, existing, "Groups = " + value);
        else if (network.AttributeLists.Count > 0)
        {
            var axis = b.Chance(0.7) ? b.Pick(NormalizationAxes.Take(5).ToList()) + ", " : "";
            b.Insert(network.AttributeLists[0].SpanStart, $"[Variants({axis}Groups = {value})] ");
        }
        else return false;
        return true;
    }
}
