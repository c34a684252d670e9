using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace NetDsl.Generators.Tests;

/// <summary>
/// Finds, with Roslyn's semantic model, every place where C# code turns a number into a temporary TorchSharp
/// <c>Scalar</c>. TorchSharp 0.107 makes such a Scalar for <c>x * 0.1</c>, <c>x &gt; 0</c> or <c>alpha: 0.5</c>, and nothing
/// keeps it alive during the native call: a garbage collection can free it while LibTorch reads it ("Unknown scalar
/// type"; see src/NetDsl/Native/Scalars.cs). Code that is safe passes a Scalar it keeps alive (a static field, or a
/// <c>using var s = value.ToScalar();</c> local), which this scan does not report. Reusable for any compilation: the
/// generator tests scan generated code with it; a scan of hand-written code can call <see cref="Find"/> the same way.
/// </summary>
/// <remarks>
/// Reported: (1) every implicit user-defined conversion to <c>TorchSharp.Scalar</c> of an argument (of a method,
/// constructor or indexer with a Scalar parameter), an operand of a TorchSharp operator, an initializer
/// (<c>Scalar s = 0.5;</c>), an assigned value or a returned value; (2) every call of a user-defined operator
/// declared by a TorchSharp type with a parameter of a primitive numeric or bool type (<c>Tensor * double</c>, which
/// TorchSharp implements with a temporary Scalar), as a binary operator or a compound assignment. Not seen: methods that
/// take a <c>double</c> and make the Scalar inside TorchSharp (those are TorchSharp's to fix), and elements of a
/// <c>Scalar[]</c> initializer.
/// </remarks>
internal static class ScalarScan
{
    /// <summary>One site: where it is, the code, and what makes the temporary.</summary>
    public sealed record Finding(string Path, int Line, string Code, string What)
    {
        public override string ToString() => $"{Path}:{Line}: {What}: {Code}";
    }

    /// <summary>The sites in <paramref name="trees"/> (trees of <paramref name="compilation"/>), in file and line order.</summary>
    /// <exception cref="System.InvalidOperationException">The compilation does not reference TorchSharp, or a tree has compile errors (its conversions would be guesses).</exception>
    public static List<Finding> Find(Compilation compilation, IEnumerable<SyntaxTree> trees)
    {
        var scalar = compilation.GetTypeByMetadataName("TorchSharp.Scalar")
            ?? throw new System.InvalidOperationException("the compilation does not reference TorchSharp (no TorchSharp.Scalar): the scan would find nothing");
        var found = new List<Finding>();
        // Trees are independent and binding is the cost: one per core (semantic models are thread-safe).
        System.Threading.Tasks.Parallel.ForEach(trees, tree =>
        {
            var model = compilation.GetSemanticModel(tree);
            // Binding the whole tree once (diagnostics) also caches what the lookups below read.
            var errors = model.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            if (errors.Count > 0)
                throw new System.InvalidOperationException($"{tree.FilePath} does not compile, so it cannot be scanned: {string.Join("; ", errors.Take(3))}");
            var takesScalar = new Dictionary<SyntaxNode, bool>();
            void Check(ExpressionSyntax? e)
            {
                if (e is null) return;
                var conversion = model.GetConversion(e);
                if (conversion.IsUserDefined && conversion.IsImplicit && SymbolEqualityComparer.Default.Equals(model.GetTypeInfo(e).ConvertedType, scalar))
                    lock (found) found.Add(At(e, $"{model.GetTypeInfo(e).Type?.ToDisplayString() ?? "value"} converted to a temporary Scalar"));
            }
            // Only where a conversion to Scalar can happen: arguments of members with a Scalar parameter, operands of
            // TorchSharp's operators, initializers, assignments and returns. Asking the model about every expression
            // instead costs minutes on the tool's generated networks (2.8 million characters).
            foreach (var node in tree.GetRoot().DescendantNodes())
            {
                switch (node)
                {
                    case ArgumentSyntax { Parent.Parent: { } call } argument when call is InvocationExpressionSyntax or BaseObjectCreationExpressionSyntax or ElementAccessExpressionSyntax or ConstructorInitializerSyntax:
                        if (!takesScalar.TryGetValue(call, out var takes))
                        {
                            var info = model.GetSymbolInfo(call);
                            var candidates = info.Symbol is { } one ? new[] { one } : info.CandidateSymbols.ToArray();
                            takes = candidates.Any(c => (c is IMethodSymbol m ? m.Parameters : c is IPropertySymbol p ? p.Parameters : default).Any(p => IsScalar(p.Type, scalar)));
                            takesScalar[call] = takes;
                        }
                        if (takes) Check(argument.Expression);
                        break;
                    case BinaryExpressionSyntax or AssignmentExpressionSyntax when model.GetSymbolInfo(node).Symbol is IMethodSymbol { MethodKind: MethodKind.UserDefinedOperator } op
                        && op.ContainingType.ContainingNamespace?.ToDisplayString() is { } ns && (ns == "TorchSharp" || ns.StartsWith("TorchSharp.", System.StringComparison.Ordinal)):
                        if (op.Parameters.Any(p => IsPrimitiveNumber(p.Type)))
                            lock (found) found.Add(At(node, $"operator {op.ContainingType.Name}.{op.Name}({string.Join(", ", op.Parameters.Select(p => p.Type.ToDisplayString()))}) makes a temporary Scalar"));
                        if (node is BinaryExpressionSyntax b) { Check(b.Left); Check(b.Right); }
                        else Check(((AssignmentExpressionSyntax)node).Right);
                        break;
                    case AssignmentExpressionSyntax assignment:
                        Check(assignment.Right);
                        break;
                    case EqualsValueClauseSyntax initializer:
                        Check(initializer.Value);
                        break;
                    case ReturnStatementSyntax r:
                        Check(r.Expression);
                        break;
                    case ArrowExpressionClauseSyntax arrow:
                        Check(arrow.Expression);
                        break;
                }
            }
        });
        return found.OrderBy(f => f.Path, System.StringComparer.Ordinal).ThenBy(f => f.Line).ToList();
    }

    static bool IsScalar(ITypeSymbol t, INamedTypeSymbol scalar) =>
        SymbolEqualityComparer.Default.Equals(t, scalar) || t is IArrayTypeSymbol { ElementType: var e } && SymbolEqualityComparer.Default.Equals(e, scalar)
        || t is INamedTypeSymbol { IsGenericType: true } g && g.TypeArguments.Any(a => SymbolEqualityComparer.Default.Equals(a, scalar)); // Scalar?, params Scalar[]

    static bool IsPrimitiveNumber(ITypeSymbol t) => t.SpecialType is SpecialType.System_Boolean or SpecialType.System_Byte or SpecialType.System_SByte
        or SpecialType.System_Int16 or SpecialType.System_UInt16 or SpecialType.System_Int32 or SpecialType.System_UInt32 or SpecialType.System_Int64
        or SpecialType.System_UInt64 or SpecialType.System_Single or SpecialType.System_Double or SpecialType.System_Decimal;

    static Finding At(SyntaxNode node, string what)
    {
        var span = node.GetLocation().GetLineSpan();
        // The statement around the site, on one line, so that a failure message shows the code.
        var statement = node.AncestorsAndSelf().FirstOrDefault(n => n is StatementSyntax or MemberDeclarationSyntax) ?? node;
        var code = string.Join(" ", statement.ToString().Split(new[] { '\r', '\n' }, System.StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()));
        return new Finding(span.Path, span.StartLinePosition.Line + 1, code.Length > 200 ? code.Substring(0, 200) + "..." : code, what);
    }
}
