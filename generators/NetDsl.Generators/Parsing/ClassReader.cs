using System.Globalization;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using NetDsl.Generators.Diagnostics;
using NetDsl.Generators.Kinds.Layers;
using NetDsl.Generators.Kinds.Normalization;
using NetDsl.Generators.Model;
using NetDsl.Generators.Naming;
using NetDsl.Generators.Planning;

namespace NetDsl.Generators.Parsing;

/// <summary>A layer as read, with the locations diagnostics point at (kept out of the value model).</summary>
internal sealed record ReadLayer(LayerSpec Spec, LocationInfo? AttributeLocation, LocationInfo? TypeLocation);

/// <summary>A block as read once in one parse (nested stages reuse it): its spec, whether it is unusable, and the cycle it is on.</summary>
internal sealed record BlockRead(BlockSpec? Spec, bool Invalid, List<string>? Cycle);

/// <summary>
/// Reads what networks and blocks share: class checks, policies, and layer fields in declaration order.
/// Collects diagnostics instead of throwing.
/// </summary>
internal sealed class ClassReader
{
    public const string NetworkAttribute = "NetDsl.NetworkAttribute";
    public const string BlockAttribute = "NetDsl.BlockAttribute";
    const string InputAttribute = "NetDsl.InputAttribute";
    const string ActivationAttribute = "NetDsl.ActivationAttribute";
    const string ResidualAttribute = "NetDsl.ResidualAttribute";
    const string InitAttribute = "NetDsl.InitAttribute";
    const string ModuleList = "TorchSharp.Modules.ModuleList<T>";

    readonly CancellationToken ct;
    readonly Compilation? compilation;
    /// <summary>Blocks already read in this parse, shared by the readers of nested stages: each block is read once.</summary>
    readonly Dictionary<INamedTypeSymbol, BlockRead> readBlocks;
    public List<DiagnosticInfo> Diagnostics { get; } = new();

    public ClassReader(CancellationToken ct, Compilation? compilation = null, Dictionary<INamedTypeSymbol, BlockRead>? blocks = null)
    {
        this.ct = ct;
        this.compilation = compilation;
        readBlocks = blocks ?? new Dictionary<INamedTypeSymbol, BlockRead>(SymbolEqualityComparer.Default);
    }

    HashSet<string>? moduleMembers;

    /// <summary>
    /// Names a class must not use because TorchSharp's Module (the generated base class) has them. Looked up in the
    /// TorchSharp assembly a layer field's type comes from (its symbols outlive the compilation, which changes on every
    /// keystroke), else in the compilation; read once per parse.
    /// </summary>
    public HashSet<string> ModuleMemberNames(INamedTypeSymbol type)
    {
        if (moduleMembers is not null) return moduleMembers;
        const string module = "TorchSharp.torch+nn+Module`2";
        var torchSharp = type.GetMembers().OfType<IFieldSymbol>().Select(f => f.Type.ContainingAssembly).FirstOrDefault(a => a?.Name == "TorchSharp");
        moduleMembers = new HashSet<string>();
        for (var t = (torchSharp?.GetTypeByMetadataName(module) ?? compilation?.GetTypeByMetadataName(module)) as ITypeSymbol; t is not null && t.SpecialType != SpecialType.System_Object; t = t.BaseType)
            foreach (var m in t.GetMembers())
                if (m.DeclaredAccessibility is Accessibility.Public or Accessibility.Protected or Accessibility.ProtectedOrInternal && !m.IsImplicitlyDeclared && m.CanBeReferencedByName)
                    moduleMembers.Add(m.Name);
        return moduleMembers;
    }

    /// <summary>An error was reported (informational diagnostics, such as ND0040, leave the class built).</summary>
    public bool HasErrors => Diagnostics.Any(d => DiagnosticDescriptors.ById(d.Id).DefaultSeverity == DiagnosticSeverity.Error);

    public static LocationInfo? NameLocation(INamedTypeSymbol type) =>
        LocationInfo.From(type.Locations.FirstOrDefault(l => l.IsInSource));

    LocationInfo? Where(AttributeData a) => LocationInfo.From(a.ApplicationSyntaxReference?.GetSyntax(ct));

    void Report(DiagnosticDescriptor d, LocationInfo? at, params string[] args) => Diagnostics.Add(DiagnosticInfo.Create(d, at, args));

