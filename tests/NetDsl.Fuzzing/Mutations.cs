using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace NetDsl.Fuzzing;

/// <summary>A kind of syntax-level mutation: applied to a mutant under construction; false when the mutant has nothing it applies to.</summary>
/// <param name="Kind">Stable name, as the totals and findings list it.</param>
/// <param name="Apply">The edit.</param>
public sealed record Mutation(string Kind, Func<MutantBuilder, bool> Apply);

/// <summary>
/// The catalog of mutation kinds: attribute values at extremes, enum casts out of range, odd argument
/// expressions, duplicate and conflicting attributes, missing <c>partial</c>, split partial declarations,
/// renamed members and classes (generated names, keywords, Unicode), namespaces that shadow System/TorchSharp,
/// shadowing types in scope, deep nesting, cycles, large variant matrices, half-written code, old language
/// versions, the normalization family (Mutations.Normalization.cs), and more. Each kind edits the mutant's text at a syntax node it picks at random.
/// </summary>
public static partial class Mutations
{
    static readonly string[] LayerAttributes = { "Conv", "Linear", "MaxPool", "AvgPool", "GlobalAvgPool", "Flatten", "Dropout", "ZeroPad", "Stage", "BatchNorm", "Activation" };

    /// <summary>Names the generator itself introduces, or that C# treats specially: renaming user code to them must never break the output.</summary>
    public static readonly string[] GeneratedNames =
    {
        "bn1", "bn2", "bn_fc", "relu", "relu1", "tanh", "sigmoid", "gelu", "leaky_relu", "identity", "downsample", "zeroPadStride", "zeroPadChannels",
        "forward", "Summary", "Tap", "Variants", "All", "netdslProbe", "netdslPrefix", "bn_final", "relu_final", "tanh_final", "x", "y", "sum", "branch",
        "shortcut", "scope", "branchInput", "shortcutInput", "inChannels", "planes", "stride", "inFeatures", "width", "i", "prefix", "probe", "name", "t", "kind",
        "register_module", "call", "Default", "Plain_NoBn", "Residual_BnAfterConv", "PostAct", "Plain", "Residual", "Depth3", "layer1", "fc", "conv1",
    };

    /// <summary>Keywords (escaped), contextual keywords, and Unicode names.</summary>
    public static readonly string[] OddNames =
    {
        "@class", "@event", "@int", "@this", "@base", "@object", "@string", "var", "value", "field", "record", "async", "await", "nameof", "dynamic",
        "global", "partial", "file", "scoped", "required", "init", "with", "when", "_", "__", "@_", "Ñet", "ǅungla", "ſtride", "ıconv", "Kelvin\u212A",
        "conv\\u0031", "layer\\u200D1", "Ωmega", "日本", "x\u0301", "ÄÖÜ", "İstanbul", "straße", "STRASSE",
    };

    static readonly string[] ModuleTypes = { "Conv2d", "Linear", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "Flatten", "Dropout", "ZeroPad2d", "BatchNorm2d", "BatchNorm1d", "GroupNorm", "LayerNorm", "InstanceNorm2d", "ReLU", "Tanh", "Sigmoid", "LeakyReLU", "GELU", "Identity", "Conv1d" };

