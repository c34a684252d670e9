using System.Globalization;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using NetDsl.Generators.Diagnostics;
using NetDsl.Generators.Kinds.Normalization;
using NetDsl.Generators.Model;
using NetDsl.Generators.Naming;
using NetDsl.Generators.Planning;

namespace NetDsl.Generators.Parsing;

/// <summary>
/// Expands a network's [Variants] matrix into one network model per valid combination: the axis values
/// applied to the network and to every block its stages use (blocks are specialized and nested in the
/// variant's class), shapes inferred, names made stable.
/// </summary>
internal static class VariantPlanner
{
    public const string VariantsAttribute = "NetDsl.VariantsAttribute";

    /// <summary>One combination of axis values; null = the axis is absent. <see cref="Norm"/> comes from the BatchNorm or the Normalization axis, named by <see cref="BatchNormName"/> or <see cref="NormalizationName"/>.</summary>
    sealed record Combo(bool? Residual, NormPolicy? Norm, string? BatchNormName, string? NormalizationName, UnitOrder? Order, Nonlinearity? Activation, int? Depth, InitKind? Init = null);

    static readonly string[] OrderNames = { "PostAct", "BnAfterAddition", "ReluBeforeAddition", "ReluOnlyPreAct", "PreAct" };
    static readonly string[] BatchNormNames = { "BnAfterConv", "BnAfterActivation", "NoBn" };
    /// <summary>The Normalization axis's values in the order of <c>NetDsl.NormalizationVariant</c>: each kind of the catalog, then none.</summary>
    static readonly string[] NormalizationNames = Norms.All.Select(k => k.Name).Concat(new[] { "NoNorm" }).ToArray();

