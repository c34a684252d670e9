using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace NetDsl.Generators.Diagnostics;

/// <summary>
/// Suppresses the compiler's warnings about unassigned layer fields (CS0169, CS0649, CS0414, CS8618) on fields with a
/// NetDsl attribute in a [Network] or [Block] class. NetDsl's generated constructor assigns those fields; when the
/// class has errors it gets no constructor (at most a stub), and the ND diagnostic, not a warning per field, is what
/// the user must see. Fields without a NetDsl attribute keep their warnings.
/// </summary>
[DiagnosticAnalyzer(Microsoft.CodeAnalysis.LanguageNames.CSharp)]
public sealed class UnbuiltLayerSuppressor : DiagnosticSuppressor
{
    const string Justification = "NetDsl builds this layer in its generated constructor; when the class has NetDsl errors, the ND diagnostic says what to fix";

    static readonly ImmutableArray<SuppressionDescriptor> Suppressions = ImmutableArray.Create(
        new SuppressionDescriptor("NDS0169", "CS0169", Justification),
        new SuppressionDescriptor("NDS0649", "CS0649", Justification),
        new SuppressionDescriptor("NDS0414", "CS0414", Justification),
        new SuppressionDescriptor("NDS8618", "CS8618", Justification));

    /// <inheritdoc />
    public override ImmutableArray<SuppressionDescriptor> SupportedSuppressions => Suppressions;

    /// <inheritdoc />
    public override void ReportSuppressions(SuppressionAnalysisContext context)
    {
        foreach (var diagnostic in context.ReportedDiagnostics)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            if (diagnostic.Location.SourceTree is not { } tree) continue;
            var descriptor = Suppressions.FirstOrDefault(s => s.SuppressedDiagnosticId == diagnostic.Id);
            if (descriptor is null) continue;
            var model = context.GetSemanticModel(tree);
            var node = tree.GetRoot(context.CancellationToken).FindNode(diagnostic.Location.SourceSpan);
            var field = node.AncestorsAndSelf().OfType<VariableDeclaratorSyntax>().FirstOrDefault() is { } declarator
                ? model.GetDeclaredSymbol(declarator, context.CancellationToken) as IFieldSymbol
                : FieldNamedIn(diagnostic, node, model, context);
            if (field is not null && IsLayerField(field)) context.ReportSuppression(Suppression.Create(descriptor, diagnostic));
        }
    }

    /// <summary>CS8618 at a constructor names the field in its message: "Non-nullable field 'fc' must contain ...".</summary>
    static IFieldSymbol? FieldNamedIn(Diagnostic diagnostic, SyntaxNode node, SemanticModel model, SuppressionAnalysisContext context)
    {
        if (node.AncestorsAndSelf().OfType<TypeDeclarationSyntax>().FirstOrDefault() is not { } typeSyntax) return null;
        if (model.GetDeclaredSymbol(typeSyntax, context.CancellationToken) is not INamedTypeSymbol type) return null;
        var message = diagnostic.GetMessage(CultureInfo.InvariantCulture);
        int open = message.IndexOf('\''), close = open < 0 ? -1 : message.IndexOf('\'', open + 1);
        return close < 0 ? null : type.GetMembers(message.Substring(open + 1, close - open - 1)).OfType<IFieldSymbol>().FirstOrDefault();
    }

    /// <summary>
    /// A field with a NetDsl attribute in a [Network] or [Block] class. Half-written code counts too: an attribute the
    /// compiler cannot resolve (a missing <c>using NetDsl;</c>, a misspelt name) already has its own error.
    /// </summary>
    static bool IsLayerField(IFieldSymbol field) =>
        field.GetAttributes().Any(a => IsNetDsl(a) || Unresolved(a))
        && field.ContainingType.GetAttributes().Any(a => (IsNetDsl(a) || Unresolved(a)) && a.AttributeClass!.Name is "NetworkAttribute" or "BlockAttribute" or "Network" or "Block");

    static bool IsNetDsl(AttributeData a) => a.AttributeClass?.ContainingNamespace is { Name: "NetDsl", ContainingNamespace.IsGlobalNamespace: true };

    static bool Unresolved(AttributeData a) => a.AttributeClass is null or { TypeKind: TypeKind.Error };
}
