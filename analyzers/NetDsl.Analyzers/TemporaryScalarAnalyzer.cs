using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace NetDsl.Analyzers;

/// <summary>
/// NDA0001: a number handed to TorchSharp as a temporary <c>TorchSharp.Scalar</c>. TorchSharp 0.107 passes a Scalar's
/// native handle to LibTorch without keeping the managed object alive; a temporary (from <c>x * 0.5</c>, <c>x.mul(0.5)</c>,
/// <c>alpha: 2</c>, <c>0.5.ToScalar()</c> as an argument) is unreachable during the call, so a garbage collection can run
/// its finalizer and free the native scalar while LibTorch reads it ("Unknown scalar type", or a wrong value; seen in
/// this repository's tests and fuzzer). Kept alive: a Scalar in a field (static readonly), or in a <c>using</c> local
/// (its Dispose at the end of the scope keeps it reachable through the call). Generated code is checked too.
/// Not visible here: TorchSharp methods that take a plain number and make the Scalar inside TorchSharp.
/// </summary>
[DiagnosticAnalyzer(Microsoft.CodeAnalysis.LanguageNames.CSharp)]
public sealed class TemporaryScalarAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The rule: a temporary Scalar reaches a native call.</summary>
    public static readonly DiagnosticDescriptor Rule = new(
        "NDA0001",
        "A number reaches TorchSharp as a temporary Scalar",
        "'{0}' {1} a temporary TorchSharp Scalar that nothing keeps alive during the native call, so the GC may free it while LibTorch reads it; " +
        "pass a Scalar kept alive: a static readonly field, or 'using var s = value.ToScalar();' before the call",
        "Reliability",
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        // Generated modules run in every forward pass: their scalars matter most.
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.Analyze | GeneratedCodeAnalysisFlags.ReportDiagnostics);
        context.RegisterCompilationStartAction(start =>
        {
            var scalar = start.Compilation.GetTypeByMetadataName("TorchSharp.Scalar");
            if (scalar is null) return;
            start.RegisterOperationAction(c => Conversion(c, scalar), OperationKind.Conversion);
            start.RegisterOperationAction(c => ToScalar(c, scalar), OperationKind.Invocation);
            start.RegisterOperationAction(c => Operator(c, ((IBinaryOperation)c.Operation).OperatorMethod), OperationKind.Binary);
            start.RegisterOperationAction(c => Operator(c, ((ICompoundAssignmentOperation)c.Operation).OperatorMethod), OperationKind.CompoundAssignment);
        });
    }

    static void Conversion(OperationAnalysisContext c, INamedTypeSymbol scalar)
    {
        var conversion = (IConversionOperation)c.Operation;
        if (conversion.OperatorMethod is null || !SymbolEqualityComparer.Default.Equals(conversion.Type, scalar) || KeptAlive(conversion)) return;
        c.ReportDiagnostic(Diagnostic.Create(Rule, conversion.Syntax.GetLocation(), conversion.Operand.Syntax.ToString(), "becomes"));
    }

    static void ToScalar(OperationAnalysisContext c, INamedTypeSymbol scalar)
    {
        var call = (IInvocationOperation)c.Operation;
        if (call.TargetMethod.Name != "ToScalar" || !SymbolEqualityComparer.Default.Equals(call.TargetMethod.ReturnType, scalar) || KeptAlive(call)) return;
        c.ReportDiagnostic(Diagnostic.Create(Rule, call.Syntax.GetLocation(), call.Syntax.ToString(), "makes"));
    }

    /// <summary>TorchSharp's <c>Tensor op number</c> operators convert the number to a Scalar inside the operator.</summary>
    static void Operator(OperationAnalysisContext c, IMethodSymbol? method)
    {
        if (method is null || !InTorchSharp(method.ContainingType)) return;
        foreach (var p in method.Parameters)
        {
            if (p.Type.SpecialType is SpecialType.None) continue;
            c.ReportDiagnostic(Diagnostic.Create(Rule, c.Operation.Syntax.GetLocation(), c.Operation.Syntax.ToString(), "passes a number that TorchSharp's operator turns into"));
            return;
        }
    }

    static bool InTorchSharp(INamedTypeSymbol? type)
    {
        for (var ns = type?.ContainingNamespace; ns is { IsGlobalNamespace: false }; ns = ns.ContainingNamespace)
            if (ns.ContainingNamespace is { IsGlobalNamespace: true } && ns.Name == "TorchSharp") return true;
        return false;
    }

    /// <summary>True when the Scalar is stored where it outlives the calls that use it: a field, or a using local.</summary>
    static bool KeptAlive(IOperation made)
    {
        var parent = made.Parent;
        if (parent is IFieldInitializerOperation) return true;
        if (parent is not IVariableInitializerOperation) return false;
        for (var node = parent.Syntax; node is not null; node = node.Parent)
        {
            if (node is LocalDeclarationStatementSyntax local) return local.UsingKeyword.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.UsingKeyword);
            if (node is UsingStatementSyntax) return true;
            if (node is StatementSyntax) return false;
        }
        return false;
    }
}