    /// <summary>The variants of <paramref name="spec"/>'s [Variants] matrix; problems go to <paramref name="diagnostics"/> (then the list is partial and unused).</summary>
    /// <param name="matrix">The network's [Variants] attribute as plain values (<see cref="VariantsArgs.Read"/>), or null.</param>
    /// <param name="spec">The declared network.</param>
    /// <param name="diagnostics">Where matrix errors and the skipped-combinations note go.</param>
    /// <param name="inherited">Member names of TorchSharp's Module, which a type nested in a variant must not take (CS0108).</param>
    /// <param name="ct">Cancellation, checked per combination.</param>
    public static List<VariantModel> Plan(VariantsArgs? matrix, NetworkSpec spec, List<DiagnosticInfo> diagnostics, ISet<string> inherited, CancellationToken ct)
    {
        var result = new List<VariantModel>();
        // An attribute the compiler could not bind is the compiler's to report.
        if (matrix is null || matrix.Broken) return result;
        var at = matrix.At;
        void Report(DiagnosticDescriptor d, params string[] args) => diagnostics.Add(DiagnosticInfo.Create(d, at, args));

        // Axes: (name, values); an absent axis keeps the declaration's setting. An enum axis (enumName: the runtime enum, names:
        // its members as written) reports a number outside the enum as ND0009, as a policy attribute does; other values ND0003.
        List<T>? Axis<T>(string name, System.Func<object?, T?> convert, System.Func<T, bool> valid, string rule, string[]? names = null, string? enumName = null) where T : struct
        {
            // An enum axis's value as the user wrote it (its member's name), not its number.
            string Show(T v) => names is not null && v is int i && i >= 0 && i < names.Length ? names[i] : v.ToString()!;
            var arg = matrix.Arguments.FirstOrDefault(a => a.Name == name);
            // Not an array: the compiler reports the argument's type.
            if (arg is null || !arg.IsArray || arg.IsNull) return null;
            var values = arg.Values.Select(v => convert(v.Value)).ToList();
            if (values.Count == 0) { Report(DiagnosticDescriptors.EmptyMatrix, $"the {name} axis has no values", $"give it at least one value or remove it"); return null; }
            int bad = values.FindIndex(v => v is null || !valid(v.Value));
            if (bad >= 0)
            {
                if (enumName is not null && values[bad] is { } number)
                    Report(DiagnosticDescriptors.UnknownEnumValue, $"A value of the {name} axis", System.Convert.ToString(number, CultureInfo.InvariantCulture)!, enumName, string.Join(", ", names!.Select(n => n.Substring(n.IndexOf('.') + 1))));
                else
                    Report(DiagnosticDescriptors.InvalidValue, $"A value of the {name} axis", values[bad]?.ToString() ?? "invalid", rule);
                return null;
            }
            var list = values.Select(v => v!.Value).ToList();
            var duplicate = list.GroupBy(v => v).FirstOrDefault(g => g.Count() > 1);
            if (duplicate is not null) { Report(DiagnosticDescriptors.DuplicateVariant, name, Show(duplicate.Key)); return null; }
            return list;
        }

        int errors = diagnostics.Count;
        var residual = Axis<bool>("Residual", v => v is bool b ? b : null, _ => true, "true or false");
        var batchNorm = Axis<int>("BatchNorm", v => v is int i ? i : null, i => i is >= 0 and < 3, "a BatchNormVariant (AfterConv, AfterActivation, None)", new[] { "BatchNormVariant.AfterConv", "BatchNormVariant.AfterActivation", "BatchNormVariant.None" }, "BatchNormVariant");
        var order = Axis<int>("Order", v => v is int i ? i : null, Member<UnitOrder>, "a UnitOrder (" + Names<UnitOrder>() + ")", Qualified<UnitOrder>("UnitOrder"), "UnitOrder");
        var activation = Axis<int>("Activation", v => v is int i ? i : null, Member<Nonlinearity>, "a Nonlinearity (" + Names<Nonlinearity>() + ")", Qualified<Nonlinearity>("Nonlinearity"), "Nonlinearity");
        var normalization = Axis<int>("Normalization", v => v is int i ? i : null, i => i >= 0 && i < NormalizationNames.Length,
            "a NormalizationVariant (" + string.Join(", ", Norms.All.Select(k => k.Name)) + ", None)",
            Norms.All.Select(k => "NormalizationVariant." + k.Name).Concat(new[] { "NormalizationVariant.None" }).ToArray(), "NormalizationVariant");
        int groups = matrix.Arguments.FirstOrDefault(a => a.Name == "Groups")?.Single.Value is int g ? g : NormPolicy.DefaultGroups;
        if (groups <= 0 || groups > Limits.MaxGroups)
            Report(DiagnosticDescriptors.InvalidValue, "Groups of [Variants]", groups.ToString(CultureInfo.InvariantCulture), "between 1 and " + Limits.MaxGroups.ToString("N0", CultureInfo.InvariantCulture));
        if (batchNorm is not null && normalization is not null)
            Report(DiagnosticDescriptors.EmptyMatrix, "it has both a BatchNorm axis (BatchNorm's placement) and a Normalization axis (the kind)",
                "keep one: Normalization places each kind where the class's policy places its normalization");
        var initAxis = Axis<int>("Init", v => v is int i ? i : null, Member<InitKind>, "an Init (" + Names<InitKind>() + ")", Qualified<InitKind>("Init"), "Init");
        var depth = Axis<int>("Depth", v => v is int i ? i : null, i => i is >= 1 and <= Limits.MaxBlocks, $"between 1 and {Limits.MaxBlocks.ToString(CultureInfo.InvariantCulture)}");
        if (diagnostics.Count > errors) return result;
        // Bound the work before doing any: the number of combinations, then the layers of all variants together.
        long combinations = new[] { residual?.Count, batchNorm?.Count, normalization?.Count, initAxis?.Count, order?.Count, activation?.Count, depth?.Count }.Aggregate(1L, (n, c) => Expansion.Multiply(n, c ?? 1));
        if (combinations > Limits.MaxVariants)
        {
            Report(DiagnosticDescriptors.TooManyVariants, $"the matrix has {Expansion.Show(combinations)} combinations", $"{Limits.MaxVariants} variants per matrix", "list fewer axis values");
            return result;
        }
        if (!spec.Layers.Any(l => l.Kind == Kinds.Layers.LayerCatalog.Stage) && (residual is not null || order is not null || depth is not null))
        {
            Report(DiagnosticDescriptors.EmptyMatrix, $"'{spec.Name}' has no stages, so the Residual, Order and Depth axes change nothing", "use them on a network with [Stage] layers");
            return result;
        }

        // The declared normalization's settings (eps, momentum, placement) carry over to the kinds the axes put in its place.
        var template = spec.Policy.Norm;
        var combos = new List<(Combo Combo, List<string> Names)> { (new Combo(null, null, null, null, null, null, null), new List<string>()) };
        combos = Expand(combos, residual, (c, v) => c with { Residual = v }, v => v ? "Residual" : "Plain");
        combos = Expand(combos, batchNorm, (c, v) => c with
        {
            Norm = v == 2 ? template with { Kind = NormKind.None } : template with { Kind = NormKind.Batch, After = v == 0 ? BnAfter.Convolution : BnAfter.Activation },
            BatchNormName = BatchNormNames[v],
        }, v => BatchNormNames[v]);
        combos = Expand(combos, normalization, (c, v) => c with
        {
            Norm = v < Norms.All.Count ? template with { Kind = Norms.All[v].Kind, Groups = groups } : template with { Kind = NormKind.None },
            NormalizationName = NormalizationNames[v],
        }, v => NormalizationNames[v]);
        combos = Expand(combos, order, (c, v) => c with { Order = (UnitOrder)v }, v => OrderNames[v]);
        combos = Expand(combos, initAxis, (c, v) => c with { Init = (InitKind)v }, v => ((InitKind)v).ToString());
        combos = Expand(combos, activation, (c, v) => c with { Activation = (Nonlinearity)v }, v => ((Nonlinearity)v).ToString());
        combos = Expand(combos, depth, (c, v) => c with { Depth = v }, v => "Depth" + v);

        var skipped = new List<string>();
        long totalLayers = 0;
        foreach (var (combo, names) in combos)
        {
            ct.ThrowIfCancellationRequested();
            var typeName = names.Count == 0 ? "Default" : string.Join("_", names);
            var display = spec.Name + "." + (names.Count == 0 ? "Default" : string.Join(".", names));
            var container = "global::" + (spec.Namespace is null ? "" : Identifiers.Dotted(spec.Namespace) + ".") + Identifiers.Id(spec.Name) + "." + Identifiers.Variants + "." + typeName;
            var variantSpec = Specialize(spec, combo, container, typeName, inherited, out var blocks, out var meaningless);
            if (meaningless is not null) { skipped.Add($"{display} ({meaningless})"); continue; }
            if (NameClash(display, typeName, variantSpec, blocks) is { } clash)
            {
                Report(DiagnosticDescriptors.ImpliedNameClash, clash.Name, clash.What, clash.Where);
                return result;
            }

            var inference = ShapeInference.Run(variantSpec, variantSpec.Layers.Select(_ => at).ToList(), variantSpec.Layers.Select(_ => at).ToList(), at, ct, $"Variant '{display}'");
            if (inference.Diagnostics.Count > 0)
            {
                var first = inference.Diagnostics[0];
                // A normalization that cannot run on a variant's shapes: name the variant, and where a matrix sets GroupNorm's groups.
                if (first.Id == DiagnosticDescriptors.NormCannotRun.Id && first.Arguments.Count == 2)
                    first = first with
                    {
                        Arguments = new EquatableArray<string>(new[]
                        {
                            $"{first.Arguments[0]} in variant '{display}'",
                            first.Arguments[1] + (combo.NormalizationName == "GroupNorm" ? $" (the matrix's GroupNorm uses [Variants(Groups = ...)], {NormPolicy.DefaultGroups} by default)" : ""),
                        }),
                    };
                diagnostics.Add(first with { Location = at });
                return result;
            }
            totalLayers = Expansion.Add(totalLayers, inference.LayerCount);
            if (totalLayers > Limits.MaxMatrixLayers)
            {
                Report(DiagnosticDescriptors.TooManyVariants, $"the variants up to '{display}' already expand to {Expansion.Show(totalLayers)} layers in total",
                    $"{Expansion.Show(Limits.MaxMatrixLayers)} layers per matrix", "use fewer variants or smaller depths");
                return result;
            }
            var settings = new List<Setting>();
            if (combo.Residual is { } r) settings.Add(new Setting("Residual", r ? "on" : "off"));
            if (combo.BatchNormName is { } b) settings.Add(new Setting("BatchNorm", b));
            if (combo.NormalizationName is { } n) settings.Add(new Setting("Normalization", n));
            if (combo.Order is { } o) settings.Add(new Setting("Order", o.ToString()));
            if (combo.Init is { } init) settings.Add(new Setting("Init", init.ToString()));
            if (combo.Activation is { } a) settings.Add(new Setting("Activation", a.ToString()));
            if (combo.Depth is { } d) settings.Add(new Setting("Depth", d.ToString(CultureInfo.InvariantCulture)));
            var model = new NetworkModel(variantSpec, new EquatableArray<SummaryRow>(inference.Rows), new EquatableArray<long>(inference.StepInputs), new EquatableArray<int>(inference.StepRanks));
            result.Add(new VariantModel(display, typeName, new EquatableArray<Setting>(settings), model, new EquatableArray<BlockSpec>(blocks)));
        }
        if (skipped.Count > 0) Report(DiagnosticDescriptors.SkippedVariants, spec.Name, string.Join("; ", skipped));
        if (result.Count == 0 && diagnostics.Count == errors)
            Report(DiagnosticDescriptors.EmptyMatrix, $"every combination of '{spec.Name}''s matrix is meaningless", "change the axes");
        return result;
    }

