using System;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using NetDsl.Generators.Diagnostics;
using NetDsl.Generators.Model;
using NetDsl.Generators.Naming;
using NetDsl.Generators.Planning;

namespace NetDsl.Generators.Parsing;

/// <summary>
/// Pipeline transforms: one <c>[Network]</c> or <c>[Block]</c> class in, plain data out (a model to emit, or
/// diagnostics). Never throws: an unexpected exception becomes diagnostic ND0999 on the class.
/// </summary>
internal static class Parsers
{
    /// <summary>
    /// The transform: reads the network class into plain values (<see cref="NetworkRead"/>, or diagnostics). It runs again for
    /// every attributed class on every edit, so it only reads; <see cref="PlanNetwork"/> does the shape inference and the
    /// variant planning in a step Roslyn caches while the read values are equal.
    /// </summary>
    public static ParseResult<NetworkRead> ReadNetwork(GeneratorAttributeSyntaxContext context, CancellationToken ct)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        try
        {
            // [Network] on several parts of one class: one of them speaks for the class (the user has CS0579).
            if (ClassReader.NameMissing(type) || ClassReader.PrimaryDeclaration(type, ClassReader.NetworkAttribute, ct) is { } primary && !ClassReader.Same(primary, context.TargetNode))
                return new ParseResult<NetworkRead>(null, EquatableArray<DiagnosticInfo>.Empty);
            var compilation = context.SemanticModel.Compilation;
            var reader = new ClassReader(ct, compilation);
            reader.CheckClass(type, "network");
            if (type.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == ClassReader.BlockAttribute))
                return new ParseResult<NetworkRead>(null, new EquatableArray<DiagnosticInfo>(reader.Diagnostics)); // ND0014 says it all
            var input = reader.ReadInput(type);
            var policy = reader.ReadPolicy(type);
            if (policy.Residual != ResidualPolicy.Off)
                reader.Diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ResidualOnNetwork, ClassReader.NameLocation(type), type.Name));
            var layers = reader.ReadLayers(type, inBlock: false, ImmutableStack<string>.Empty);
            if (layers.Count == 0 && !reader.HasErrors && !reader.BlockInvalid && !reader.Unresolved)
                reader.Diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoLayers, ClassReader.NameLocation(type), type.Name, "layer fields", "[Linear(10)] or [Conv(16)]"));
            var specs = layers.Select(l => l.Spec).ToList();
            reader.CheckPolicy(type.Name, policy with { Residual = ResidualPolicy.Off }, specs, ClassReader.NameLocation(type), isNetwork: true);
            if (policy.Init is InitKind.ZeroGamma or InitKind.Fixup or InitKind.SkipInit && !reader.HasErrors && !reader.BlockInvalid && !reader.Unresolved
                && !specs.Any(l => l.Kind == Kinds.Layers.LayerCatalog.Stage && l.Block!.Policy.Residual.Enabled))
                reader.Diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ConflictingPolicies, reader.InitLocation ?? ClassReader.NameLocation(type),
                    $"'{type.Name}': Init.{policy.Init} acts on residual branches, and it has no stage of residual blocks", "use HeFanIn or HeFanOut, or stages of [Residual] blocks"));
            reader.CheckNames(type, layers, policy, isNetwork: true);
            if (reader.HasErrors || reader.BlockInvalid || reader.Unresolved || input is null)
                return new ParseResult<NetworkRead>(null, new EquatableArray<DiagnosticInfo>(reader.Diagnostics), ClassReader.Stub(type, isNetwork: true, compilation, ct));

            var networkAttribute = type.GetAttributes().First(a => a.AttributeClass?.ToDisplayString() == ClassReader.NetworkAttribute);
            var spec = new NetworkSpec(Namespace(type), type.Name, new EquatableArray<int>(input), policy, new EquatableArray<LayerSpec>(specs), HintNames.Stem(type, ct),
                Taps: ClassReader.NamedBool(networkAttribute, "Taps", true));
            var read = new NetworkRead(spec, new EquatableArray<Located>(layers.Select(l => new Located(l.AttributeLocation, l.TypeLocation))), ClassReader.NameLocation(type),
                VariantsArgs.Read(type, ct), new EquatableArray<string>(reader.ModuleMemberNames(type).OrderBy(n => n, StringComparer.Ordinal)),
                ClassReader.Stub(type, isNetwork: true, compilation, ct));
            // The reader's informational diagnostics (ND0040) travel with the read network.
            return new ParseResult<NetworkRead>(read, new EquatableArray<DiagnosticInfo>(reader.Diagnostics));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Failure<NetworkRead>(type, e, isNetwork: true, context.SemanticModel.Compilation, ct);
        }
    }

    /// <summary>
    /// The cached step after <see cref="ReadNetwork"/>: shape inference and the variant matrix of a read network. Never throws:
    /// an unexpected exception becomes ND0999 on the class (with its stub).
    /// </summary>
    public static ParseResult<NetworkModel> PlanNetwork(ParseResult<NetworkRead> result, CancellationToken ct)
    {
        if (result.Model is not { } read) return new ParseResult<NetworkModel>(null, result.Diagnostics, result.Stub);
        var spec = read.Spec;
        try
        {
            var inference = ShapeInference.Run(spec, read.Layers.Select(l => l.Attribute).ToList(), read.Layers.Select(l => l.Type).ToList(), read.ClassLocation, ct);
            if (inference.Diagnostics.Count > 0)
                return new ParseResult<NetworkModel>(null, new EquatableArray<DiagnosticInfo>(inference.Diagnostics), read.Stub);
            var variantDiagnostics = new System.Collections.Generic.List<DiagnosticInfo>();
            var variants = VariantPlanner.Plan(read.Matrix, spec, variantDiagnostics, new System.Collections.Generic.HashSet<string>(read.Inherited), ct);
            var model = new NetworkModel(spec, new EquatableArray<SummaryRow>(inference.Rows), new EquatableArray<long>(inference.StepInputs), new EquatableArray<int>(inference.StepRanks),
                new EquatableArray<VariantModel>(variants));
            // Info diagnostics (skipped combinations) do not stop generation; errors in the matrix do (the class itself still builds).
            bool matrixErrors = variantDiagnostics.Any(d => d.Id != DiagnosticDescriptors.SkippedVariants.Id);
            if (matrixErrors) model = model with { Variants = EquatableArray<VariantModel>.Empty };
            return new ParseResult<NetworkModel>(model, new EquatableArray<DiagnosticInfo>(result.Diagnostics.Concat(variantDiagnostics).ToList()));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new ParseResult<NetworkModel>(null, new EquatableArray<DiagnosticInfo>(new[]
            {
                DiagnosticInfo.Create(DiagnosticDescriptors.InternalError, read.ClassLocation, spec.Name, e.GetType().Name + ": " + e.Message),
            }), read.Stub);
        }
    }

    public static ParseResult<BlockSpec> ParseBlock(GeneratorAttributeSyntaxContext context, CancellationToken ct)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        try
        {
            // A class marked both [Network] and [Block] is reported once, by the network parse.
            if (type.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == ClassReader.NetworkAttribute))
                return new ParseResult<BlockSpec>(null, EquatableArray<DiagnosticInfo>.Empty);
            // [Block] on several parts of one class: one of them speaks for the class (the user has CS0579).
            if (ClassReader.NameMissing(type) || ClassReader.PrimaryDeclaration(type, ClassReader.BlockAttribute, ct) is { } primary && !ClassReader.Same(primary, context.TargetNode))
                return new ParseResult<BlockSpec>(null, EquatableArray<DiagnosticInfo>.Empty);
            var compilation = context.SemanticModel.Compilation;
            var reader = new ClassReader(ct, compilation);
            var block = reader.ReadBlock(type, ImmutableStack<string>.Empty);
            var variants = type.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == VariantPlanner.VariantsAttribute);
            if (variants is not null)
                reader.Diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.VariantsOnBlock, LocationInfo.From(variants.ApplicationSyntaxReference?.GetSyntax(ct)), type.Name));
            return new ParseResult<BlockSpec>(block, new EquatableArray<DiagnosticInfo>(reader.Diagnostics), block is null ? ClassReader.Stub(type, isNetwork: false, compilation, ct) : null);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Failure<BlockSpec>(type, e, isNetwork: false, context.SemanticModel.Compilation, ct);
        }
    }

    static string? Namespace(INamedTypeSymbol type) => type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString();

    static ParseResult<T> Failure<T>(INamedTypeSymbol type, Exception e, bool isNetwork, Compilation compilation, CancellationToken ct) where T : class
    {
        StubSpec? stub = null;
        try { stub = ClassReader.Stub(type, isNetwork, compilation, ct); } catch (Exception) when (!ct.IsCancellationRequested) { }
        return new(null, new EquatableArray<DiagnosticInfo>(new[]
        {
            DiagnosticInfo.Create(DiagnosticDescriptors.InternalError, ClassReader.NameLocation(type), type.Name, e.GetType().Name + ": " + e.Message),
        }), stub);
    }
}

/// <summary>Where a layer's diagnostics point: its attribute and its field's type.</summary>
internal sealed record Located(LocationInfo? Attribute, LocationInfo? Type);

/// <summary>
/// A network class as read, in plain equatable values: its spec, where each layer's diagnostics point, its [Variants]
/// arguments, the member names of TorchSharp's Module (which nested types must not take) and its stub for when planning fails.
/// </summary>
internal sealed record NetworkRead(NetworkSpec Spec, EquatableArray<Located> Layers, LocationInfo? ClassLocation, VariantsArgs? Matrix,
    EquatableArray<string> Inherited, StubSpec? Stub);
