using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using NetDsl.Generators.Emit;
using NetDsl.Generators.Parsing;

namespace NetDsl.Generators;

/// <summary>
/// The incremental generator: every class marked <c>[NetDsl.Network]</c> or <c>[NetDsl.Block]</c> becomes a
/// TorchSharp module, or gets diagnostics and no code. Steps are named (<see cref="TrackingNames"/>) so
/// tests can assert caching.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class NetworkGenerator : IIncrementalGenerator
{
    /// <summary>Names of the pipeline's tracked steps.</summary>
    public static class TrackingNames
    {
        /// <summary>The parsed model (or diagnostics) per <c>[Network]</c> class.</summary>
        public const string Networks = "Networks";
        /// <summary>The parsed model (or diagnostics) per <c>[Block]</c> class.</summary>
        public const string Blocks = "Blocks";
    }

    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var networks = context.SyntaxProvider
            .ForAttributeWithMetadataName(ClassReader.NetworkAttribute,
                predicate: static (node, _) => node is TypeDeclarationSyntax,
                transform: static (ctx, ct) => Parsers.ParseNetwork(ctx, ct))
            .WithTrackingName(TrackingNames.Networks);

        var blocks = context.SyntaxProvider
            .ForAttributeWithMetadataName(ClassReader.BlockAttribute,
                predicate: static (node, _) => node is TypeDeclarationSyntax,
                transform: static (ctx, ct) => Parsers.ParseBlock(ctx, ct))
            .WithTrackingName(TrackingNames.Blocks);

        context.RegisterSourceOutput(networks, static (spc, result) =>
        {
            Output(spc, result, m => m.Spec.Name, m => m.Spec.HintName, UnitEmitter.EmitNetwork);
            if (result.Model is { Variants.Count: > 0 } model)
            {
                try
                {
                    foreach (var (hint, source) in VariantEmitter.Emit(model)) spc.AddSource(hint, source);
                }
                catch (System.Exception e) when (e is not System.OperationCanceledException)
                {
                    spc.ReportDiagnostic(Diagnostic.Create(Diagnostics.DiagnosticDescriptors.InternalError, null, model.Spec.Name + " variants", e.GetType().Name + ": " + e.Message));
                }
            }
        });

        context.RegisterSourceOutput(blocks, static (spc, result) =>
            Output(spc, result, m => m.Name, m => m.HintName, UnitEmitter.EmitBlock));
    }

    static void Output<T>(SourceProductionContext spc, Model.ParseResult<T> result, System.Func<T, string> name, System.Func<T, string> hint, System.Func<T, string> emit)
        where T : class
    {
        foreach (var diagnostic in result.Diagnostics) spc.ReportDiagnostic(diagnostic.ToDiagnostic());
        if (result.Stub is { } stub) spc.AddSource(stub.HintName, StubEmitter.Emit(stub));
        if (result.Model is not { } model) return;
        string source;
        try
        {
            source = emit(model);
        }
        catch (System.Exception e) when (e is not System.OperationCanceledException)
        {
            // Never crash the compiler: report, emit nothing for this class.
            spc.ReportDiagnostic(Diagnostic.Create(Diagnostics.DiagnosticDescriptors.InternalError, null, name(model), e.GetType().Name + ": " + e.Message));
            return;
        }
        spc.AddSource(hint(model), source);
    }
}