    /// <summary>Whether <paramref name="value"/> is a member of the runtime enum mirrored by <typeparamref name="T"/>.</summary>
    static bool Member<T>(int value) where T : struct, System.Enum => value >= 0 && value < System.Enum.GetNames(typeof(T)).Length;

    static string Names<T>() where T : struct, System.Enum => string.Join(", ", System.Enum.GetNames(typeof(T)));

    /// <summary>The runtime enum's members as written in code (<c>Init.Fixup</c>), by value.</summary>
    static string[] Qualified<T>(string runtimeName) where T : struct, System.Enum => System.Enum.GetNames(typeof(T)).Select(n => runtimeName + "." + n).ToArray();

    static List<(Combo, List<string>)> Expand<T>(List<(Combo Combo, List<string> Names)> combos, List<T>? values, System.Func<Combo, T, Combo> apply, System.Func<T, string> name)
    {
        if (values is null) return combos;
        var next = new List<(Combo, List<string>)>();
        foreach (var (combo, names) in combos)
            foreach (var v in values)
                next.Add((apply(combo, v), values.Count > 1 ? names.Concat(new[] { name(v) }).ToList() : names));
        return next;
    }

    /// <summary>
    /// The first clash among the names of a variant's class and of the blocks nested in it: a generated member named
    /// like a layer (<c>bn_final</c>, <c>tanh</c>, <c>bn1</c> that only this variant adds) or like the variant type.
    /// </summary>
    static (string Name, string What, string Where)? NameClash(string display, string typeName, NetworkSpec variant, List<BlockSpec> blocks)
    {
        var schedule = UnitSchedule.Build(variant.Layers.ToList(), variant.Policy, isNetwork: true);
        foreach (var (name, what) in Identifiers.Clashes(typeName, schedule, variant.Layers.ToList(), isNetwork: true, hasVariants: false))
            return (name, what, display);
        foreach (var block in blocks)
        {
            var s = UnitSchedule.Build(block.Layers.ToList(), block.Policy, isNetwork: false);
            foreach (var (name, what) in Identifiers.Clashes(block.Name, s, block.Layers.ToList(), isNetwork: false, hasVariants: false))
                return (name, what, "block " + block.Name + " of " + display);
        }
        return null;
    }