    static readonly (string Enum, string[] Members)[] Enums =
    {
        ("Nonlinearity", new[] { "None", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU" }),
        ("Layer", new[] { "Conv", "Activation" }),
        ("Shortcut", new[] { "Auto", "Identity", "ZeroPad", "Projection" }),
        ("UnitOrder", new[] { "Original", "BnAfterAddition", "ReluBeforeAddition", "ReluOnlyPreActivation", "FullPreActivation" }),
        ("BatchNormVariant", new[] { "AfterConv", "AfterActivation", "None" }),
        ("NormalizationVariant", new[] { "BatchNorm", "GroupNorm", "LayerNorm", "InstanceNorm", "None" }),
        ("Init", new[] { "PyTorchDefault", "HeFanIn", "HeFanOut", "ZeroGamma", "Fixup", "SkipInit" }),
    };

    /// <summary>Every mutation kind.</summary>
    public static readonly IReadOnlyList<Mutation> All = new Mutation[]
    {
        new("int-extreme", b => ReplaceIntLiteral(b, () => b.Pick(new[] { "0", "-1", "1", "2", "int.MaxValue", "int.MinValue", "10000", "100000", "65536", "1 << 20", "46341" }))),
        new("int-nudge", b => ReplaceIntLiteral(b, v => b.Pick(new[] { v + 1, v - 1, v * 2, v / 2, v * 7 }).ToString(CultureInfo.InvariantCulture))),
        new("double-extreme", DoubleExtreme),
        new("enum-out-of-range", b => ReplaceEnumMember(b, (e, _) => $"({e}){b.Pick(new[] { "42", "(-1)", "int.MaxValue", "6", "5", "3", "2" })}")),
        new("enum-swap", b => ReplaceEnumMember(b, (e, members) => $"{e}.{b.Pick(members)}")),
        new("odd-argument-expression", OddArgumentExpression),
        new("named-argument-add", NamedArgumentAdd),
        new("argument-remove", ArgumentRemove),
        new("argument-duplicate", ArgumentDuplicate),
        new("attribute-duplicate", AttributeDuplicate),
        new("attribute-remove", AttributeRemove),
        new("attribute-conflicting", AttributeConflicting),
        new("policy-add", PolicyAdd),
        new("attribute-spelling", AttributeSpelling),
        new("partial-remove", PartialRemove),
        new("partial-split", b => PartialSplit(b, duplicateAttributes: false)),
        new("partial-split-attributes-on-both", b => PartialSplit(b, duplicateAttributes: true)),
        new("class-kind", ClassKind),
        new("base-type", BaseType),
        new("user-member", UserMember),
        new("rename-class", RenameClass),
        new("rename-member", RenameMember),
        new("namespace-shadow", NamespaceShadow),
        new("shadowing-types", ShadowingTypes),
        new("case-twins", CaseTwins),
        new("deep-nesting", DeepNesting),
        new("cycle", Cycle),
        new("variant-matrix", VariantMatrix),
        new("member-delete", MemberDelete),
        new("member-duplicate", MemberDuplicate),
        new("member-reorder", MemberReorder),
        new("field-type", FieldType),
        new("field-storage", FieldStorage),
        new("truncate", Truncate),
        new("token-edit", TokenEdit),
        new("input-shape", InputShape),
        new("layer-add", LayerAdd),
        new("even-kernel", EvenKernel),
        new("stage-arguments", StageArguments),
        new("block-options", BlockOptions),
        new("language-version", LanguageVersionMutation),
        new("preprocessor", Preprocessor),
        new("unicode-escape", UnicodeEscape),
        new("pool-after-last-weight", PoolAfterLastWeight),
        new("variant-added-name", VariantAddedName),
        new("block-named-like-member", BlockNamedLikeMember),
        new("norm-policy", NormPolicy),
        new("norm-kind-swap", NormKindSwap),
        new("norm-explicit-layer", NormExplicitLayer),
        new("norm-two-kinds", NormTwoKinds),
        new("batchnorm-explicit-disabled", ExplicitBatchNormDisabled),
        new("normalization-axis", NormalizationAxis),
        new("variants-groups", VariantsGroups),
    };

    // ---------- helpers ----------

    static IEnumerable<TypeDeclarationSyntax> Types(CompilationUnitSyntax root) => root.DescendantNodes().OfType<TypeDeclarationSyntax>();

    static bool Has(MemberDeclarationSyntax m, string attribute) =>
        m.AttributeLists.SelectMany(l => l.Attributes).Any(a => ShortName(a) == attribute);

    static string ShortName(AttributeSyntax a)
    {
        var n = a.Name switch { QualifiedNameSyntax q => q.Right.Identifier.ValueText, AliasQualifiedNameSyntax q => q.Name.Identifier.ValueText, SimpleNameSyntax s => s.Identifier.ValueText, _ => a.Name.ToString() };
        return n.EndsWith("Attribute", StringComparison.Ordinal) ? n[..^"Attribute".Length] : n;
    }

    static IEnumerable<TypeDeclarationSyntax> Networks(CompilationUnitSyntax r) => Types(r).Where(t => Has(t, "Network"));
    static IEnumerable<TypeDeclarationSyntax> Blocks(CompilationUnitSyntax r) => Types(r).Where(t => Has(t, "Block"));
    static IEnumerable<FieldDeclarationSyntax> Fields(CompilationUnitSyntax r) => r.DescendantNodes().OfType<FieldDeclarationSyntax>();
    static IEnumerable<FieldDeclarationSyntax> LayerFields(CompilationUnitSyntax r) => Fields(r).Where(f => f.AttributeLists.Count > 0);

    static IEnumerable<LiteralExpressionSyntax> IntLiterals(CompilationUnitSyntax r) =>
        r.DescendantNodes().OfType<AttributeArgumentSyntax>().SelectMany(a => a.DescendantNodesAndSelf().OfType<LiteralExpressionSyntax>())
            .Where(l => l.Token.Value is int);

    static bool ReplaceIntLiteral(MutantBuilder b, Func<string> value)
    {
        if (!b.TryPick(IntLiterals(b.Root()), out var literal)) return false;
        b.Replace(literal, value());
        return true;
    }

    static bool ReplaceIntLiteral(MutantBuilder b, Func<int, string> value)
    {
        if (!b.TryPick(IntLiterals(b.Root()), out var literal)) return false;
        b.Replace(literal, value((int)literal.Token.Value!));
        return true;
    }

    static bool ReplaceEnumMember(MutantBuilder b, Func<string, string[], string> replacement)
    {
        var accesses = b.Root().DescendantNodes().OfType<MemberAccessExpressionSyntax>()
            .Select(m => (Node: m, Enum: Enums.FirstOrDefault(e => m.Expression.ToString() == e.Enum)))
            .Where(x => x.Enum.Enum is not null).ToList();
        if (!b.TryPick(accesses, out var target)) return false;
        b.Replace(target.Node, replacement(target.Enum.Enum, target.Enum.Members));
        return true;
    }

    static bool DoubleExtreme(MutantBuilder b)
    {
        var values = new[] { "double.NaN", "double.PositiveInfinity", "double.NegativeInfinity", "-1.0", "0.0", "-0.0", "1e-300", "1e308", "1.0", "0.5f", "2", "0.999999", "double.Epsilon" };
        var targets = new[] { ("BatchNorm", new[] { "Eps", "Momentum" }), ("GroupNorm", new[] { "Eps" }), ("LayerNorm", new[] { "Eps" }), ("Dropout", new[] { "P" }), ("Residual", new[] { "BranchScale" }), ("Activation", new[] { "NegativeSlope" }) };
        var attributes = b.Root().DescendantNodes().OfType<AttributeSyntax>().Where(a => targets.Any(t => t.Item1 == ShortName(a))).ToList();
        if (!b.TryPick(attributes, out var attribute)) return false;
        var name = b.Pick(targets.First(t => t.Item1 == ShortName(attribute)).Item2);
        AddNamedArgument(b, attribute, $"{name} = {b.Pick(values)}");
        return true;
    }

    static void AddNamedArgument(MutantBuilder b, AttributeSyntax attribute, string argument)
    {
        if (attribute.ArgumentList is null) b.Insert(attribute.Span.End, $"({argument})");
        else if (attribute.ArgumentList.Arguments.Count == 0) b.Insert(attribute.ArgumentList.CloseParenToken.SpanStart, argument);
        else b.Insert(attribute.ArgumentList.CloseParenToken.SpanStart, ", " + argument);
    }

    static bool OddArgumentExpression(MutantBuilder b)
    {
        var odd = new[] { "1 + 2", "(int)3.9", "sizeof(int)", "'a'", "unchecked((int)0xFFFFFFFF)", "0x10", "1_0", "(int)Nonlinearity.ReLU", "default", "default(int)",
            "\"8\"", "checked(int.MaxValue + 1)", "Kernel", "nameof(Linear)", "(byte)300", "3.5", "null", "true", "- -3", "int.Parse(\"3\")", "new[] { 1 }", "(1)" };
        var arguments = b.Root().DescendantNodes().OfType<AttributeArgumentSyntax>().ToList();
        if (!b.TryPick(arguments, out var argument)) return false;
        b.Replace(argument.Expression, b.Pick(odd));
        return true;
    }

    static readonly Dictionary<string, string[]> NamedArguments = new()
    {
        ["Conv"] = new[] { "Kernel = 1", "Kernel = 5", "Kernel = 0", "Stride = 2", "Stride = 3", "Stride = 0", "Padding = 0", "Padding = 2", "Padding = -2", "Padding = -1", "Bias = true", "Bias = false", "Strided = true" },
        ["Linear"] = new[] { "Bias = true", "Bias = false" },
        ["MaxPool"] = new[] { "Kernel = 3", "Stride = 1", "Padding = 1", "Padding = 5", "Kernel = 100" },
        ["AvgPool"] = new[] { "Kernel = 3", "Stride = 1", "Padding = 1" },
        ["Stage"] = new[] { "Blocks = 1", "Blocks = 5", "Blocks = 0", "Channels = 8", "Channels = 0", "Stride = 2", "Stride = 4" },
        ["Block"] = new[] { "Expansion = 2", "Expansion = 0", "Taps = false" },
        ["Network"] = new[] { "Taps = false", "Taps = true" },
        ["BatchNorm"] = new[] { "After = Layer.Activation", "After = Layer.Conv", "Enabled = false", "Eps = 1e-3", "Momentum = 0.5" },
        ["GroupNorm"] = new[] { "Groups = 1", "Groups = 2", "Groups = 3", "Groups = 0", "After = Layer.Activation", "After = Layer.Conv", "Eps = 1e-3" },
        ["LayerNorm"] = new[] { "After = Layer.Activation", "After = Layer.Conv", "Eps = 1e-3" },
        ["Activation"] = new[] { "NegativeSlope = 0.2", "NegativeSlope = 0.01" },
        ["Residual"] = new[] { "Shortcut = Shortcut.Identity", "Shortcut = Shortcut.ZeroPad", "Shortcut = Shortcut.Projection", "Order = UnitOrder.FullPreActivation", "Order = UnitOrder.BnAfterAddition", "Enabled = false", "BranchScale = 0.1" },
        ["Dropout"] = new[] { "P = 0.1", "P = 0" },
        ["ZeroPad"] = new[] { "Padding = 0", "Padding = 2", "Padding = -1" },
    };

    static bool NamedArgumentAdd(MutantBuilder b)
    {
        var attributes = b.Root().DescendantNodes().OfType<AttributeSyntax>().Where(a => NamedArguments.ContainsKey(ShortName(a))).ToList();
        if (!b.TryPick(attributes, out var attribute)) return false;
        AddNamedArgument(b, attribute, b.Pick(NamedArguments[ShortName(attribute)]));
        return true;
    }

    static bool ArgumentRemove(MutantBuilder b)
    {
        var lists = b.Root().DescendantNodes().OfType<AttributeArgumentListSyntax>().Where(l => l.Arguments.Count > 0).ToList();
        if (!b.TryPick(lists, out var list)) return false;
        int i = b.Random.Next(list.Arguments.Count);
        var remaining = list.Arguments.Where((_, k) => k != i).Select(a => a.ToString());
        b.Replace(list, "(" + string.Join(", ", remaining) + ")");
        return true;
    }

    static bool ArgumentDuplicate(MutantBuilder b)
    {
        var arguments = b.Root().DescendantNodes().OfType<AttributeArgumentSyntax>().ToList();
        if (!b.TryPick(arguments, out var argument)) return false;
        b.Insert(argument.Span.End, ", " + argument);
        return true;
    }

    static bool AttributeDuplicate(MutantBuilder b)
    {
        if (!b.TryPick(b.Root().DescendantNodes().OfType<AttributeSyntax>(), out var attribute)) return false;
        b.Insert(attribute.Span.End, b.Chance(0.5) ? ", " + attribute : "] [" + attribute);
        return true;
    }

    static bool AttributeRemove(MutantBuilder b)
    {
        if (!b.TryPick(b.Root().DescendantNodes().OfType<AttributeListSyntax>(), out var list)) return false;
        if (list.Attributes.Count == 1 || b.Chance(0.3)) b.Replace(list, "");
        else
        {
            int i = b.Random.Next(list.Attributes.Count);
            b.Replace(list, "[" + string.Join(", ", list.Attributes.Where((_, k) => k != i)) + "]");
        }
        return true;
    }

    static bool AttributeConflicting(MutantBuilder b)
    {
        var root = b.Root();
        if (b.Chance(0.5))
        {
            if (!b.TryPick(Types(root).Where(t => t.AttributeLists.Count > 0), out var type)) return false;
            var extra = b.Pick(new[] { "Block", "Network", "Residual", "Input(4)", "Input(1, 8, 8)", "Variants(Residual = new[] { true, false })", "Block(Expansion = 2)", "Stage", "Linear(3)" });
            b.Insert(type.AttributeLists[0].SpanStart, $"[{extra}] ");
        }
        else
        {
            if (!b.TryPick(LayerFields(root), out var field)) return false;
            var extra = b.Pick(new[] { "Conv(8)", "Conv", "Linear(3)", "Linear", "MaxPool", "Flatten", "GlobalAvgPool", "Dropout", "ZeroPad", "Stage(Blocks = 1, Channels = 4)", "BatchNorm", "GroupNorm(Groups = 2)", "LayerNorm", "Activation(Nonlinearity.ReLU)", "Input(4)", "Network" });
            b.Insert(field.AttributeLists[0].SpanStart, $"[{extra}] ");
        }
        return true;
    }

    static bool PolicyAdd(MutantBuilder b)
    {
        var policies = new[] { "BatchNorm(After = Layer.Activation)", "BatchNorm(After = Layer.Conv)", "BatchNorm(Enabled = false)", "BatchNorm", "GroupNorm(Groups = 4)", "GroupNorm", "LayerNorm", "LayerNorm(After = Layer.Activation)", "Activation(Nonlinearity.Tanh)",
            "Activation(Nonlinearity.LeakyReLU, NegativeSlope = 0.3)", "Activation(Nonlinearity.None)", "Activation(Nonlinearity.Sigmoid)", "Activation(Nonlinearity.GELU)",
            "Residual(Shortcut = Shortcut.ZeroPad)", "Residual(Order = UnitOrder.ReluOnlyPreActivation)", "Residual(Order = UnitOrder.FullPreActivation)", "Residual(BranchScale = 0.5)",
            "InstanceNorm", "Init(Init.Fixup)", "Init(Init.SkipInit)", "Init(Init.ZeroGamma)", "Init(Init.HeFanOut)", "Init((Init)9)" };
        var root = b.Root();
        var targets = Types(root).Cast<MemberDeclarationSyntax>().Concat(LayerFields(root)).Where(m => m.AttributeLists.Count > 0).ToList();
        if (!b.TryPick(targets, out var target)) return false;
        b.Insert(target.AttributeLists[0].SpanStart, $"[{b.Pick(policies)}] ");
        return true;
    }

    static bool AttributeSpelling(MutantBuilder b)
    {
        if (!b.TryPick(b.Root().DescendantNodes().OfType<AttributeSyntax>().Where(a => a.Name is IdentifierNameSyntax), out var attribute)) return false;
        var name = attribute.Name.ToString();
        switch (b.Random.Next(4))
        {
            case 0: b.Replace(attribute.Name, $"NetDsl.{name}Attribute"); break;
            case 1: b.Replace(attribute.Name, $"global::NetDsl.{name}"); break;
            case 2:
                b.Replace(attribute.Name, "Alias" + name);
                b.Insert(0, $"using Alias{name} = NetDsl.{name}Attribute;\n");
                break;
            default:
                if (attribute.Parent is AttributeListSyntax { Target: null } list && list.Parent is FieldDeclarationSyntax) b.Insert(list.OpenBracketToken.Span.End, "field: ");
                else return false;
                break;
        }
        return true;
    }

    static bool PartialRemove(MutantBuilder b)
    {
        if (!b.TryPick(Types(b.Root()).Where(t => t.Modifiers.Any(SyntaxKind.PartialKeyword)), out var type)) return false;
        var partial = type.Modifiers.First(m => m.IsKind(SyntaxKind.PartialKeyword));
        b.Replace(partial.Span, "");
        return true;
    }

    /// <summary>Splits a class's members over two partial declarations, in this file or a new one, in either order.</summary>
    static bool PartialSplit(MutantBuilder b, bool duplicateAttributes)
    {
        var root = b.Root();
        if (!b.TryPick(Types(root).Where(t => t.Modifiers.Any(SyntaxKind.PartialKeyword) && t.Members.Count > 0 && t.Parent is BaseNamespaceDeclarationSyntax or CompilationUnitSyntax), out var type)) return false;
        int cut = b.Random.Next(type.Members.Count + 1);
        var first = type.Members.Take(cut).Select(m => m.ToFullString());
        var second = type.Members.Skip(cut).Select(m => m.ToFullString());
        string attributes = duplicateAttributes ? string.Concat(type.AttributeLists.Select(a => a.ToString() + "\n")) : "";
        string head = type.WithMembers(default).WithAttributeLists(default).WithOpenBraceToken(default).WithCloseBraceToken(default).WithSemicolonToken(default).ToString().Trim();
        var part = $"{attributes}{head}\n{{\n{string.Concat(second)}\n}}\n";
        b.Replace(type.OpenBraceToken.SpanStart == 0 ? type.Span : TextSpan.FromBounds(type.OpenBraceToken.SpanStart, type.CloseBraceToken.Span.End), "{\n" + string.Concat(first) + "\n}");
        if (b.Chance(0.5))
        {
            var usings = string.Concat(root.Usings.Select(u => u.ToFullString()));
            var ns = root.DescendantNodes().OfType<BaseNamespaceDeclarationSyntax>().FirstOrDefault()?.Name.ToString();
            b.AddFile(usings + (ns is null ? "" : $"namespace {ns};\n") + part);
        }
        else
        {
            var updated = b.Root().DescendantNodes().OfType<TypeDeclarationSyntax>().First(t => t.Identifier.ValueText == type.Identifier.ValueText);
            if (b.Chance(0.5)) b.Insert(updated.FullSpan.End, "\n" + part);
            else b.Insert(updated.FullSpan.Start, part + "\n");
        }
        return true;
    }

    static bool ClassKind(MutantBuilder b)
    {
        if (!b.TryPick(Types(b.Root()).OfType<ClassDeclarationSyntax>(), out var type)) return false;
        switch (b.Random.Next(9))
        {
            case 0: b.Replace(type.Keyword.Span, "struct"); break;
            case 1: b.Replace(type.Keyword.Span, "record"); break;
            case 2: b.Insert(type.Keyword.SpanStart, "static "); break;
            case 3: b.Insert(type.Keyword.SpanStart, "abstract "); break;
            case 4: b.Insert(type.Keyword.SpanStart, "sealed "); break;
            case 5: b.Insert(type.Modifiers.Count > 0 ? type.Modifiers[0].SpanStart : type.Keyword.SpanStart, "file "); break;
            case 6: b.Insert(type.Identifier.Span.End, "<T>"); break;
            case 7:
                b.Insert(type.FullSpan.End, "\n}\n");
                b.Insert(type.FullSpan.Start, "\npublic partial class Outer\n{\n");
                break;
            default:
                var publicModifier = type.Modifiers.FirstOrDefault(m => m.IsKind(SyntaxKind.PublicKeyword));
                if (publicModifier == default) return false;
                b.Replace(publicModifier.Span, "internal");
                break;
        }
        return true;
    }

    static bool BaseType(MutantBuilder b)
    {
        if (!b.TryPick(Types(b.Root()).OfType<ClassDeclarationSyntax>(), out var type)) return false;
        var bases = new[] { "object", "System.Object", "System.IDisposable", "TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>", "UnknownBase", "NetDsl.Instrumentation.IInstrumented", "System.Exception" };
        var chosen = b.Pick(bases);
        if (type.BaseList is { } list) b.Insert(list.Span.End, ", " + chosen);
        else b.Insert((type.TypeParameterList?.Span ?? type.Identifier.Span).End, " : " + chosen);
        return true;
    }

    static bool UserMember(MutantBuilder b)
    {
        if (!b.TryPick(Types(b.Root()), out var type)) return false;
        var name = type.Identifier.Text;
        var members = new[]
        {
            $"public {name}() {{ }}", $"public {name}(int x) {{ }}", "public TorchSharp.torch.Tensor forward(TorchSharp.torch.Tensor x) => x;",
            "public override TorchSharp.torch.Tensor forward(TorchSharp.torch.Tensor x) => x;", "public static int Summary => 0;", "public int Tap;",
            "public class Variants { }", "object netdslProbe;", "int relu;", "static Linear shared;", "[Linear(4)] static Linear shared;", "[Linear(4)] Linear Prop { get; set; }",
            "int counter;", "public void forward() { }", "private readonly int downsample = 1;", "public event System.Action changed;", "const int Width = 8;",
            "[Conv(8)] Conv2d a, b;", "Linear unannotated;", "ModuleList<Linear> list;", "public static void Main() { }", "~" + name + "() { }",
        };
        b.Insert(type.CloseBraceToken.SpanStart, "    " + b.Pick(members) + "\n");
        return true;
    }

    /// <summary>Renames a class and every reference to it in the file.</summary>
    static bool RenameClass(MutantBuilder b)
    {
        var root = b.Root();
        if (!b.TryPick(Types(root), out var type)) return false;
        var others = Types(root).Select(t => t.Identifier.Text).Where(n => n != type.Identifier.Text).ToList();
        var name = b.Random.Next(4) switch
        {
            0 => b.Pick(GeneratedNames),
            1 => b.Pick(OddNames),
            2 when others.Count > 0 => b.Pick(others),
            _ => CaseTwin(type.Identifier.Text),
        };
        var old = type.Identifier.ValueText;
        var tokens = root.DescendantTokens().Where(t => t.IsKind(SyntaxKind.IdentifierToken) && t.ValueText == old).OrderByDescending(t => t.SpanStart).ToList();
        var text = SourceText.From(b.Files[0].Text).WithChanges(tokens.Select(t => new TextChange(t.Span, name)));
        b.SetText(text.ToString());
        return true;
    }

    static string CaseTwin(string name) =>
        name.Any(char.IsLower) ? name.ToUpperInvariant() : name.ToLowerInvariant();

    static bool RenameMember(MutantBuilder b)
    {
        var root = b.Root();
        if (!b.TryPick(Fields(root).SelectMany(f => f.Declaration.Variables), out var variable)) return false;
        var type = variable.Ancestors().OfType<TypeDeclarationSyntax>().First();
        var name = b.Random.Next(3) switch
        {
            0 => b.Pick(GeneratedNames),
            1 => b.Pick(OddNames),
            _ => b.Pick(new[] { type.Identifier.Text, CaseTwin(variable.Identifier.Text), variable.Identifier.Text + "_" }),
        };
        b.Replace(variable.Identifier.Span, name);
        return true;
    }

    static bool NamespaceShadow(MutantBuilder b)
    {
        var root = b.Root();
        var ns = root.DescendantNodes().OfType<BaseNamespaceDeclarationSyntax>().FirstOrDefault();
        var names = new[] { "System", "TorchSharp", "NetDsl", "Demo.System", "X.TorchSharp", "Y.NetDsl", "TorchSharp.Modules", "NetDsl.Instrumentation", "Demo.global", "System.Collections.Generic", "@class.@event" };
        if (ns is null) return false;
        if (b.Chance(0.6)) b.Replace(ns.Name, b.Pick(names));
        else
        {
            var shadow = b.Pick(new[]
            {
                "namespace System { public class Object { } public class InvalidOperationException { } public class Collections { } }",
                "namespace TorchSharp { public class torch { } }",
                $"namespace {ns.Name}.TorchSharp {{ public class torch {{ }} }}",
                $"namespace {ns.Name}.System {{ public class InvalidOperationException {{ }} }}",
                $"namespace {ns.Name}.NetDsl {{ public class ModelSummary {{ }} }}",
                $"namespace {ns.Name}.global {{ class X {{ }} }}",
            });
            // A file-scoped namespace cannot sit beside other namespaces: make it a block first.
            FileScopedToBlock(b);
            b.Insert(b.Files[0].Text.Length, "\n" + shadow + "\n");
        }
        return true;
    }

    /// <summary>Turns a file-scoped namespace into a block namespace (for old C# versions, and to sit beside other namespaces).</summary>
    static bool FileScopedToBlock(MutantBuilder b)
    {
        var root = b.Root();
        var ns = root.DescendantNodes().OfType<FileScopedNamespaceDeclarationSyntax>().FirstOrDefault();
        if (ns is null) return true;
        var others = root.DescendantNodes().OfType<NamespaceDeclarationSyntax>().ToList();
        var inner = string.Concat(ns.Members.Where(m => m is not NamespaceDeclarationSyntax).Select(m => m.ToFullString()));
        var rest = string.Concat(ns.Members.OfType<NamespaceDeclarationSyntax>().Select(m => m.ToFullString()));
        b.Replace(TextSpan.FromBounds(ns.SpanStart, root.FullSpan.End), $"namespace {ns.Name}\n{{\n{inner}\n}}\n{rest}");
        return true;
    }

    static bool ShadowingTypes(MutantBuilder b)
    {
        var types = new[]
        {
            "public class var { }", "public class Summary { }", "public class Tap { }", "public class Variants { }", "public class Tensor { }", "public class torch { }",
            "public class Module { }", "public class dynamic { }", "public class nameof { }", "public class async { }", "public class await { }", "public class value { }",
            "public class field { }", "public class record { }", "public class NetDsl { }", "public class System { }", "public class TorchSharp { }", "public enum Nonlinearity { ReLU }",
            "public class ModelSummary { }", "public class LayerSummary { }", "public class VariantInfo { }", "public class Probe { }", "public class Shortcuts { }",
            "public class Default { }", "public class Plain_NoBn { }", "public class scope { }", "public class x { }", "public class global { }", "public class Linear { }",
            "public class GeneratedCode { }", "public class InvalidOperationException { }", "public class Func<T> { }", "public static class Dictionary { }", "public class @string { }",
        };
        var ns = b.Root().DescendantNodes().OfType<BaseNamespaceDeclarationSyntax>().FirstOrDefault();
        var chosen = b.Pick(types);
        if (ns is NamespaceDeclarationSyntax block) b.Insert(block.CloseBraceToken.SpanStart, chosen + "\n");
        else b.Insert(b.Files[0].Text.Length, "\n" + chosen + "\n");
        return true;
    }

    /// <summary>Types and namespaces whose names differ only in case from the mutant's, some with variants (hint-name clashes).</summary>
    static bool CaseTwins(MutantBuilder b)
    {
        var root = b.Root();
        if (!b.TryPick(Networks(root).Concat(Blocks(root)), out var type)) return false;
        var ns = b.Namespace();
        var name = type.Identifier.ValueText;
        var twin = CaseTwin(name);
        var net = "[Network, Input(4)] public partial class {0} {{ [Linear(2)] TorchSharp.Modules.Linear fc; }}";
        var withVariants = "[Network, Input(4), Variants(Activation = new[] {{ Nonlinearity.ReLU, Nonlinearity.Tanh }})] public partial class {0} {{ [Linear(8)] TorchSharp.Modules.Linear fc1; [Linear(2)] TorchSharp.Modules.Linear fc2; }}";
        var text = b.Random.Next(5) switch
        {
            0 => $"namespace {ns}.{twin} {{ {string.Format(CultureInfo.InvariantCulture, net, "Variants")} }}",
            1 => $"namespace {ns}.{name} {{ {string.Format(CultureInfo.InvariantCulture, withVariants, "Variants")} }}",
            2 => $"namespace {ns} {{ {string.Format(CultureInfo.InvariantCulture, withVariants, twin)} }}",
            3 => $"namespace {CaseTwin(ns)} {{ {string.Format(CultureInfo.InvariantCulture, net, name)} }}",
            _ => $"namespace {ns}.{twin}.Variants {{ {string.Format(CultureInfo.InvariantCulture, net, "Default")} }}",
        };
        var usings = "using NetDsl;\n";
        b.AddFile(usings + text);
        return true;
    }

    /// <summary>A chain of blocks, each a stage of the previous one, and a network using the outermost.</summary>
    static bool DeepNesting(MutantBuilder b)
    {
        int depth = b.Pick(new[] { 2, 3, 4, 6, 8, 10, 12, 14, 20 });
        int blocks = b.Pick(new[] { 1, 2, 3, 4, 6 });
        bool conv = b.Chance(0.5);
        var ns = b.Namespace();
        var text = new System.Text.StringBuilder($"using NetDsl;\nusing TorchSharp.Modules;\nnamespace {ns}.Deep{depth};\n");
        text.Append(conv ? "[Block, Residual] public partial class D0 { [Conv] Conv2d conv1; }\n" : "[Block, Residual, BatchNorm] public partial class D0 { [Linear] Linear fc1; }\n");
        for (int i = 1; i < depth; i++)
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"[Block{(b.Chance(0.5) ? ", Residual" : "")}] public partial class D{i} {{ [Stage(Blocks = {blocks})] ModuleList<D{i - 1}> inner;{(b.Chance(0.3) ? $" [Stage(Blocks = {blocks})] ModuleList<D{i - 1}> inner2;" : "")} }}\n");
        text.Append(conv
            ? $"[Network, Input(1, 8, 8)] public partial class DeepNet {{ [Conv(4)] Conv2d conv1; [Stage(Blocks = {blocks}, Channels = 4)] ModuleList<D{depth - 1}> layer1; [GlobalAvgPool] AdaptiveAvgPool2d pool; [Linear(2)] Linear fc; }}\n"
            : $"[Network, Input(4){(b.Chance(0.3) ? ", Variants(Depth = new[] { 1, 2 })" : "")}] public partial class DeepNet {{ [Linear(4)] Linear fc_in; [Stage(Blocks = {blocks}, Channels = 4)] ModuleList<D{depth - 1}> layer1; [Linear(2)] Linear fc; }}\n");
        b.AddFile(text.ToString());
        return true;
    }

    static bool Cycle(MutantBuilder b)
    {
        var root = b.Root();
        var blocks = Blocks(root).ToList();
        if (blocks.Count == 0) return false;
        var block = b.Pick(blocks);
        var target = b.Pick(blocks).Identifier.Text;
        if (b.Chance(0.5) && b.TryPick(block.Members.OfType<FieldDeclarationSyntax>().Where(f => f.Declaration.Type.ToString().StartsWith("ModuleList<", StringComparison.Ordinal)), out var stage))
        {
            b.Replace(stage.Declaration.Type, $"ModuleList<{target}>");
            return true;
        }
        b.Insert(block.CloseBraceToken.SpanStart, $"    [Stage(Blocks = {b.Pick(new[] { 1, 2 })})] ModuleList<{target}> loop;\n");
        return true;
    }

    static bool VariantMatrix(MutantBuilder b)
    {
        var root = b.Root();
        if (!b.TryPick(Networks(root), out var network)) return false;
        var axes = new List<string>();
        if (b.Chance(0.5)) axes.Add(b.Pick(new[] { "Residual = new[] { true, false }", "Residual = new[] { false }", "Residual = new[] { true, true }", "Residual = new bool[0]" }));
        if (b.Chance(0.5)) axes.Add(b.Pick(new[] { "BatchNorm = new[] { BatchNormVariant.AfterConv, BatchNormVariant.AfterActivation, BatchNormVariant.None }", "BatchNorm = new[] { BatchNormVariant.None }", "BatchNorm = new[] { (BatchNormVariant)7 }" }));
        if (b.Chance(0.25)) axes.Add(b.Pick(new[] { "Normalization = new[] { NormalizationVariant.BatchNorm, NormalizationVariant.GroupNorm, NormalizationVariant.LayerNorm, NormalizationVariant.None }, Groups = 4", "Normalization = new[] { NormalizationVariant.LayerNorm, NormalizationVariant.None }" }));
        if (b.Chance(0.25)) axes.Add(b.Pick(new[] { "Init = new[] { Init.PyTorchDefault, Init.HeFanIn, Init.HeFanOut, Init.ZeroGamma, Init.Fixup, Init.SkipInit }", "Init = new[] { Init.Fixup, Init.SkipInit }", "Init = new[] { Init.ZeroGamma }", "Init = new[] { (Init)6 }" }));
        if (b.Chance(0.5)) axes.Add(b.Pick(new[] { "Order = new[] { UnitOrder.Original, UnitOrder.BnAfterAddition, UnitOrder.ReluBeforeAddition, UnitOrder.ReluOnlyPreActivation, UnitOrder.FullPreActivation }", "Order = new[] { UnitOrder.FullPreActivation }", "Order = new[] { UnitOrder.Original, UnitOrder.FullPreActivation }" }));
        if (b.Chance(0.5)) axes.Add(b.Pick(new[] { "Activation = new[] { Nonlinearity.None, Nonlinearity.ReLU, Nonlinearity.LeakyReLU, Nonlinearity.Sigmoid, Nonlinearity.Tanh, Nonlinearity.GELU }", "Activation = new[] { Nonlinearity.Tanh }", "Activation = null" }));
        if (b.Chance(0.5))
            axes.Add(b.Pick(new[]
            {
                "Depth = new[] { 10000 }", "Depth = new[] { 1, 2, 3 }", "Depth = new[] { 0 }", "Depth = new[] { 5000, 9999 }", "Depth = new[] { 1000 }",
                "Depth = new[] { " + string.Join(", ", Enumerable.Range(1, 60)) + " }", "Depth = new[] { " + string.Join(", ", Enumerable.Range(1, 600)) + " }",
            }));
        var attribute = $"Variants({string.Join(", ", axes)})";
        var existing = network.AttributeLists.SelectMany(l => l.Attributes).FirstOrDefault(a => ShortName(a) == "Variants");
        if (existing is not null && b.Chance(0.7)) b.Replace(existing, attribute);
        else b.Insert(network.AttributeLists.Count > 0 ? network.AttributeLists[0].SpanStart : network.SpanStart, $"[{attribute}] ");
        return true;
    }

    static bool MemberDelete(MutantBuilder b)
    {
        if (!b.TryPick(b.Root().DescendantNodes().OfType<MemberDeclarationSyntax>().Where(m => m is FieldDeclarationSyntax || m is TypeDeclarationSyntax && b.Chance(0.2)), out var member)) return false;
        b.Replace(member.FullSpan, "");
        return true;
    }

    static bool MemberDuplicate(MutantBuilder b)
    {
        if (!b.TryPick(Fields(b.Root()), out var field)) return false;
        b.Insert(field.FullSpan.End, field.ToFullString());
        return true;
    }

    static bool MemberReorder(MutantBuilder b)
    {
        var types = Types(b.Root()).Where(t => t.Members.OfType<FieldDeclarationSyntax>().Count() >= 2).ToList();
        if (!b.TryPick(types, out var type)) return false;
        var fields = type.Members.OfType<FieldDeclarationSyntax>().ToList();
        var order = fields.OrderBy(_ => b.Random.Next()).ToList();
        var changes = fields.Select((f, i) => new TextChange(f.Span, order[i].ToString())).ToList();
        b.SetText(SourceText.From(b.Files[0].Text).WithChanges(changes).ToString());
        return true;
    }

    static bool FieldType(MutantBuilder b)
    {
        if (!b.TryPick(Fields(b.Root()), out var field)) return false;
        var blocks = Blocks(b.Root()).Select(t => t.Identifier.Text).ToList();
        var types = ModuleTypes.Concat(new[] { "Linear?", "Conv2d?", "UnknownType", "int", "object", "ModuleList<int>", "ModuleList<Linear>", "TorchSharp.Modules.Conv1d", "ModuleList<ModuleList<Linear>>", "Linear[]", "dynamic" })
            .Concat(blocks.Select(n => $"ModuleList<{n}>")).Concat(blocks).ToList();
        b.Replace(field.Declaration.Type, b.Pick(types));
        return true;
    }

    static bool FieldStorage(MutantBuilder b)
    {
        if (!b.TryPick(LayerFields(b.Root()), out var field)) return false;
        var variable = field.Declaration.Variables[0];
        switch (b.Random.Next(8))
        {
            case 0: b.Insert(field.Declaration.SpanStart, "static "); break;
            case 1: b.Insert(field.Declaration.SpanStart, "readonly "); break;
            case 2: b.Insert(field.Declaration.SpanStart, "public "); break;
            case 3: b.Insert(variable.Span.End, " = null!"); break;
            case 4: b.Insert(variable.Span.End, $", {variable.Identifier.Text}_second"); break;
            case 5: b.Replace(TextSpan.FromBounds(variable.Span.End, field.Span.End), " { get; set; }"); break;
            case 6: b.Insert(field.Declaration.SpanStart, "volatile "); break;
            default: b.Insert(field.Declaration.SpanStart, "protected internal "); break;
        }
        return true;
    }

    /// <summary>Half-written code: the file cut at a random point.</summary>
    static bool Truncate(MutantBuilder b)
    {
        var text = b.Files[0].Text;
        int start = text.IndexOf("[", StringComparison.Ordinal);
        if (start < 0) return false;
        b.SetText(text[..b.Random.Next(start, text.Length)]);
        return true;
    }

    static bool TokenEdit(MutantBuilder b)
    {
        var tokens = b.Root().DescendantTokens().Where(t => t.Parent?.Ancestors().OfType<TypeDeclarationSyntax>().Any() == true || t.Parent is TypeDeclarationSyntax).ToList();
        if (!b.TryPick(tokens, out var token)) return false;
        if (b.Chance(0.5)) b.Replace(token.Span, "");
        else b.Insert(token.SpanStart, b.Pick(new[] { "}", ";", "[", ",", "=", "(", "]", ")", "{", "<", "partial ", "class ", "@", "\"" }));
        return true;
    }

    static bool InputShape(MutantBuilder b)
    {
        var inputs = b.Root().DescendantNodes().OfType<AttributeSyntax>().Where(a => ShortName(a) == "Input").ToList();
        if (!b.TryPick(inputs, out var input)) return false;
        var shapes = new[] { "(1)", "(4)", "(200)", "()", "(1, 2)", "(1, 1, 1)", "(3, 8, 8)", "(1, 28, 28)", "(2, 5, 7)", "(1, 4, 4)", "(3, 32, 32)", "(1, 0, 28)", "(1, 2, 3, 4)", "(1, 1, 64)", "(16, 1, 1)", "(1, 3, 3)" };
        if (input.ArgumentList is null) b.Insert(input.Span.End, b.Pick(shapes));
        else b.Replace(input.ArgumentList, b.Pick(shapes));
        return true;
    }

    static bool LayerAdd(MutantBuilder b)
    {
        var root = b.Root();
        if (!b.TryPick(Types(root).Where(t => Has(t, "Network") || Has(t, "Block")), out var type)) return false;
        bool block = Has(type, "Block");
        var layers = block
            ? new[] { "[Conv] Conv2d added", "[Conv(Kernel = 1)] Conv2d added", "[Linear] Linear added", "[MaxPool] MaxPool2d added", "[AvgPool(Kernel = 3, Stride = 1, Padding = 1)] AvgPool2d added", "[Dropout] Dropout added", "[ZeroPad] ZeroPad2d added", "[BatchNorm] BatchNorm2d added", "[BatchNorm] BatchNorm1d added", "[GroupNorm(Groups = 2)] GroupNorm added", "[LayerNorm] LayerNorm added", "[Activation(Nonlinearity.Tanh)] Tanh added", "[Flatten] Flatten added", "[GlobalAvgPool] AdaptiveAvgPool2d added" }
            : new[] { "[Conv(8)] Conv2d added", "[Conv(4, Kernel = 1, Stride = 2)] Conv2d added", "[Linear(5)] Linear added", "[MaxPool] MaxPool2d added", "[AvgPool] AvgPool2d added", "[Dropout(P = 0.2)] Dropout added", "[ZeroPad(Padding = 2)] ZeroPad2d added", "[BatchNorm] BatchNorm2d added", "[BatchNorm] BatchNorm1d added", "[GroupNorm(Groups = 4)] GroupNorm added", "[LayerNorm] LayerNorm added", "[Activation(Nonlinearity.ReLU)] ReLU added", "[Activation(Nonlinearity.GELU)] GELU added", "[Flatten] Flatten added", "[GlobalAvgPool] AdaptiveAvgPool2d added" };
        var fields = type.Members.OfType<FieldDeclarationSyntax>().ToList();
        int at = fields.Count == 0 ? type.CloseBraceToken.SpanStart : b.Chance(0.2) ? type.CloseBraceToken.SpanStart : b.Pick(fields).FullSpan.Start;
        b.Insert(at, $"    {b.Pick(layers)}{b.Random.Next(10)};\n");
        return true;
    }

    static bool EvenKernel(MutantBuilder b)
    {
        var convs = b.Root().DescendantNodes().OfType<AttributeSyntax>().Where(a => ShortName(a) == "Conv").ToList();
        if (!b.TryPick(convs, out var conv)) return false;
        var kernel = conv.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == "Kernel");
        var value = b.Pick(new[] { "2", "4", "6" });
        if (kernel is not null) b.Replace(kernel.Expression, value);
        else AddNamedArgument(b, conv, "Kernel = " + value);
        return true;
    }

