using Microsoft.CodeAnalysis;
using NetDsl.Generators.Emit;
using NetDsl.Generators.Parsing;

namespace NetDsl.Generators;

/// <summary>
/// The incremental generator: every class marked <c>[NetDsl.Network]</c> becomes a TorchSharp module,
/// or gets diagnostics and no code. Steps are named (<see cref="TrackingNames"/>) so tests can assert caching.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class NetworkGenerator : IIncrementalGenerator
{
    /// <summary>Names of the pipeline's tracked steps.</summary>
    public static class TrackingNames
    {
        /// <summary>The parsed model (or diagnostics) per <c>[Network]</c> class.</summary>
        public const string Parse = "Parse";
    }

    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(NetworkParser.NetworkAttribute,
                predicate: static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax,
                transform: static (ctx, ct) => NetworkParser.Parse(ctx, ct))
            .WithTrackingName(TrackingNames.Parse);

        context.RegisterSourceOutput(parsed, static (spc, result) =>
        {
            foreach (var diagnostic in result.Diagnostics)
                spc.ReportDiagnostic(diagnostic.ToDiagnostic());
            if (result.Model is { } model)
                spc.AddSource(model.HintName, NetworkEmitter.Emit(model));
        });
    }
}