    /// <summary>The network with the combination applied; null reason when it means something, else why not.</summary>
    static NetworkSpec Specialize(NetworkSpec spec, Combo c, string container, string typeName, ISet<string> inherited, out List<BlockSpec> blocks, out string? meaningless)
    {
        meaningless = null;
        var policy = spec.Policy with
        {
            Norm = c.Norm ?? spec.Policy.Norm,
            Activation = c.Activation is { } a ? spec.Policy.Activation with { Kind = a } : spec.Policy.Activation,
            Init = c.Init ?? spec.Policy.Init,
        };

        // First the blocks' policies and layers under the combination (keyed by the declared block type), in the order met.
        string? reason = null;
        var specialized = new Dictionary<string, BlockSpec>();
        var order = new List<string>();
        BlockSpec SpecializeBlock(BlockSpec b)
        {
            if (specialized.TryGetValue(b.TypeName, out var done)) return done;
            var bp = b.Policy;
            var residualPolicy = bp.Residual with
            {
                Enabled = c.Residual ?? bp.Residual.Enabled,
                Order = c.Order ?? bp.Residual.Order,
            };
            var blockPolicy = new Policy(
                c.Norm ?? (b.StatesNorm ? bp.Norm : policy.Norm),
                c.Activation is { } act ? (b.StatesActivation ? bp.Activation : policy.Activation) with { Kind = act } : b.StatesActivation ? bp.Activation : policy.Activation,
                residualPolicy,
                c.Init ?? bp.Init);
            reason ??= Meaningless(blockPolicy);
            var layers = b.Layers.Select(l => l.Kind == Kinds.Layers.LayerCatalog.Stage ? l with { Block = SpecializeBlock(l.Block!) } : Override(l, c)).OfType<LayerSpec>().ToList();
            reason ??= ClassReader.InitProblem(blockPolicy, layers, isNetwork: false)?.Problem;
            var result = b with { Policy = blockPolicy, Layers = new EquatableArray<LayerSpec>(layers), Namespace = null };
            specialized[b.TypeName] = result;
            order.Add(b.TypeName);
            return result;
        }

        var layersOut = new List<LayerSpec>();
        int firstStage = spec.Layers.ToList().FindIndex(l => l.Kind == Kinds.Layers.LayerCatalog.Stage);
        int lastStage = spec.Layers.ToList().FindLastIndex(l => l.Kind == Kinds.Layers.LayerCatalog.Stage);
        // Pre-activation variants of a post-activation declaration: the stem hands raw outputs to the first unit,
        // and a final BN + activation follow the last unit (He et al. 2016).
        bool declaredPreAct = firstStage >= 0 && spec.Layers[firstStage].Block!.Policy.Residual.Order == UnitOrder.FullPreActivation;
        bool makePreAct = c.Order == UnitOrder.FullPreActivation && !declaredPreAct && firstStage >= 0;
        for (int i = 0; i < spec.Layers.Count; i++)
        {
            var l = spec.Layers[i];
            if (l.Kind == Kinds.Layers.LayerCatalog.Stage)
                l = l with { Block = SpecializeBlock(l.Block!), Blocks = c.Depth ?? l.Blocks };
            else
            {
                var overridden = Override(l, c);
                if (overridden is null) continue;   // an explicit BatchNorm layer in a NoBn variant
                l = overridden;
            }
            if (makePreAct && i < firstStage && l.IsWeight)
                l = l with { Norm = NormPolicy.None, Activation = ActivationPolicy.None };
            layersOut.Add(l);
            if (makePreAct && i == lastStage)
            {
                bool spatialOut = l.Block!.Spatial;
                if (policy.Norm.Enabled)
                    layersOut.Add(LayerSpec.Create(Identifiers.FinalNorm, Kinds.Layers.LayerCatalog.Norm, norm: policy.Norm, normRank: spatialOut ? Ranks.Map : Ranks.Vector));
                if (policy.Activation.Kind != Nonlinearity.None)
                    layersOut.Add(LayerSpec.Create(Identifiers.FinalActivation(policy.Activation.Kind), Kinds.Layers.LayerCatalog.Activation, activation: policy.Activation));
            }
        }
        reason ??= ClassReader.InitProblem(policy, layersOut, isNetwork: true)?.Problem;
        if (policy.Init is InitKind.ZeroGamma or InitKind.Fixup or InitKind.SkipInit && !layersOut.Any(l => l.Kind == Kinds.Layers.LayerCatalog.Stage && l.Block!.Policy.Residual.Enabled))
            reason ??= $"Init.{policy.Init} acts on residual branches, and the variant has none";
        meaningless = reason;

        // Then the names of the blocks as types nested in the variant's class: unique among the class's members (its
        // layers and generated members, and those it inherits from Module), the variant's own name, the other nested
        // blocks, and each block's own members.
        var taken = new HashSet<string>(layersOut.Select(l => l.Name).Concat(inherited)) { typeName };
        var variantSchedule = UnitSchedule.Build(layersOut, policy, isNetwork: true);
        foreach (var (name, _) in Identifiers.Members(variantSchedule, layersOut, isNetwork: true, hasVariants: false)) taken.Add(name);
        var names = new Dictionary<string, string>();
        foreach (var key in order)
        {
            var b = specialized[key];
            var own = new HashSet<string>(b.Layers.Select(l => l.Name));
            foreach (var (name, _) in Identifiers.Members(UnitSchedule.Build(b.Layers.ToList(), b.Policy, isNetwork: false), b.Layers.ToList(), isNetwork: false, hasVariants: false)) own.Add(name);
            var chosen = b.Name;
            while (taken.Contains(chosen) || own.Contains(chosen)) chosen += "_";
            taken.Add(chosen);
            names[key] = chosen;
        }
        var named = new Dictionary<string, BlockSpec>();
        BlockSpec Name(BlockSpec b)
        {
            // b is a specialized block (its TypeName still the declared one).
            if (named.TryGetValue(b.TypeName, out var done)) return done;
            var layers = b.Layers.Select(l => l.Kind == Kinds.Layers.LayerCatalog.Stage ? l with { Block = Name(l.Block!) } : l).ToList();
            var name = names[b.TypeName];
            var result = b with { TypeName = container + "." + Identifiers.Id(name), Name = name, Layers = new EquatableArray<LayerSpec>(layers) };
            named[b.TypeName] = result;
            return result;
        }
        layersOut = layersOut.Select(l => l.Kind == Kinds.Layers.LayerCatalog.Stage ? l with { Block = Name(l.Block!) } : l).ToList();
        blocks = order.Select(k => Name(specialized[k])).ToList();
        return spec with { Name = typeName, Policy = policy, Layers = new EquatableArray<LayerSpec>(layersOut), FileStem = "" };
    }

