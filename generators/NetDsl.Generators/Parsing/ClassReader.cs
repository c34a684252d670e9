using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using NetDsl.Generators.Diagnostics;
using NetDsl.Generators.Model;

namespace NetDsl.Generators.Parsing;

/// <summary>A layer as read, with the locations diagnostics point at (kept out of the value model).</summary>
internal sealed record ReadLayer(LayerSpec Spec, LocationInfo? AttributeLocation, LocationInfo? TypeLocation);

/// <summary>
/// Reads what networks and blocks share: class checks, policies, and layer fields in declaration order.
/// Collects diagnostics instead of throwing.
/// </summary>
internal sealed class ClassReader
{
    public const string NetworkAttribute = "NetDsl.NetworkAttribute";
    public const string BlockAttribute = "NetDsl.BlockAttribute";
    const string InputAttribute = "NetDsl.InputAttribute";
    const string BatchNormAttribute = "NetDsl.BatchNormAttribute";
    const string ActivationAttribute = "NetDsl.ActivationAttribute";
    const string ResidualAttribute = "NetDsl.ResidualAttribute";
    const string ModuleList = "TorchSharp.Modules.ModuleList<T>";

    readonly CancellationToken ct;
    public List<DiagnosticInfo> Diagnostics { get; } = new();

    public ClassReader(CancellationToken ct) => this.ct = ct;

    public bool HasErrors => Diagnostics.Count > 0;

    public static LocationInfo? NameLocation(INamedTypeSymbol type) =>
        LocationInfo.From(type.Locations.FirstOrDefault(l => l.IsInSource));

    LocationInfo? Where(AttributeData a) => LocationInfo.From(a.ApplicationSyntaxReference?.GetSyntax(ct));

    void Report(DiagnosticDescriptor d, LocationInfo? at, params string[] args) => Diagnostics.Add(DiagnosticInfo.Create(d, at, args));

