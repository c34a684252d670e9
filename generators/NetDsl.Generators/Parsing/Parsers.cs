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
    public static ParseResult<NetworkModel> ParseNetwork(GeneratorAttributeSyntaxContext context, CancellationToken ct)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        try
        {
            // [Network] on several parts of one class: one of them speaks for the class (the user has CS0579).
            if (ClassReader.NameMissing(type) || ClassReader.PrimaryDeclaration(type, ClassReader.NetworkAttribute, ct) is { } primary && !ClassReader.Same(primary, context.TargetNode))
                return new ParseResult<NetworkModel>(null, EquatableArray<DiagnosticInfo>.Empty);
            var compilation = context.SemanticModel.Compilation;
            var reader = new ClassReader(ct, compilation);
            reader.CheckClass(type, "network");
            if (type.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == ClassReader.BlockAttribute))
                return new ParseResult<NetworkModel>(null, new EquatableArray<DiagnosticInfo>(reader.Diagnostics)); // ND0014 says it all
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
                && !specs.Any(l => l.Kind == LayerKind.Stage && l.Block!.Policy.Residual.Enabled))
                reader.Diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ConflictingPolicies, ClassReader.NameLocation(type),
                    $"'{type.Name}': Init.{policy.Init} acts on residual branches, and it has no stage of residual blocks", "use HeFanIn or HeFanOut, or stages of [Residual] blocks"));
            reader.CheckNames(type, layers, policy, isNetwork: true);
            if (reader.HasErrors || reader.BlockInvalid || reader.Unresolved || input is null)
                return new ParseResult<NetworkModel>(null, new EquatableArray<DiagnosticInfo>(reader.Diagnostics), ClassReader.Stub(type, isNetwork: true, compilation, ct));

            var networkAttribute = type.GetAttributes().First(a => a.AttributeClass?.ToDisplayString() == ClassReader.NetworkAttribute);
            var spec = new NetworkSpec(Namespace(type), type.Name, new EquatableArray<int>(input), policy, new EquatableArray<LayerSpec>(specs), HintNames.Stem(type, ct),
                Taps: ClassReader.NamedBool(networkAttribute, "Taps", true));
            var inference = ShapeInference.Run(spec, layers.Select(l => l.AttributeLocation).ToList(), layers.Select(l => l.TypeLocation).ToList(), ClassReader.NameLocation(type), ct);
            if (inference.Diagnostics.Count > 0)
                return new ParseResult<NetworkModel>(null, new EquatableArray<DiagnosticInfo>(inference.Diagnostics), ClassReader.Stub(type, isNetwork: true, compilation, ct));
            var variantDiagnostics = new System.Collections.Generic.List<DiagnosticInfo>();
            var variants = VariantPlanner.Plan(type, spec, variantDiagnostics, reader.ModuleMemberNames(type), ct);
            var model = new NetworkModel(spec, new EquatableArray<SummaryRow>(inference.Rows), new EquatableArray<long>(inference.StepInputs), new EquatableArray<int>(inference.StepRanks),
                new EquatableArray<VariantModel>(variants));
            // Info diagnostics (skipped combinations) do not stop generation; errors in the matrix do (the class itself still builds).
            bool matrixErrors = variantDiagnostics.Any(d => d.Id != DiagnosticDescriptors.SkippedVariants.Id);
            if (matrixErrors) model = model with { Variants = EquatableArray<VariantModel>.Empty };
            // The reader's informational diagnostics (ND0040) travel with the model too.
            return new ParseResult<NetworkModel>(model, new EquatableArray<DiagnosticInfo>(reader.Diagnostics.Concat(variantDiagnostics).ToList()));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Failure<NetworkModel>(type, e, isNetwork: true, context.SemanticModel.Compilation, ct);
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