    /// <summary>
    /// A per-layer override follows the matrix: an enabled normalization takes the axis kind and placement, a non-None
    /// activation the axis kind. Explicit normalization layers disappear in variants without normalization (null) and take
    /// the Normalization axis's kind; explicit activation layers take the axis kind.
    /// </summary>
    static LayerSpec? Override(LayerSpec l, Combo c)
    {
        // An explicit normalization layer: gone without normalization; the Normalization axis gives it the axis kind.
        if (l.Kind == Kinds.Layers.LayerCatalog.Norm)
            return c.Norm is { Enabled: false } ? null : c is { NormalizationName: not null, Norm: { } axisNorm } ? l with { Norm = l.Norm! with { Kind = axisNorm.Kind, Groups = axisNorm.Groups } } : l;
        if (l.Kind == Kinds.Layers.LayerCatalog.Activation && c.Activation is { } a && a != Nonlinearity.None) return l with { Activation = l.Activation! with { Kind = a } };
        if (!l.IsWeight) return l;
        var bn = l.Norm is { Enabled: true } && c.Norm is { } axis ? axis : l.Norm;
        var act = l.Activation is { Kind: not Nonlinearity.None } && c.Activation is { } kind ? l.Activation with { Kind = kind } : l.Activation;
        return l with { Norm = bn, Activation = act };
    }