    static bool StageArguments(MutantBuilder b)
    {
        var stages = b.Root().DescendantNodes().OfType<AttributeSyntax>().Where(a => ShortName(a) == "Stage").ToList();
        if (!b.TryPick(stages, out var stage)) return false;
        AddNamedArgument(b, stage, b.Pick(new[] { "Blocks = 1", "Blocks = 7", "Blocks = 0", "Blocks = 10001", "Channels = 3", "Channels = 1", "Channels = -4", "Stride = 2", "Stride = 3", "Stride = 64" }));
        return true;
    }

    static bool BlockOptions(MutantBuilder b)
    {
        var blocks = b.Root().DescendantNodes().OfType<AttributeSyntax>().Where(a => ShortName(a) is "Block" or "Network").ToList();
        if (!b.TryPick(blocks, out var attribute)) return false;
        AddNamedArgument(b, attribute, ShortName(attribute) == "Block" ? b.Pick(new[] { "Expansion = 2", "Expansion = 4", "Expansion = 0", "Taps = false" }) : "Taps = false");
        return true;
    }

    static bool LanguageVersionMutation(MutantBuilder b)
    {
        b.Version = b.Pick(new[]
        {
            LanguageVersion.CSharp1, LanguageVersion.CSharp5, LanguageVersion.CSharp6, LanguageVersion.CSharp7, LanguageVersion.CSharp7_2, LanguageVersion.CSharp7_3, LanguageVersion.CSharp7_3,
            LanguageVersion.CSharp8, LanguageVersion.CSharp8, LanguageVersion.CSharp9, LanguageVersion.CSharp10, LanguageVersion.CSharp11, LanguageVersion.CSharp12, LanguageVersion.Preview,
        });
        if (b.Version < LanguageVersion.CSharp10) FileScopedToBlock(b);
        return true;
    }