    static AttributeData? Find(ISymbol s, string name) => s.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == name);

    /// <summary>NetDsl's attributes (layers, policies, [Network], [Block], [Input], [Variants]) by metadata name.</summary>
    static bool IsNetDsl(AttributeData a) => a.AttributeClass?.ContainingNamespace is { Name: "NetDsl", ContainingNamespace.IsGlobalNamespace: true } && a.AttributeClass.TypeKind != TypeKind.Error;

    /// <summary>An attribute the compiler could not bind (wrong argument types, no matching constructor): the compiler reports it.</summary>
    public static bool Broken(AttributeData a) =>
        a.AttributeConstructor is null
        || a.ConstructorArguments.Any(c => c.Kind == TypedConstantKind.Error || c.Kind == TypedConstantKind.Array && !c.IsNull && c.Values.Any(v => v.Kind == TypedConstantKind.Error))
        || a.NamedArguments.Any(n => n.Value.Kind == TypedConstantKind.Error || n.Value.Kind == TypedConstantKind.Array && !n.Value.IsNull && n.Value.Values.Any(v => v.Kind == TypedConstantKind.Error));

    /// <summary>
    /// The class's own C# errors that make generated code meaningless: a NetDsl attribute the compiler could not bind,
    /// or two members with one name (CS0102; generated code naming either would be ambiguous). The compiler reports
    /// them; the class just cannot be built (<see cref="Unresolved"/>).
    /// </summary>
    void CheckCompilerErrors(INamedTypeSymbol type)
    {
        if (type.GetAttributes().Any(a => IsNetDsl(a) && Broken(a))) Unresolved = true;
        // Half-written code: a declarator without its name ("Linear fc,;") is a member named "".
        if (type.GetMembers().Any(m => !m.IsImplicitlyDeclared && m.Name.Length == 0)) Unresolved = true;
        var named = type.GetMembers().Where(m => !m.IsImplicitlyDeclared && m.CanBeReferencedByName && m is not IMethodSymbol { MethodKind: MethodKind.Constructor or MethodKind.StaticConstructor });
        foreach (var group in named.GroupBy(m => m.Name))
        {
            ct.ThrowIfCancellationRequested();
            if (group.Skip(1).Any() && !group.All(m => m is IMethodSymbol)) Unresolved = true;
            foreach (var member in group)
                if (member is IFieldSymbol or IPropertySymbol && member.GetAttributes().Any(a => IsNetDsl(a) && Broken(a))) Unresolved = true;
        }
    }

    /// <summary>A base class named in any declaration, 'object' included (NetDsl's part names TorchSharp's Module), or null.</summary>
    string? ExplicitBaseClass(INamedTypeSymbol type) => ExplicitBaseClass(type, compilation, ct);

    static string? ExplicitBaseClass(INamedTypeSymbol type, Compilation? compilation, CancellationToken ct)
    {
        if (type.BaseType is { SpecialType: not SpecialType.System_Object } b) return b.ToDisplayString();
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(ct) is not TypeDeclarationSyntax { BaseList: { } list } syntax) continue;
            if (compilation is null || !compilation.ContainsSyntaxTree(syntax.SyntaxTree)) return list.Types[0].ToString();
            var model = compilation.GetSemanticModel(syntax.SyntaxTree);
            foreach (var entry in list.Types)
                if (model.GetTypeInfo(entry.Type, ct).Type is { TypeKind: not TypeKind.Interface } t) return t.ToDisplayString();
        }
        return null;
    }

    static TypedConstant? Named(AttributeData a, string name)
    {
        foreach (var kv in a.NamedArguments)
            if (kv.Key == name) return kv.Value;
        return null;
    }

    static int NamedInt(AttributeData a, string name, int fallback) => Named(a, name)?.Value is int i ? i : fallback;
    static double NamedDouble(AttributeData a, string name, double fallback) => Named(a, name)?.Value switch { double d => d, float f => f, int i => i, _ => fallback };
    public static bool NamedBool(AttributeData a, string name, bool fallback) => Named(a, name)?.Value is bool b ? b : fallback;

    /// <summary>
    /// Checks shared by networks and blocks: a partial, top-level, non-generic, non-abstract class with no
    /// base class and no constructor of its own, not marked both [Network] and [Block].
    /// </summary>
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
        string? unsupported =
            type.IsRecord ? "a record" :
            type.TypeKind != TypeKind.Class ? "a " + type.TypeKind.ToString().ToLowerInvariant() :
            type.IsStatic ? "static" :
            type.IsAbstract ? "abstract" :
            type.IsFileLocal ? "file-local" :
            type.ContainingType is not null ? "nested in '" + type.ContainingType.Name + "'" :
            type.IsGenericType ? "generic" :
            ExplicitBaseClass(type) is { } b ? "declared with the base class '" + b + "' (NetDsl makes it a TorchSharp Module: remove the base class)" :
            null;
        if (unsupported is not null)
            Report(DiagnosticDescriptors.UnsupportedContainer, at, type.Name, unsupported);
        foreach (var ctor in type.InstanceConstructors.Where(c => !c.IsImplicitlyDeclared))
            Report(DiagnosticDescriptors.UserConstructor, LocationInfo.From(ctor.Locations.FirstOrDefault()), type.Name);
        if (Find(type, NetworkAttribute) is not null && Find(type, BlockAttribute) is not null)
            Report(DiagnosticDescriptors.ConflictingPolicies, at, $"'{type.Name}' is marked both [Network] and [Block]", "keep one: [Network] for a model, [Block] for a unit repeated by stages");
        CheckCompilerErrors(type);
    }

    /// <summary>
    /// The declaration that speaks for a class marked <paramref name="attribute"/> on several partial parts (the user
    /// gets CS0579): the first part carrying it. The generator runs once per attributed syntax node; only this part's
    /// run generates, so a class gets one set of files whatever the number of its parts.
    /// </summary>
    public static SyntaxNode? PrimaryDeclaration(INamedTypeSymbol type, string attribute, CancellationToken ct) =>
        type.GetAttributes().Where(a => a.AttributeClass?.ToDisplayString() == attribute)
            .Select(a => a.ApplicationSyntaxReference?.GetSyntax(ct).FirstAncestorOrSelf<TypeDeclarationSyntax>())
            .FirstOrDefault(d => d is not null);

    /// <summary>A class or namespace name missing in half-written code (<c>class {</c>, <c>namespace Demo.;</c>): nothing can be generated, the compiler reports it.</summary>
    public static bool NameMissing(INamedTypeSymbol type)
    {
        if (type.Name.Length == 0) return true;
        for (var ns = type.ContainingNamespace; ns is { IsGlobalNamespace: false }; ns = ns.ContainingNamespace)
            if (ns.Name.Length == 0) return true;
        return false;
    }

    /// <summary>The same syntax node (by tree and span: node objects may be created afresh).</summary>
    public static bool Same(SyntaxNode a, SyntaxNode b) => a.SyntaxTree == b.SyntaxTree && a.Span == b.Span;

    /// <summary>
    /// When a class has errors, a stub part (base class, throwing constructor and forward) keeps the rest of
    /// the project compiling, so the ND diagnostic is not buried under follow-on C# errors. Null when the
    /// class cannot take a part (not partial, nested, generic, not a plain class, has a base class).
    /// </summary>
    public static StubSpec? Stub(INamedTypeSymbol type, bool isNetwork, Compilation? compilation, CancellationToken ct)
    {
        bool partial = type.DeclaringSyntaxReferences.All(r => r.GetSyntax(ct) is TypeDeclarationSyntax t && t.Modifiers.Any(SyntaxKind.PartialKeyword));
        // A file-local class cannot have a part in another file; a base class (even 'object') conflicts with the stub's.
        if (!partial || type.TypeKind != TypeKind.Class || type.IsRecord || type.IsStatic || type.ContainingType is not null || type.IsGenericType || type.IsFileLocal
            || ExplicitBaseClass(type, compilation, ct) is not null
            || type.InstanceConstructors.Any(c => !c.IsImplicitlyDeclared))
            return null;
        // Its fields stay unassigned: the warnings they would get (CS0169, CS8618...) are suppressed by UnbuiltLayerSuppressor.
        return new StubSpec(type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString(), type.Name, isNetwork,
            Forward: type.GetMembers(Identifiers.Forward).IsEmpty && type.Name != Identifiers.Forward,
            Summary: isNetwork && type.GetMembers(Identifiers.Summary).IsEmpty && type.Name != Identifiers.Summary, HintNames.Stem(type, ct));
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
        var sizes = attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Kind == TypedConstantKind.Array && !attribute.ConstructorArguments[0].IsNull
            ? attribute.ConstructorArguments[0].Values.Select(v => v.Value is int i ? i : 0).ToArray()
            : System.Array.Empty<int>();
        if (sizes.Length is not (1 or 3))
        {
            Report(DiagnosticDescriptors.InvalidInputRank, at, sizes.Length.ToString(CultureInfo.InvariantCulture));
            return null;
        }
        bool ok = true;
        for (int i = 0; i < sizes.Length; i++)
        {
            if (sizes[i] > 0) continue;
            Report(DiagnosticDescriptors.InvalidValue, at, $"Input size {i + 1}", sizes[i].ToString(CultureInfo.InvariantCulture), "positive");
            ok = false;
        }
        return ok ? sizes : null;
    }

    /// <summary>The class-level policies with their defaults: no normalization, no activation, plain.</summary>
    public Policy ReadPolicy(INamedTypeSymbol type) => new(
        ReadNorm(type) ?? NormPolicy.None,
        ReadActivation(type) ?? ActivationPolicy.None,
        ReadResidual(type) ?? ResidualPolicy.Off,
        ReadInit(type));

    /// <summary>The [Init] scheme a class states, unchecked (null when none or out of range).</summary>
    static InitKind? DeclaredInit(ISymbol type) =>
        Find(type, InitAttribute) is { ConstructorArguments: { Length: 1 } args } && args[0].Value is int v && v >= 0 && v < 6 ? (InitKind)v : null;

    /// <summary>Where the class's [Init] is (its problems are reported there), once read.</summary>
    LocationInfo? initAt;

    /// <summary>Where the class's [Init] is, once <see cref="ReadPolicy"/> read it; null without one.</summary>
    public LocationInfo? InitLocation => initAt;

    /// <summary>The [Init] scheme the class states, or null.</summary>
    InitKind? ReadInit(INamedTypeSymbol type)
    {
        var a = Find(type, InitAttribute);
        if (a is null) return null;
        initAt = Where(a);
        int init = a.ConstructorArguments.Length == 1 && a.ConstructorArguments[0].Value is int v ? v : 0;
        if (!CheckEnum<InitKind>(init, $"Init on '{type.Name}'", "Init", Where(a))) return null;
        return (InitKind)init;
    }

    /// <summary>Why <paramref name="policy"/>'s Init means nothing for a unit with these policies and the fix, or null (also the variant planner's rule).</summary>
    public static (string Problem, string Fix)? InitProblem(Policy policy, IReadOnlyList<LayerSpec> layers, bool isNetwork)
    {
        if (policy.Init is not ({ } init and (InitKind.ZeroGamma or InitKind.Fixup or InitKind.SkipInit))) return null;
        bool anyNorm = policy.Norm.Enabled || layers.Any(l => l.Norm is { Enabled: true });
        if (init == InitKind.Fixup && anyNorm)
            return ("Init.Fixup is for networks without normalization (Zhang et al. 2019)", "remove the normalization, or use Init.SkipInit or Init.ZeroGamma");
        if (isNetwork) return null; // its blocks are checked where its stages are read
        if (!policy.Residual.Enabled) return ($"Init.{init} acts on residual branches, and the block has no residual addition", "add [Residual], or use HeFanIn or HeFanOut");
        bool scaled = new[] { policy.Norm }.Concat(layers.Select(l => l.Norm)).Any(n => n is { Enabled: true } && Norms.Of(n.Kind).Parameters(1) > 0);
        if (init == InitKind.ZeroGamma && !scaled)
            return ("Init.ZeroGamma sets the scale of the normalization ending each residual branch to 0, and the block has no normalization with a scale", "add one ([BatchNorm], [GroupNorm] or [LayerNorm]), or use Init.SkipInit");
        if (init == InitKind.ZeroGamma && policy.Residual.Order is UnitOrder.BnAfterAddition or UnitOrder.FullPreActivation)
            return ($"Init.ZeroGamma needs a normalization ending the residual branch, and the unit order {policy.Residual.Order} ends it with another layer", "use UnitOrder.Original, ReluBeforeAddition or ReluOnlyPreActivation, or Init.SkipInit");
        return null;
    }

    /// <summary>The normalization attributes on <paramref name="symbol"/> ([BatchNorm], [GroupNorm], [LayerNorm]), with their kinds.</summary>
    static List<(AttributeData Attribute, INormKind Kind)> NormAttributes(ISymbol symbol) =>
        symbol.GetAttributes().Select(a => (Attribute: a, Kind: Norms.ByAttribute(a.AttributeClass?.ToDisplayString() ?? "")))
            .Where(a => a.Kind is not null).Select(a => (a.Attribute, a.Kind!)).ToList();

    /// <summary>Whether <paramref name="symbol"/> states a normalization policy of any kind.</summary>
    static bool StatesNorm(ISymbol symbol) => NormAttributes(symbol).Count > 0;

    /// <summary>The normalization policy <paramref name="symbol"/> states, or null; two kinds on one symbol are reported (ND0014) and the first is used.</summary>
    public NormPolicy? ReadNorm(ISymbol symbol)
    {
        var found = NormAttributes(symbol);
        if (found.Count == 0) return null;
        if (found.Count > 1)
            Report(DiagnosticDescriptors.ConflictingPolicies, Where(found[1].Attribute), $"'{symbol.Name}' states {string.Join(" and ", found.Select(f => "[" + f.Kind.Name + "]"))}",
                "keep one normalization (torchvision's norm_layer is one kind per network)");
        var (a, kind) = found[0];
        return kind.Read(new PolicyArguments(a, kind.Name, symbol.Name, Where(a), (d, at, args) => Report(d, at, args)));
    }

    public ActivationPolicy? ReadActivation(ISymbol symbol)
    {
        var a = Find(symbol, ActivationAttribute);
        if (a is null) return null;
        int kind = a.ConstructorArguments.Length == 1 && a.ConstructorArguments[0].Value is int v ? v : 0;
        if (!CheckEnum<Nonlinearity>(kind, $"Activation on '{symbol.Name}'", "Nonlinearity", Where(a))) kind = 0;
        double slope = NamedDouble(a, "NegativeSlope", 0.01);
        if (double.IsNaN(slope) || double.IsInfinity(slope))
            Report(DiagnosticDescriptors.InvalidValue, Where(a), $"Activation.NegativeSlope on '{symbol.Name}'", PolicyArguments.Show(slope), "a finite number");
        return new ActivationPolicy((Nonlinearity)kind, slope);
    }

    ResidualPolicy? ReadResidual(INamedTypeSymbol type)
    {
        var a = Find(type, ResidualAttribute);
        if (a is null) return null;
        var at = Where(a);
        int shortcut = NamedInt(a, "Shortcut", 0), order = NamedInt(a, "Order", 0);
        if (!CheckEnum<ShortcutKind>(shortcut, $"Residual.Shortcut on '{type.Name}'", "Shortcut", at)) shortcut = 0;
        if (!CheckEnum<UnitOrder>(order, $"Residual.Order on '{type.Name}'", "UnitOrder", at)) order = 0;
        double scale = NamedDouble(a, "BranchScale", 1.0);
        if (double.IsNaN(scale) || double.IsInfinity(scale)) Report(DiagnosticDescriptors.InvalidValue, at, $"Residual.BranchScale on '{type.Name}'", PolicyArguments.Show(scale), "a finite number");
        return new ResidualPolicy(NamedBool(a, "Enabled", true), (ShortcutKind)shortcut, (UnitOrder)order, scale);
    }

    /// <summary>Whether <paramref name="value"/> is a member of the runtime's enum <paramref name="enumName"/>, whose mirror <typeparamref name="T"/> names its members (MirrorTests keeps them in step); reports ND0009 when not.</summary>
    bool CheckEnum<T>(int value, string what, string enumName, LocationInfo? at) where T : struct, System.Enum
    {
        var names = System.Enum.GetNames(typeof(T));
        if (value >= 0 && value < names.Length) return true;
        Report(DiagnosticDescriptors.UnknownEnumValue, at, what, value.ToString(CultureInfo.InvariantCulture), enumName, string.Join(", ", names));
        return false;
    }



    /// <summary>
    /// Reads the layer fields in declaration order. <paramref name="blockPath"/> is the chain of blocks
    /// being read (for cycle detection); <paramref name="inBlock"/> selects block rules for sizes.
    /// </summary>
    public List<ReadLayer> ReadLayers(INamedTypeSymbol type, bool inBlock, ImmutableStack<string> blockPath)
    {
        var result = new List<ReadLayer>();
        foreach (var f in type.GetMembers().OfType<IFieldSymbol>())
        {
            ct.ThrowIfCancellationRequested();
            bool netDsl = f.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() is { } n && (LayerCatalog.ByAttribute(n) is not null || Norms.ByAttribute(n) is not null || n == ActivationAttribute));
            if (netDsl && (f.IsStatic || f.AssociatedSymbol is IPropertySymbol))
                Report(DiagnosticDescriptors.NotAnInstanceField, LocationInfo.From((f.AssociatedSymbol ?? f).Locations.FirstOrDefault()),
                    (f.AssociatedSymbol ?? f).Name, f.AssociatedSymbol is IPropertySymbol ? "a property" : "static");
        }
        // Declaration order is forward order. C# defines no order across partial declarations, so all layer fields
        // must sit in one declaration (ND0031); within it, their position is the order.
        var declarations = type.DeclaringSyntaxReferences.ToList();
        int DeclarationOf(IFieldSymbol f) => declarations.FindIndex(d => d.SyntaxTree == f.DeclaringSyntaxReferences[0].SyntaxTree && d.Span.Contains(f.DeclaringSyntaxReferences[0].Span));
        var fields = type.GetMembers().OfType<IFieldSymbol>()
            .Where(f => !f.IsImplicitlyDeclared && !f.IsStatic && !f.IsConst && f.DeclaringSyntaxReferences.Length > 0)
            .Select(f => (Field: f, Declaration: DeclarationOf(f)))
            .OrderBy(f => f.Declaration).ThenBy(f => f.Field.DeclaringSyntaxReferences[0].Span.Start)
            .Select(f => f.Field).ToList();
        var layerParts = fields.Where(f => f.GetAttributes().Any(IsNetDsl)).GroupBy(DeclarationOf).ToList();
        if (layerParts.Count > 1)
        {
            string Position(IFieldSymbol f) => $"'{f.Name}' ({System.IO.Path.GetFileName(f.Locations[0].SourceTree?.FilePath ?? "")}, line {f.Locations[0].GetLineSpan().StartLinePosition.Line + 1})";
            Report(DiagnosticDescriptors.LayersInSeveralParts, LocationInfo.From(layerParts[1].First().Locations.FirstOrDefault()), type.Name,
                layerParts.Count.ToString(CultureInfo.InvariantCulture), string.Join(", ", layerParts.Select(p => Position(p.First()))));
            return result;
        }

        foreach (var field in fields)
        {
            ct.ThrowIfCancellationRequested();
            var typeSyntax = (field.DeclaringSyntaxReferences[0].GetSyntax(ct).Parent as VariableDeclarationSyntax)?.Type;
            var typeAt = LocationInfo.From(typeSyntax) ?? LocationInfo.From(field.Locations.FirstOrDefault());
            var fieldType = field.Type.OriginalDefinition.ToDisplayString();
            var layerAttributes = field.GetAttributes()
                .Select(a => (Attribute: a, Kind: LayerCatalog.ByAttribute(a.AttributeClass?.ToDisplayString() ?? "")))
                .Where(a => a.Kind is not null).Select(a => (a.Attribute, Kind: a.Kind!)).ToList();
            if (field.Type.TypeKind == TypeKind.Error)
            {
                // The compiler reports the unknown type; this class just cannot be built.
                Unresolved = true;
                continue;
            }
            if (field.Type.IsReferenceType && field.NullableAnnotation == NullableAnnotation.Annotated)
            {
                Report(DiagnosticDescriptors.WrongFieldType, typeAt, field.Name, field.Type.ToDisplayString(), "a layer", field.Type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString() + "' (not nullable: NetDsl always builds it)");
                continue;
            }
            if (field.GetAttributes().Any(a => IsNetDsl(a) && Broken(a)))
            {
                // The compiler reports the attribute's arguments; this class just cannot be built.
                Unresolved = true;
                continue;
            }
            var bn = ReadNorm(field);
            var act = ReadActivation(field);

            if (layerAttributes.Count > 1)
            {
                Report(DiagnosticDescriptors.MultipleLayerAttributes, LocationInfo.From(field.Locations.FirstOrDefault()), field.Name,
                    string.Join(", ", layerAttributes.Select(a => "[" + a.Attribute.AttributeClass!.Name.Replace("Attribute", "") + "]")));
                continue;
            }
            if (layerAttributes.Count == 0)
            {
                // Explicit normalization / activation layers: the policy attribute on a field of the module's type.
                var norms = NormAttributes(field);
                var bnAttribute = norms.Count > 0 ? norms[0].Attribute : null;
                var normKind = norms.Count > 0 ? norms[0].Kind : null;
                var actAttribute = Find(field, ActivationAttribute);
                if (bnAttribute is not null && actAttribute is not null)
                    Report(DiagnosticDescriptors.MultipleLayerAttributes, LocationInfo.From(field.Locations.FirstOrDefault()), field.Name, $"[{normKind!.Name}], [Activation]");
                else if (norms.Count > 1) { } // ND0014, reported by ReadNorm
                else if ((bnAttribute ?? actAttribute) is { } policyAttribute)
                {
                    var explicitKind = bnAttribute is not null ? Kinds.Layers.LayerCatalog.Norm : Kinds.Layers.LayerCatalog.Activation;
                    var policyAt = Where(policyAttribute);
                    if (explicitKind.Read(new LayerRead(this, field, policyAttribute, policyAt, typeAt, fieldType, inBlock, blockPath, bn, act, Report)) is { } layer)
                        result.Add(new ReadLayer(layer, policyAt, typeAt));
                }
                else if (!field.IsStatic && SuggestAttribute(field.Type) is { } suggestion)
                {
                    // A module field without a layer attribute would silently not be part of the network.
                    Report(DiagnosticDescriptors.UnannotatedModule, LocationInfo.From(field.Locations.FirstOrDefault()), field.Name, field.Type.ToDisplayString(), suggestion);
                }
                continue;
            }

            var (attribute, kind) = layerAttributes[0];
            var at = Where(attribute);
            var read = ReadLayer(field, kind, attribute, at, fieldType, typeAt, inBlock, blockPath, bn, act);
            if (read is not null) result.Add(new ReadLayer(read, at, typeAt));
        }
        return result;
    }

    /// <summary>Unknown field types (the compiler reports them): the class cannot be built, no diagnostic of ours.</summary>
    public bool Unresolved { get; private set; }

    /// <summary>For a module-typed field without a NetDsl attribute, the attribute it probably needs.</summary>
    static string? SuggestAttribute(ITypeSymbol type)
    {
        var name = type.OriginalDefinition.ToDisplayString();
        if (name == ModuleList) return "[Stage(Blocks = 2, Channels = 64)]";
        if (type.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == BlockAttribute)) return $"[Stage(Blocks = 1, Channels = 64)] on a ModuleList<{type.Name}>";
        bool isModule = false;
        for (var t = type; t is not null; t = t.BaseType)
            if (t.OriginalDefinition.ToDisplayString() == "TorchSharp.torch.nn.Module") { isModule = true; break; }
        if (!isModule) return null;
        if (LayerCatalog.All.FirstOrDefault(k => k.FieldType == type.Name)?.Example is { } example) return example;
        return type.Name switch
        {
            "BatchNorm1d" or "BatchNorm2d" => "[BatchNorm]",
            "GroupNorm" => "[GroupNorm(Groups = 32)]",
            "LayerNorm" => "[LayerNorm]",
            "ReLU" or "LeakyReLU" or "Sigmoid" or "Tanh" or "GELU" => $"[Activation(Nonlinearity.{type.Name})]",
            _ => "a NetDsl layer attribute (NetDsl builds only annotated fields)",
        };
    }

    /// <summary>Reads a field declared by a layer attribute: the checks every kind shares (its field type, policies only on weight layers), then the kind's own.</summary>
    LayerSpec? ReadLayer(IFieldSymbol field, ILayerKind kind, AttributeData a, LocationInfo? at, string fieldType, LocationInfo? typeAt,
        bool inBlock, ImmutableStack<string> blockPath, NormPolicy? bn, ActivationPolicy? act)
    {
        if (kind.FieldType is { } type && fieldType != Literals.Modules + type)
        {
            Report(DiagnosticDescriptors.WrongFieldType, typeAt, field.Name, fieldType, kind.Name, Literals.Modules + type);
            return null;
        }
        if (!kind.IsWeight && (bn is not null || act is not null))
        {
            Report(DiagnosticDescriptors.MisplacedPolicy, at, bn is not null ? NormAttributes(field)[0].Kind.Name : "Activation", field.Name, "Conv2d or Linear (a weight layer)");
            return null;
        }
        return kind.Read(new LayerRead(this, field, a, at, typeAt, fieldType, inBlock, blockPath, bn, act, Report));
    }

    /// <summary>Reads a <c>[Stage]</c> field (<see cref="Stage"/>): its block is read here, once per parse, since reading it reads another class.</summary>
    public LayerSpec? ReadStage(LayerRead r)
    {
        var (field, a, at, typeAt, inBlock, blockPath) = (r.Field, r.Attribute!, r.At, r.TypeAt, r.InBlock, r.BlockPath);
        int blocks = NamedInt(a, "Blocks", 1), channels = NamedInt(a, "Channels", 0), stride = NamedInt(a, "Stride", 1);
        if (field.Type is not INamedTypeSymbol { IsGenericType: true } list || list.OriginalDefinition.ToDisplayString() != ModuleList)
        {
            bool isBlock = field.Type.GetAttributes().Any(x => x.AttributeClass?.ToDisplayString() == BlockAttribute);
            Report(DiagnosticDescriptors.WrongFieldType, typeAt, field.Name, field.Type.ToDisplayString(), "Stage",
                "TorchSharp.Modules.ModuleList<" + (isBlock ? field.Type.Name : "TBlock") + ">");
            return null;
        }
        var blockType = list.TypeArguments[0] as INamedTypeSymbol;
        if (blockType is null || Find(blockType, BlockAttribute) is null)
        {
            Report(DiagnosticDescriptors.StageTypeNotBlock, typeAt, field.Name, list.TypeArguments[0].ToDisplayString());
            return null;
        }
        // A block compiled into a referenced assembly has no source here to read its layers from (it used to get a silent stub).
        if (!blockType.Locations.Any(l => l.IsInSource))
        {
            Report(DiagnosticDescriptors.BlockFromAnotherAssembly, typeAt, field.Name, blockType.ToDisplayString(), blockType.ContainingAssembly?.Name ?? "?");
            return null;
        }
        if (!inBlock)
        {
            // The network's own BatchNorm/activation do not reach a block that states none (its type is shared), but its variants'
            // do: say so where the stage is declared, since the declared network and its same-settings variant then differ.
            var network = field.ContainingType;
            var missing = new List<(string What, string Declare)>();
            if (NormAttributes(network) is { Count: > 0 } networkNorm && !StatesNorm(blockType)) missing.Add(("[" + networkNorm[0].Kind.Name + "]", "[" + networkNorm[0].Kind.Name + "]"));
            if (Find(network, ActivationAttribute) is not null && Find(blockType, ActivationAttribute) is null) missing.Add(("[Activation]", "[Activation(...)]"));
            if (missing.Count > 0)
                Report(DiagnosticDescriptors.BlockWithoutNetworkPolicy, typeAt, blockType.Name, string.Join(" or ", missing.Select(m => m.What)), network.Name,
                    string.Join(", ", missing.Select(m => m.Declare)));
        }
        if (blocks <= 0 || blocks > Limits.MaxBlocks) Report(DiagnosticDescriptors.InvalidValue, at, $"Blocks of '{field.Name}'", blocks.ToString(CultureInfo.InvariantCulture), $"between 1 and {Limits.MaxBlocks.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        if (stride <= 0 || stride > Limits.MaxWindow) Report(DiagnosticDescriptors.InvalidValue, at, $"Stride of '{field.Name}'", stride.ToString(CultureInfo.InvariantCulture), LayerRead.Between(1));
        if (inBlock && channels != 0) Report(DiagnosticDescriptors.FixedSizeInBlock, at, field.Name, Short(blockPath.Peek()), $"Channels = {channels}");
        else if (!inBlock && channels <= 0) Report(DiagnosticDescriptors.InvalidValue, at, $"Channels of '{field.Name}'", channels.ToString(CultureInfo.InvariantCulture), "positive");

        var fullName = blockType.ToDisplayString();
        if (blockPath.Contains(fullName))
        {
            // The cycle: from the first occurrence of this block on the path back to it.
            var path = blockPath.Reverse().ToList();
            Cycle ??= path.Skip(path.IndexOf(fullName)).ToList();
            Report(DiagnosticDescriptors.BlockCycle, typeAt, Short(blockPath.Peek()), field.Name, CycleText(Cycle, blockPath.Peek()));
            return null;
        }
        // Each block is read once per parse (nested stages share it), so reading is linear in the number of block types.
        if (!readBlocks.TryGetValue(blockType, out var read))
        {
            var nested = new ClassReader(ct, compilation, readBlocks);
            var spec = nested.ReadBlock(blockType, blockPath);
            read = new BlockRead(spec, spec is null || nested.HasErrors || nested.Unresolved || nested.BlockInvalid, nested.Cycle);
            readBlocks[blockType] = read;
        }
        // The nested block reports its own problems; here they only make this class unbuildable, except a
        // cycle through this block, which is this block's problem too (never a network's).
        Cycle ??= read.Cycle;
        if (!blockPath.IsEmpty && read.Cycle is { } found && found.Contains(blockPath.Peek()) && !Diagnostics.Any(d => d.Id == DiagnosticDescriptors.BlockCycle.Id))
        {
            Report(DiagnosticDescriptors.BlockCycle, typeAt, Short(blockPath.Peek()), field.Name, CycleText(found, blockPath.Peek()));
            return null;
        }
        var block = read.Spec;
        if (block is null || read.Invalid)
        {
            BlockInvalid = true;
            return null;
        }
        if (!block.Spatial && stride != 1)
            Report(DiagnosticDescriptors.StrideOnVectorBlock, at, field.Name, stride.ToString(CultureInfo.InvariantCulture), blockType.Name);
        // A network's Init acts on its blocks' residual branches: Fixup and SkipInit need their scalars in the block's own
        // generated type (ND0042); zero-gamma needs a normalization ending each branch.
        if (!inBlock && DeclaredInit(field.ContainingType) is InitKind.ZeroGamma or InitKind.Fixup or InitKind.SkipInit && block.Policy.Residual.Enabled)
        {
            var networkInit = DeclaredInit(field.ContainingType)!.Value;
            if (networkInit is InitKind.Fixup or InitKind.SkipInit && block.Policy.Init != networkInit)
                Report(DiagnosticDescriptors.BlockWithoutInitScalars, typeAt, field.ContainingType.Name, networkInit.ToString(), blockType.Name, field.Name);
            else if (InitProblem(block.Policy with { Init = networkInit }, block.Layers.ToList(), isNetwork: false) is { } problem)
                Report(DiagnosticDescriptors.ConflictingPolicies, typeAt, $"'{field.ContainingType.Name}': {problem.Problem} (block '{blockType.Name}' of stage '{field.Name}')", problem.Fix);
        }
        return LayerSpec.Create(field.Name, Kinds.Layers.LayerCatalog.Stage, @out: channels, stride: stride, blocks: blocks, block: block);
    }

    /// <summary>The first cycle of blocks found while reading, as full names in stage order (each once); never reported on networks.</summary>
    public List<string>? Cycle { get; private set; }

    static string Short(string fullName) => fullName.Split('.').Last();

    /// <summary>The cycle as the message shows it, starting and ending at <paramref name="start"/>: <c>A -> C -> A</c>.</summary>
    static string CycleText(List<string> cycle, string start)
    {
        int i = cycle.IndexOf(start);
        var ring = cycle.Skip(i).Concat(cycle.Take(i)).Concat(new[] { start });
        return string.Join(" -> ", ring.Select(Short));
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
        if (expansion <= 0) Report(DiagnosticDescriptors.InvalidValue, blockAttribute is null ? null : Where(blockAttribute), $"Expansion of '{type.Name}'", expansion.ToString(CultureInfo.InvariantCulture), "positive");
        var policy = ReadPolicy(type);
        var layers = ReadLayers(type, inBlock: true, path);
        var specs = layers.Select(l => l.Spec).ToList();

        bool spatial = specs.Any(l => l.Kind.TakesMaps(l) == true);
        bool vector = specs.Any(l => l.Kind.TakesMaps(l) == false);
        var at = NameLocation(type);
        if (spatial && vector) Report(DiagnosticDescriptors.BlockMixesKinds, at, type.Name);
        if (!specs.Any(l => l.IsWeight || l.Kind == Kinds.Layers.LayerCatalog.Stage) && !HasErrors && !BlockInvalid && !Unresolved)
            Report(DiagnosticDescriptors.NoLayers, at, type.Name, "weight layers", "[Conv(Kernel = 3)] or [Linear]");
        // The block's output is planes * Expansion; when a nested stage sets the last channel count, its blocks decide.
        var lastChannel = specs.LastOrDefault(l => l.IsWeight || l.Kind == Kinds.Layers.LayerCatalog.Stage);
        if (lastChannel is { Kind.Composite: true, Block: { } inner } && inner.Expansion != expansion)
            Report(DiagnosticDescriptors.ConflictingPolicies, at, $"'{type.Name}' has Expansion = {expansion}, but its last stage '{lastChannel.Name}' outputs planes * {inner.Expansion} ({inner.Name})",
                $"set Expansion = {inner.Expansion} on '{type.Name}'");
        if (specs.Count(l => l.Strided) > 1)
            Report(DiagnosticDescriptors.ConflictingPolicies, at, $"more than one convolution in '{type.Name}' is marked Strided", "mark one");
        CheckPolicy(type.Name, policy, specs, at);
        CheckNames(type, layers, policy, isNetwork: false);
        if (HasErrors || BlockInvalid || Unresolved) return null;
        // The bound on one instance also bounds the spec's size (nested blocks are shared, so the spec is a graph whose
        // unfolding, what equality and hashing walk, is no larger than this count).
        long expanded = Expansion.OfBlock(specs, policy);
        if (expanded > Limits.MaxExpandedLayers)
        {
            Report(DiagnosticDescriptors.TooManyLayers, at, $"Block '{type.Name}'", Expansion.Show(expanded), Expansion.Show(Limits.MaxExpandedLayers), "use fewer blocks in its stages or nest fewer stages");
            return null;
        }
        return new BlockSpec(type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString(),
            type.Name, expansion, spatial || !vector, policy, new EquatableArray<LayerSpec>(specs), HintNames.Stem(type, ct),
            Taps: blockAttribute is null || NamedBool(blockAttribute, "Taps", true),
            StatesNorm: StatesNorm(type), StatesActivation: Find(type, ActivationAttribute) is not null, ExpandedLayers: expanded);
    }

    /// <summary>Policy combinations that have no meaning.</summary>
    public void CheckPolicy(string className, Policy policy, IReadOnlyList<LayerSpec> layers, LocationInfo? at, bool isNetwork = false)
    {
        if (InitProblem(policy, layers, isNetwork) is { } init)
            Report(DiagnosticDescriptors.ConflictingPolicies, initAt ?? at, $"'{className}': {init.Problem}", init.Fix);
        var order = policy.Residual.Order;
        var afterAct = new[] { policy.Norm }.Concat(layers.Select(l => l.Norm))
            .FirstOrDefault(n => n is { Enabled: true, After: BnAfter.Activation });
        if (policy.Residual.Enabled && afterAct is not null && order is not (UnitOrder.Original or UnitOrder.ReluBeforeAddition))
            Report(DiagnosticDescriptors.ConflictingPolicies, at, $"'{className}' puts {Norms.Of(afterAct.Kind).Name} after the activation, but the unit order {order} fixes where {Norms.Of(afterAct.Kind).Name} goes",
                "use After = Conv, or UnitOrder.Original / ReluBeforeAddition");
        if (!policy.Residual.Enabled && order is UnitOrder.BnAfterAddition or UnitOrder.ReluBeforeAddition or UnitOrder.ReluOnlyPreActivation)
            Report(DiagnosticDescriptors.ConflictingPolicies, at, $"'{className}' has the unit order {order} but no residual addition",
                "enable [Residual] or use UnitOrder.Original / FullPreActivation");
        var slopes = new[] { policy.Activation }.Concat(layers.Where(l => l.IsWeight).Select(l => l.Activation)).OfType<ActivationPolicy>()
            .Where(a => a.Kind == Nonlinearity.LeakyReLU).Select(a => a.NegativeSlope).Distinct().ToList();
        if (slopes.Count > 1)
            Report(DiagnosticDescriptors.ConflictingPolicies, at, $"'{className}' uses LeakyReLU with different slopes ({string.Join(", ", slopes.Select(PolicyArguments.Show))})",
                "use one slope per class (the generated module shares one leaky_relu)");
    }

    /// <summary>
    /// Generated names (bn1, relu, downsample, Summary...) must not clash with the class's own members (ND0018), nor
    /// with the class's name (C# forbids a member named like its class: ND0035).
    /// </summary>
    public void CheckNames(INamedTypeSymbol type, List<ReadLayer> layers, Policy policy, bool isNetwork)
    {
        if (HasErrors || BlockInvalid || Unresolved) return;
        var specs = layers.Select(l => l.Spec).ToList();
        var schedule = Planning.UnitSchedule.Build(specs, policy, isNetwork);
        var generated = Identifiers.Members(schedule, specs, isNetwork, isNetwork && Find(type, VariantPlanner.VariantsAttribute) is not null);
        var inherited = ModuleMemberNames(type);
        var reported = new HashSet<string>();
        // Inherited, not generated, but the generated constructor calls it on this: a member of that name would take its place.
        var called = generated.Append((Name: "register_module", What: "TorchSharp's registration of sub-modules, which the generated constructor calls")).ToList();
        foreach (var member in type.GetMembers().Where(m => !m.IsImplicitlyDeclared && m.Locations.Any(l => l.IsInSource)))
        {
            ct.ThrowIfCancellationRequested();
            var clash = called.FirstOrDefault(g => g.Name == member.Name);
            string? what = clash.Name is not null ? clash.What : inherited.Contains(member.Name) && member is IFieldSymbol ? "a member inherited from TorchSharp's Module" : null;
            if (what is null || !reported.Add(member.Name)) continue;
            Report(DiagnosticDescriptors.ImpliedNameClash, LocationInfo.From(member.Locations.FirstOrDefault()), member.Name, what, type.Name);
        }
        var own = generated.FirstOrDefault(g => g.Name == type.Name);
        if (own.Name is not null)
            Report(DiagnosticDescriptors.ClassNamedLikeMember, NameLocation(type), type.Name, own.What);
        if (isNetwork && Find(type, VariantPlanner.VariantsAttribute) is not null) CheckHiddenByRegistry(type);
    }

    /// <summary>
    /// A network with a matrix gets the nested class <c>Variants</c>; inside the class body it hides any other type
    /// named <c>Variants</c> written by its simple name (a block, say), and the user's code would change meaning.
    /// </summary>
    void CheckHiddenByRegistry(INamedTypeSymbol type)
    {
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(ct) is not TypeDeclarationSyntax declaration) continue;
            foreach (var name in declaration.Members.SelectMany(m => m.DescendantNodes()).OfType<SimpleNameSyntax>())
            {
                if (name.Identifier.ValueText != Identifiers.Variants || name.Parent is QualifiedNameSyntax { Right: var right } && right == name
                    || name.Parent is MemberAccessExpressionSyntax { Name: var member } && member == name || name.Parent is AliasQualifiedNameSyntax
                    || name.FirstAncestorOrSelf<AttributeSyntax>() is not null)
                    continue;
                var model = compilation?.ContainsSyntaxTree(name.SyntaxTree) == true ? compilation.GetSemanticModel(name.SyntaxTree) : null;
                var bound = model?.GetSymbolInfo(name, ct).Symbol ?? model?.GetSymbolInfo(name, ct).CandidateSymbols.FirstOrDefault();
                if (bound is not ITypeSymbol hidden) continue;
                Report(DiagnosticDescriptors.HiddenByRegistry, LocationInfo.From(name), type.Name, hidden.ToDisplayString(),
                    "global::" + hidden.ToDisplayString());
                return;
            }
        }
    }
}