    static AttributeData? Find(ISymbol s, string name) => s.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == name);

    static TypedConstant? Named(AttributeData a, string name)
    {
        foreach (var kv in a.NamedArguments)
            if (kv.Key == name) return kv.Value;
        return null;
    }

    static int NamedInt(AttributeData a, string name, int fallback) => Named(a, name)?.Value is int i ? i : fallback;
    static double NamedDouble(AttributeData a, string name, double fallback) => Named(a, name)?.Value switch { double d => d, float f => f, int i => i, _ => fallback };
    static bool NamedBool(AttributeData a, string name, bool fallback) => Named(a, name)?.Value is bool b ? b : fallback;

    /// <summary>Checks shared by networks and blocks: partial, top-level, non-generic, no own constructor, not both kinds.</summary>
    public void CheckClass(INamedTypeSymbol type, string kind)
    {
        var at = NameLocation(type);
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(ct) is TypeDeclarationSyntax syntax && !syntax.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                Report(DiagnosticDescriptors.NotPartial, LocationInfo.From(syntax.Identifier.GetLocation()), type.Name);
                break;
            }
        }
        if (type.ContainingType is not null)
            Report(DiagnosticDescriptors.UnsupportedContainer, at, type.Name, "nested in '" + type.ContainingType.Name + "'");
        else if (type.IsGenericType)
            Report(DiagnosticDescriptors.UnsupportedContainer, at, type.Name, "generic");
        foreach (var ctor in type.InstanceConstructors.Where(c => !c.IsImplicitlyDeclared))
            Report(DiagnosticDescriptors.UserConstructor, LocationInfo.From(ctor.Locations.FirstOrDefault()), type.Name);
        if (Find(type, NetworkAttribute) is not null && Find(type, BlockAttribute) is not null)
            Report(DiagnosticDescriptors.ConflictingPolicies, at, $"'{type.Name}' is marked both [Network] and [Block]", "keep one: [Network] for a model, [Block] for a unit repeated by stages");
    }

    /// <summary>The per-sample input shape from [Input], or null after reporting why.</summary>
    public int[]? ReadInput(INamedTypeSymbol type)
    {
        var attribute = Find(type, InputAttribute);
        if (attribute is null)
        {
            Report(DiagnosticDescriptors.MissingInput, NameLocation(type), type.Name);
            return null;
        }
        var at = Where(attribute);
        var sizes = attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Kind == TypedConstantKind.Array
            ? attribute.ConstructorArguments[0].Values.Select(v => v.Value is int i ? i : 0).ToArray()
            : System.Array.Empty<int>();
        if (sizes.Length is not (1 or 3))
        {
            Report(DiagnosticDescriptors.InvalidInputRank, at, sizes.Length.ToString());
            return null;
        }
        bool ok = true;
        for (int i = 0; i < sizes.Length; i++)
        {
            if (sizes[i] > 0) continue;
            Report(DiagnosticDescriptors.InvalidValue, at, $"Input size {i + 1}", sizes[i].ToString(), "positive");
            ok = false;
        }
        return ok ? sizes : null;
    }

    /// <summary>The class-level policies with their defaults: no BatchNorm, no activation, plain.</summary>
    public Policy ReadPolicy(INamedTypeSymbol type) => new(
        ReadBatchNorm(type) ?? BatchNormPolicy.None,
        ReadActivation(type) ?? ActivationPolicy.None,
        ReadResidual(type) ?? ResidualPolicy.Off);

    public BatchNormPolicy? ReadBatchNorm(ISymbol symbol)
    {
        var a = Find(symbol, BatchNormAttribute);
        if (a is null) return null;
        var at = Where(a);
        int after = NamedInt(a, "After", 0);
        if (!CheckEnum(after, 2, $"BatchNorm.After on '{symbol.Name}'", "Layer", "Conv, Activation", at)) after = 0;
        double eps = NamedDouble(a, "Eps", 1e-5), momentum = NamedDouble(a, "Momentum", 0.1);
        if (!(eps > 0)) Report(DiagnosticDescriptors.InvalidValue, at, $"BatchNorm.Eps on '{symbol.Name}'", Fmt(eps), "positive");
        if (!(momentum >= 0 && momentum <= 1)) Report(DiagnosticDescriptors.InvalidValue, at, $"BatchNorm.Momentum on '{symbol.Name}'", Fmt(momentum), "between 0 and 1");
        return new BatchNormPolicy(NamedBool(a, "Enabled", true), (BnAfter)after, eps, momentum);
    }

    public ActivationPolicy? ReadActivation(ISymbol symbol)
    {
        var a = Find(symbol, ActivationAttribute);
        if (a is null) return null;
        int kind = a.ConstructorArguments.Length == 1 && a.ConstructorArguments[0].Value is int v ? v : 0;
        if (!CheckEnum(kind, 6, $"Activation on '{symbol.Name}'", "Nonlinearity", "None, ReLU, LeakyReLU, Sigmoid, Tanh, GELU", Where(a))) kind = 0;
        return new ActivationPolicy((Nonlinearity)kind, NamedDouble(a, "NegativeSlope", 0.01));
    }

    ResidualPolicy? ReadResidual(INamedTypeSymbol type)
    {
        var a = Find(type, ResidualAttribute);
        if (a is null) return null;
        var at = Where(a);
        int shortcut = NamedInt(a, "Shortcut", 0), order = NamedInt(a, "Order", 0);
        if (!CheckEnum(shortcut, 4, $"Residual.Shortcut on '{type.Name}'", "Shortcut", "Auto, Identity, ZeroPad, Projection", at)) shortcut = 0;
        if (!CheckEnum(order, 5, $"Residual.Order on '{type.Name}'", "UnitOrder", "Original, BnAfterAddition, ReluBeforeAddition, ReluOnlyPreActivation, FullPreActivation", at)) order = 0;
        double scale = NamedDouble(a, "BranchScale", 1.0);
        if (double.IsNaN(scale) || double.IsInfinity(scale)) Report(DiagnosticDescriptors.InvalidValue, at, $"Residual.BranchScale on '{type.Name}'", Fmt(scale), "a finite number");
        return new ResidualPolicy(NamedBool(a, "Enabled", true), (ShortcutKind)shortcut, (UnitOrder)order, scale);
    }

    bool CheckEnum(int value, int count, string what, string enumName, string names, LocationInfo? at)
    {
        if (value >= 0 && value < count) return true;
        Report(DiagnosticDescriptors.UnknownEnumValue, at, what, value.ToString(), enumName, names);
        return false;
    }

    static string Fmt(double d) => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Reads the layer fields in declaration order. <paramref name="blockPath"/> is the chain of blocks
    /// being read (for cycle detection); <paramref name="inBlock"/> selects block rules for sizes.
    /// </summary>
    public List<ReadLayer> ReadLayers(INamedTypeSymbol type, bool inBlock, ImmutableStack<string> blockPath)
    {
        var result = new List<ReadLayer>();
        // Declaration order is forward order; sort by file and position so partial files give a stable order.
        var fields = type.GetMembers().OfType<IFieldSymbol>()
            .Where(f => !f.IsImplicitlyDeclared && f.DeclaringSyntaxReferences.Length > 0)
            .OrderBy(f => f.DeclaringSyntaxReferences[0].SyntaxTree.FilePath, System.StringComparer.Ordinal)
            .ThenBy(f => f.DeclaringSyntaxReferences[0].Span.Start);

        foreach (var field in fields)
        {
            ct.ThrowIfCancellationRequested();
            var typeSyntax = (field.DeclaringSyntaxReferences[0].GetSyntax(ct).Parent as VariableDeclarationSyntax)?.Type;
            var typeAt = LocationInfo.From(typeSyntax) ?? LocationInfo.From(field.Locations.FirstOrDefault());
            var fieldType = field.Type.OriginalDefinition.ToDisplayString();
            var layerAttributes = field.GetAttributes()
                .Select(a => (Attribute: a, Name: a.AttributeClass?.ToDisplayString() ?? ""))
                .Where(a => LayerKinds.ByAttribute.ContainsKey(a.Name)).ToList();
            var bn = ReadBatchNorm(field);
            var act = ReadActivation(field);

            if (layerAttributes.Count > 1)
            {
                Report(DiagnosticDescriptors.MultipleLayerAttributes, LocationInfo.From(field.Locations.FirstOrDefault()), field.Name,
                    string.Join(", ", layerAttributes.Select(a => "[" + a.Attribute.AttributeClass!.Name.Replace("Attribute", "") + "]")));
                continue;
            }
            if (layerAttributes.Count == 0)
            {
                // Explicit BatchNorm / activation layers: the policy attribute on a field of the module's type.
                var bnAttribute = Find(field, BatchNormAttribute);
                var actAttribute = Find(field, ActivationAttribute);
                if (bnAttribute is not null && fieldType is LayerKinds.Modules + "BatchNorm2d" or LayerKinds.Modules + "BatchNorm1d" && actAttribute is null)
                    result.Add(new ReadLayer(Layer(field.Name, LayerKind.BatchNorm, @out: fieldType.EndsWith("2d") ? 2 : 1, bn: bn), Where(bnAttribute), typeAt));
                else if (actAttribute is not null && bnAttribute is null && act is not null)
                {
                    var expected = LayerKinds.Modules + LayerKinds.ActivationType(act.Kind);
                    if (act.Kind == Nonlinearity.None || fieldType != expected)
                        Report(DiagnosticDescriptors.WrongFieldType, typeAt, field.Name, fieldType, "Activation(" + act.Kind + ")", expected);
                    else
                        result.Add(new ReadLayer(Layer(field.Name, LayerKind.Activation, act: act), Where(actAttribute), typeAt));
                }
                else if (bnAttribute is not null || actAttribute is not null)
                {
                    var which = bnAttribute is not null ? "BatchNorm" : "Activation";
                    var types = bnAttribute is not null ? "BatchNorm2d or BatchNorm1d" : "ReLU, LeakyReLU, Sigmoid, Tanh or GELU";
                    Report(DiagnosticDescriptors.MisplacedPolicy, Where(bnAttribute ?? actAttribute!), which, field.Name, types);
                }
                continue;
            }

            var (attribute, name) = layerAttributes[0];
            var kind = LayerKinds.ByAttribute[name];
            var at = Where(attribute);
            var read = ReadLayer(field, kind, attribute, at, fieldType, typeAt, inBlock, blockPath, bn, act);
            if (read is not null) result.Add(new ReadLayer(read, at, typeAt));
        }
        return result;
    }

    static LayerSpec Layer(string name, LayerKind kind, int @out = 0, int kernel = 0, int stride = 1, int padding = 0, bool? bias = null,
        bool strided = false, double p = 0, int blocks = 0, BlockSpec? block = null, BatchNormPolicy? bn = null, ActivationPolicy? act = null) =>
        new(name, kind, @out, kernel, stride, padding, bias, strided, p, blocks, block, bn, act);

    LayerSpec? ReadLayer(IFieldSymbol field, LayerKind kind, AttributeData a, LocationInfo? at, string fieldType, LocationInfo? typeAt,
        bool inBlock, ImmutableStack<string> blockPath, BatchNormPolicy? bn, ActivationPolicy? act)
    {
        string label = $"'{field.Name}'";
        if (kind != LayerKind.Stage)
        {
            var expected = LayerKinds.Modules + LayerKinds.FieldType(kind);
            if (fieldType != expected)
            {
                Report(DiagnosticDescriptors.WrongFieldType, typeAt, field.Name, fieldType, AttributeName(kind), expected);
                return null;
            }
        }
        if (kind is not (LayerKind.Conv or LayerKind.Linear) && (bn is not null || act is not null))
        {
            Report(DiagnosticDescriptors.MisplacedPolicy, at, bn is not null ? "BatchNorm" : "Activation", field.Name, "Conv2d or Linear (a weight layer)");
            return null;
        }

        switch (kind)
        {
            case LayerKind.Conv:
            case LayerKind.Linear:
            {
                int size = a.ConstructorArguments.Length == 1 && a.ConstructorArguments[0].Value is int s ? s : 0;
                bool hasSize = a.ConstructorArguments.Length == 1;
                int kernel = kind == LayerKind.Conv ? NamedInt(a, "Kernel", 3) : 0;
                int stride = kind == LayerKind.Conv ? NamedInt(a, "Stride", 1) : 1;
                int padding = kind == LayerKind.Conv ? NamedInt(a, "Padding", -1) : 0;
                bool? bias = Named(a, "Bias")?.Value is bool b ? b : null;
                bool strided = kind == LayerKind.Conv && NamedBool(a, "Strided", false);
                var what = kind == LayerKind.Conv ? "Conv" : "Linear";
                if (inBlock && hasSize)
                    Report(DiagnosticDescriptors.FixedSizeInBlock, at, field.Name, blockPath.Peek(), size.ToString());
                else if (!inBlock && !hasSize)
                    Report(DiagnosticDescriptors.MissingSize, at, field.Name, field.ContainingType.Name, $"[{what}(64{(kind == LayerKind.Conv ? ", Kernel = 3" : "")})]");
                else if (hasSize && size <= 0)
                    Report(DiagnosticDescriptors.InvalidValue, at, $"The size of {label}", size.ToString(), "positive");
                if (kind == LayerKind.Conv)
                {
                    if (kernel <= 0) Report(DiagnosticDescriptors.InvalidValue, at, $"Kernel of {label}", kernel.ToString(), "positive");
                    if (stride <= 0) Report(DiagnosticDescriptors.InvalidValue, at, $"Stride of {label}", stride.ToString(), "positive");
                    if (padding < -1) Report(DiagnosticDescriptors.InvalidValue, at, $"Padding of {label}", padding.ToString(), "zero or more (or -1 for \"same\")");
                    if (strided && !inBlock) Report(DiagnosticDescriptors.ConflictingPolicies, at, $"{label} is marked Strided outside a block", "use Stride = n in a network");
                }
                return Layer(field.Name, kind, @out: size, kernel: kernel, stride: stride, padding: padding, bias: bias, strided: strided, bn: bn, act: act);
            }
            case LayerKind.MaxPool:
            case LayerKind.AvgPool:
            {
                int kernel = NamedInt(a, "Kernel", 2), stride = NamedInt(a, "Stride", 0), padding = NamedInt(a, "Padding", 0);
                if (kernel <= 0) Report(DiagnosticDescriptors.InvalidValue, at, $"Kernel of {label}", kernel.ToString(), "positive");
                if (stride < 0) Report(DiagnosticDescriptors.InvalidValue, at, $"Stride of {label}", stride.ToString(), "positive (or 0 for the kernel size)");
                if (padding < 0 || padding > kernel / 2) Report(DiagnosticDescriptors.InvalidValue, at, $"Padding of {label}", padding.ToString(), $"between 0 and half the kernel ({kernel / 2})");
                return Layer(field.Name, kind, kernel: kernel, stride: stride, padding: padding);
            }
            case LayerKind.Dropout:
            {
                double p = NamedDouble(a, "P", 0.5);
                if (!(p >= 0 && p < 1)) Report(DiagnosticDescriptors.InvalidValue, at, $"P of {label}", Fmt(p), "at least 0 and less than 1");
                return Layer(field.Name, kind, p: p);
            }
            case LayerKind.Stage:
                return ReadStage(field, a, at, typeAt, inBlock, blockPath);
            default:
                return Layer(field.Name, kind);
        }
    }

    LayerSpec? ReadStage(IFieldSymbol field, AttributeData a, LocationInfo? at, LocationInfo? typeAt, bool inBlock, ImmutableStack<string> blockPath)
    {
        int blocks = NamedInt(a, "Blocks", 1), channels = NamedInt(a, "Channels", 0), stride = NamedInt(a, "Stride", 1);
        if (field.Type is not INamedTypeSymbol { IsGenericType: true } list || list.OriginalDefinition.ToDisplayString() != ModuleList)
        {
            Report(DiagnosticDescriptors.WrongFieldType, typeAt, field.Name, field.Type.ToDisplayString(), "Stage", "TorchSharp.Modules.ModuleList<TBlock>");
            return null;
        }
        var blockType = list.TypeArguments[0] as INamedTypeSymbol;
        if (blockType is null || Find(blockType, BlockAttribute) is null)
        {
            Report(DiagnosticDescriptors.StageTypeNotBlock, typeAt, field.Name, list.TypeArguments[0].ToDisplayString());
            return null;
        }
        if (blocks <= 0) Report(DiagnosticDescriptors.InvalidValue, at, $"Blocks of '{field.Name}'", blocks.ToString(), "positive");
        if (stride <= 0) Report(DiagnosticDescriptors.InvalidValue, at, $"Stride of '{field.Name}'", stride.ToString(), "positive");
        if (inBlock && channels != 0) Report(DiagnosticDescriptors.FixedSizeInBlock, at, field.Name, blockPath.Peek(), $"Channels = {channels}");
        else if (!inBlock && channels <= 0) Report(DiagnosticDescriptors.InvalidValue, at, $"Channels of '{field.Name}'", channels.ToString(), "positive");

        var fullName = blockType.ToDisplayString();
        if (blockPath.Contains(fullName))
        {
            var chain = string.Join(" -> ", blockPath.Reverse().Concat(new[] { fullName }).Select(n => n.Split('.').Last()));
            Report(DiagnosticDescriptors.BlockCycle, typeAt, blockPath.Peek().Split('.').Last(), field.Name, chain);
            return null;
        }
        var nested = new ClassReader(ct);
        var block = nested.ReadBlock(blockType, blockPath);
        // The block reports its own problems; here it only makes this class unbuildable, except for a
        // cycle through this class, which is this class's problem too.
        foreach (var d in nested.Diagnostics.Where(d => d.Id == DiagnosticDescriptors.BlockCycle.Id))
            Report(DiagnosticDescriptors.BlockCycle, typeAt, blockPath.IsEmpty ? field.ContainingType.Name : blockPath.Peek().Split('.').Last(), field.Name, d.Arguments[2]);
        if (block is null || nested.HasErrors)
        {
            if (!nested.Diagnostics.Any(d => d.Id == DiagnosticDescriptors.BlockCycle.Id)) BlockInvalid = true;
            return null;
        }
        if (!block.Spatial && stride != 1)
            Report(DiagnosticDescriptors.StrideOnVectorBlock, at, field.Name, stride.ToString(), blockType.Name);
        return Layer(field.Name, LayerKind.Stage, @out: channels, stride: stride, blocks: blocks, block: block);
    }

    /// <summary>True when a stage's block has errors of its own (reported on the block): emit nothing, report nothing more.</summary>
    public bool BlockInvalid { get; private set; }

    /// <summary>Reads a [Block] class into a spec (null when invalid; diagnostics collected).</summary>
    public BlockSpec? ReadBlock(INamedTypeSymbol type, ImmutableStack<string> outerPath)
    {
        var fullName = type.ToDisplayString();
        var path = outerPath.Push(fullName);
        CheckClass(type, "block");
        var blockAttribute = Find(type, BlockAttribute);
        int expansion = blockAttribute is null ? 1 : NamedInt(blockAttribute, "Expansion", 1);
        if (expansion <= 0) Report(DiagnosticDescriptors.InvalidValue, blockAttribute is null ? null : Where(blockAttribute), $"Expansion of '{type.Name}'", expansion.ToString(), "positive");
        var policy = ReadPolicy(type);
        var layers = ReadLayers(type, inBlock: true, path);
        var specs = layers.Select(l => l.Spec).ToList();

        bool spatial = specs.Any(l => l.Kind is LayerKind.Conv or LayerKind.MaxPool or LayerKind.AvgPool or LayerKind.GlobalAvgPool or LayerKind.Flatten
            || l.Kind == LayerKind.Stage && l.Block!.Spatial || l.Kind == LayerKind.BatchNorm && l.Out == 2);
        bool vector = specs.Any(l => l.Kind == LayerKind.Linear || l.Kind == LayerKind.Stage && !l.Block!.Spatial || l.Kind == LayerKind.BatchNorm && l.Out == 1);
        var at = NameLocation(type);
        if (spatial && vector) Report(DiagnosticDescriptors.BlockMixesKinds, at, type.Name);
        if (!specs.Any(l => l.IsWeight || l.Kind == LayerKind.Stage) && !HasErrors && !BlockInvalid)
            Report(DiagnosticDescriptors.NoLayers, at, type.Name, "weight layers", "[Conv(Kernel = 3)] or [Linear]");
        if (specs.Count(l => l.Strided) > 1)
            Report(DiagnosticDescriptors.ConflictingPolicies, at, $"more than one convolution in '{type.Name}' is marked Strided", "mark one");
        CheckPolicy(type.Name, policy, specs, at);
        CheckNames(type, layers, policy, isNetwork: false);
        if (HasErrors || BlockInvalid) return null;
        return new BlockSpec("global::" + fullName, type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString(),
            type.Name, expansion, spatial || !vector, policy, new EquatableArray<LayerSpec>(specs));
    }

    /// <summary>Policy combinations that have no meaning.</summary>
    public void CheckPolicy(string className, Policy policy, IReadOnlyList<LayerSpec> layers, LocationInfo? at)
    {
        var order = policy.Residual.Order;
        bool anyBnAfterAct = policy.BatchNorm is { Enabled: true, After: BnAfter.Activation }
            || layers.Any(l => l.BatchNorm is { Enabled: true, After: BnAfter.Activation });
        if (policy.Residual.Enabled && anyBnAfterAct && order is not (UnitOrder.Original or UnitOrder.ReluBeforeAddition))
            Report(DiagnosticDescriptors.ConflictingPolicies, at, $"'{className}' puts BatchNorm after the activation, but the unit order {order} fixes where BatchNorm goes",
                "use After = Conv, or UnitOrder.Original / ReluBeforeAddition");
        if (!policy.Residual.Enabled && order is UnitOrder.BnAfterAddition or UnitOrder.ReluBeforeAddition or UnitOrder.ReluOnlyPreActivation)
            Report(DiagnosticDescriptors.ConflictingPolicies, at, $"'{className}' has the unit order {order} but no residual addition",
                "enable [Residual] or use UnitOrder.Original / FullPreActivation");
        var slopes = new[] { policy.Activation }.Concat(layers.Select(l => l.Activation)).OfType<ActivationPolicy>()
            .Where(a => a.Kind == Nonlinearity.LeakyReLU).Select(a => a.NegativeSlope).Distinct().ToList();
        if (slopes.Count > 1)
            Report(DiagnosticDescriptors.ConflictingPolicies, at, $"'{className}' uses LeakyReLU with different slopes ({string.Join(", ", slopes.Select(Fmt))})",
                "use one slope per class (the generated module shares one leaky_relu)");
    }

    /// <summary>Generated names (bn1, relu, downsample) must not clash with the class's own members.</summary>
    public void CheckNames(INamedTypeSymbol type, List<ReadLayer> layers, Policy policy, bool isNetwork)
    {
        if (HasErrors || BlockInvalid) return;
        var schedule = Planning.UnitSchedule.Build(layers.Select(l => l.Spec).ToList(), policy, isNetwork);
        var generated = new List<(string Name, string What)>();
        generated.AddRange(schedule.NormNames.Select(kv => (kv.Value, "the BatchNorm of '" + layers[kv.Key].Spec.Name + "'")));
        generated.AddRange(schedule.ActivationModules().Select(a => (LayerKinds.ActivationField(a.Kind), "the shared " + a.Kind + " module")));
        if (schedule.Residual is not null) generated.Add(("downsample", "the projection shortcut"));
        var members = new HashSet<string>(type.GetMembers().Select(m => m.Name));
        foreach (var (name, what) in generated.Distinct())
            if (members.Contains(name))
                Report(DiagnosticDescriptors.ImpliedNameClash, LocationInfo.From(type.GetMembers(name).First().Locations.FirstOrDefault()), name, what, type.Name);
    }

    static string AttributeName(LayerKind kind) => kind switch
    {
        LayerKind.Conv => "Conv",
        LayerKind.Linear => "Linear",
        LayerKind.MaxPool => "MaxPool",
        LayerKind.AvgPool => "AvgPool",
        LayerKind.GlobalAvgPool => "GlobalAvgPool",
        LayerKind.Flatten => "Flatten",
        LayerKind.Dropout => "Dropout",
        _ => kind.ToString(),
    };
}