    static bool Preprocessor(MutantBuilder b)
    {
        if (!b.TryPick(b.Root().DescendantNodes().OfType<MemberDeclarationSyntax>().Where(m => m is FieldDeclarationSyntax or TypeDeclarationSyntax), out var member)) return false;
        var (open, close) = b.Pick(new[] { ("#if false", "#endif"), ("#if DEBUG", "#endif"), ("#region layers", "#endregion"), ("#pragma warning disable", "#pragma warning restore"), ("#nullable disable", "#nullable restore"), ("#line 1 \"other.cs\"", "#line default") });
        b.Insert(member.FullSpan.End, "\n" + close + "\n");
        b.Insert(member.FullSpan.Start, "\n" + open + "\n");
        return true;
    }

    /// <summary>Identifiers spelled with Unicode escapes: the same name as a different text.</summary>
    static bool UnicodeEscape(MutantBuilder b)
    {
        var tokens = b.Root().DescendantTokens().Where(t => t.IsKind(SyntaxKind.IdentifierToken) && t.Text.Length > 1 && char.IsLetter(t.Text[0])).ToList();
        if (!b.TryPick(tokens, out var token)) return false;
        int i = b.Random.Next(token.Text.Length);
        if (!char.IsLetterOrDigit(token.Text[i])) return false;
        b.Replace(token.Span, token.Text[..i] + $"\\u{(int)token.Text[i]:X4}" + token.Text[(i + 1)..]);
        return true;
    }

