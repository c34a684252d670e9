using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using NetDsl.Generators.Emit;
using NetDsl.Generators.Naming;
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
        /// <summary>The read network (or diagnostics) per <c>[Network]</c> class: the transform.</summary>
        public const string Networks = "Networks";
        /// <summary>The planned network (shapes inferred, variants expanded) per read network: cached while the read network is equal.</summary>
        public const string NetworkPlans = "NetworkPlans";
        /// <summary>The parsed model (or diagnostics) per <c>[Block]</c> class.</summary>
        public const string Blocks = "Blocks";
    }

    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // The transform only reads (it runs again for every network on every edit); inference and the variant matrix are a
        // Select that Roslyn caches while the read network is equal.
        var networks = context.SyntaxProvider
            .ForAttributeWithMetadataName(ClassReader.NetworkAttribute,
                predicate: static (node, _) => node is TypeDeclarationSyntax,
                transform: static (ctx, ct) => Parsers.ReadNetwork(ctx, ct))
            .WithTrackingName(TrackingNames.Networks)
            .Select(static (read, ct) => Parsers.PlanNetwork(read, ct))
            .WithTrackingName(TrackingNames.NetworkPlans);

        var blocks = context.SyntaxProvider
            .ForAttributeWithMetadataName(ClassReader.BlockAttribute,
                predicate: static (node, _) => node is TypeDeclarationSyntax,
                transform: static (ctx, ct) => Parsers.ParseBlock(ctx, ct))
            .WithTrackingName(TrackingNames.Blocks);

        // Whole-project conditions under which generated code cannot compile: nothing is generated, and one diagnostic
        // says why. Below C# 7.3 (ND0036); a source type in the place of one generated code names (ND0037).
        var language = context.ParseOptionsProvider
            .Select(static (options, _) => options is CSharpParseOptions p ? p.LanguageVersion : LanguageVersion.Latest);
        var conflict = context.CompilationProvider.Select(static (compilation, ct) => ReferencedTypes.FindConflict(compilation, ct));
        var languageOk = language.Select(static (version, _) => version >= UnitEmitter.LanguageFloor)
            .Combine(conflict).Select(static (p, _) => p.Left && p.Right is null);
        var used = networks.Collect().Combine(blocks.Collect()).Select(static (p, _) => p.Left.Length + p.Right.Length > 0);
        context.RegisterSourceOutput(language.Combine(conflict).Combine(used), static (spc, input) =>
        {
            var ((version, hidden), isUsed) = input;
            if (!isUsed) return;
            if (version < UnitEmitter.LanguageFloor)
                spc.ReportDiagnostic(Diagnostic.Create(Diagnostics.DiagnosticDescriptors.LanguageVersionTooLow, null,
                    UnitEmitter.LanguageFloor.ToDisplayString(), version.ToDisplayString()));
            else if (hidden is not null)
                spc.ReportDiagnostic(hidden.ToDiagnostic());
        });

        context.RegisterSourceOutput(networks.Combine(languageOk), static (spc, input) =>
        {
            var (result, ok) = input;
            if (!ok) return;
            Output(spc, result, m => m.Spec.Name, m => HintNames.Unit(m.Spec.FileStem), UnitEmitter.EmitNetwork);
            if (result.Model is { Variants.Count: > 0 } model)
            {
                System.Collections.Generic.List<(string HintName, string Source)> files;
                try
                {
                    files = VariantEmitter.Emit(model, spc.CancellationToken);
                }
                catch (System.Exception e) when (e is not System.OperationCanceledException)
                {
                    spc.ReportDiagnostic(Diagnostic.Create(Diagnostics.DiagnosticDescriptors.InternalError, null, model.Spec.Name + " variants", e.GetType().Name + ": " + e.Message));
                    return;
                }
                foreach (var (hint, source) in files) spc.AddSource(hint, source);
            }
        });

        context.RegisterSourceOutput(blocks.Combine(languageOk), static (spc, input) =>
        {
            if (input.Right) Output(spc, input.Left, m => m.Name, m => HintNames.Unit(m.FileStem), UnitEmitter.EmitBlock);
        });
    }

    static void Output<T>(SourceProductionContext spc, Model.ParseResult<T> result, System.Func<T, string> name, System.Func<T, string> hint,
        System.Func<T, System.Threading.CancellationToken, string> emit)
        where T : class
    {
        foreach (var diagnostic in result.Diagnostics) spc.ReportDiagnostic(diagnostic.ToDiagnostic());
        if (result.Stub is { } stub) spc.AddSource(HintNames.Unit(stub.FileStem), StubEmitter.Emit(stub));
        if (result.Model is not { } model) return;
        string source;
        try
        {
            source = emit(model, spc.CancellationToken);
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