    static string? Meaningless(Policy p)
    {
        var order = p.Residual.Order;
        if (!p.Residual.Enabled && order is UnitOrder.BnAfterAddition or UnitOrder.ReluBeforeAddition or UnitOrder.ReluOnlyPreActivation)
            return $"{order} needs a residual addition";
        if (p.Residual.Enabled && p.Norm is { Enabled: true, After: BnAfter.Activation } && order is not (UnitOrder.Original or UnitOrder.ReluBeforeAddition))
            return $"{order} fixes where {Norms.Of(p.Norm.Kind).Name} goes";
        return null;
    }
}

/// <summary>A constant of an attribute argument (a boxed int, bool or double, or null), compared by value.</summary>
internal sealed record Constant(object? Value);

/// <summary>One named argument of [Variants] as plain values: an array's elements, or a single value.</summary>
internal sealed record NamedArgument(string Name, bool IsArray, bool IsNull, EquatableArray<Constant> Values, Constant Single);

/// <summary>
/// A network's [Variants] attribute as plain, equatable values, read in the pipeline's transform so that the variant planning
/// (the expensive part) runs in a later step that Roslyn caches while the attribute and the network are unchanged.
/// </summary>
internal sealed record VariantsArgs(LocationInfo? At, bool Broken, EquatableArray<NamedArgument> Arguments)
{
    /// <summary>The [Variants] attribute of <paramref name="type"/>, or null when it has none.</summary>
    public static VariantsArgs? Read(INamedTypeSymbol type, CancellationToken ct)
    {
        var attribute = type.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == VariantPlanner.VariantsAttribute);
        if (attribute is null) return null;
        var at = LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax(ct));
        if (ClassReader.Broken(attribute)) return new VariantsArgs(at, true, EquatableArray<NamedArgument>.Empty);
        var arguments = attribute.NamedArguments.Select(kv => new NamedArgument(kv.Key, kv.Value.Kind == TypedConstantKind.Array, kv.Value.IsNull,
            kv.Value.Kind == TypedConstantKind.Array && !kv.Value.IsNull ? new EquatableArray<Constant>(kv.Value.Values.Select(v => new Constant(v.Value))) : EquatableArray<Constant>.Empty,
            new Constant(kv.Value.Kind == TypedConstantKind.Array ? null : kv.Value.Value)));
        return new VariantsArgs(at, false, new EquatableArray<NamedArgument>(arguments));
    }
}