    /// <summary>
    /// A matrix whose variants add modules (pre-activation's bn_final and relu_final, an activation axis's shared tanh, a
    /// BatchNorm axis's bn1), and a layer renamed to one of the names they add.
    /// </summary>
    static bool VariantAddedName(MutantBuilder b)
    {
        var root = b.Root();
        if (!b.TryPick(Networks(root), out var network)) return false;
        var axes = b.Pick(new[]
        {
            "Order = new[] { UnitOrder.Original, UnitOrder.FullPreActivation }", "Activation = new[] { Nonlinearity.ReLU, Nonlinearity.Tanh, Nonlinearity.Sigmoid }",
            "BatchNorm = new[] { BatchNormVariant.AfterConv, BatchNormVariant.None }", "Activation = new[] { Nonlinearity.GELU, Nonlinearity.LeakyReLU }, Order = new[] { UnitOrder.FullPreActivation }",
        });
        var existing = network.AttributeLists.SelectMany(l => l.Attributes).FirstOrDefault(a => ShortName(a) == "Variants");
        var fields = Types(root).Where(t => Has(t, "Network") || Has(t, "Block")).SelectMany(t => t.Members.OfType<FieldDeclarationSyntax>()).SelectMany(f => f.Declaration.Variables).ToList();
        if (fields.Count == 0) return false;
        var field = b.Pick(fields);
        var name = b.Pick(new[] { "bn_final", "relu_final", "tanh_final", "sigmoid_final", "gelu_final", "tanh", "sigmoid", "relu", "gelu", "leaky_relu", "bn1", "bn2", "bn3", "downsample", "bn_fc", "bn_fc_in" });
        // Rename first (it lies after the attribute when the field is in the network, before it when in an earlier block).
        var edits = new List<TextChange> { new(field.Identifier.Span, name) };
        if (existing is not null) edits.Add(new TextChange(existing.Span, $"Variants({axes})"));
        else edits.Add(new TextChange(new TextSpan(network.AttributeLists[0].SpanStart, 0), $"[Variants({axes})] "));
        b.SetText(SourceText.From(b.Files[0].Text).WithChanges(edits).ToString());
        return true;
    }

    /// <summary>A block class renamed (with its uses) to a network field's name or to a member every generated class has.</summary>
    static bool BlockNamedLikeMember(MutantBuilder b)
    {
        var root = b.Root();
        if (!b.TryPick(Blocks(root), out var block)) return false;
        var fields = Networks(root).SelectMany(t => t.Members.OfType<FieldDeclarationSyntax>()).SelectMany(f => f.Declaration.Variables).Select(v => v.Identifier.Text).ToList();
        var name = b.Chance(0.6) && fields.Count > 0 ? b.Pick(fields) : b.Pick(new[] { "Summary", "Tap", "forward", "Variants", "netdslProbe", "All", "Default", "Residual", "Plain", "PreAct", "ReLU" });
        var old = block.Identifier.ValueText;
        var tokens = root.DescendantTokens().Where(t => t.IsKind(SyntaxKind.IdentifierToken) && t.ValueText == old).ToList();
        b.SetText(SourceText.From(b.Files[0].Text).WithChanges(tokens.Select(t => new TextChange(t.Span, name))).ToString());
        return true;
    }

    /// <summary>A pooling layer after a block's last weight layer (it runs after the residual addition).</summary>
    static bool PoolAfterLastWeight(MutantBuilder b)
    {
        if (!b.TryPick(Blocks(b.Root()), out var block)) return false;
        var pool = b.Pick(new[] { "[MaxPool] MaxPool2d pool;", "[AvgPool(Kernel = 2)] AvgPool2d pool;", "[MaxPool(Kernel = 3, Stride = 1, Padding = 1)] MaxPool2d pool;", "[Dropout] Dropout drop;" });
        b.Insert(block.CloseBraceToken.SpanStart, "    " + pool + "\n");
        return true;
    }
}
