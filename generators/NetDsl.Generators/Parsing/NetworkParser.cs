using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using NetDsl.Generators.Diagnostics;
using NetDsl.Generators.Model;

namespace NetDsl.Generators.Parsing;

/// <summary>
/// Turns one <c>[Network]</c> class into a value model or diagnostics. Runs inside the incremental
/// pipeline: everything it returns is plain data (no symbols, syntax or locations).
/// </summary>
internal static class NetworkParser
{
    public const string NetworkAttribute = "NetDsl.NetworkAttribute";
    const string InputAttribute = "NetDsl.InputAttribute";
    const string LinearAttribute = "NetDsl.LinearAttribute";
    const string ActivationAttribute = "NetDsl.ActivationAttribute";
    const string LinearModule = "TorchSharp.Modules.Linear";

    public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var syntax = (TypeDeclarationSyntax)context.TargetNode;
        var diagnostics = new List<DiagnosticInfo>();
        var classLocation = LocationInfo.From(syntax.Identifier.GetLocation());

        if (!syntax.Modifiers.Any(SyntaxKind.PartialKeyword))
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotPartial, classLocation, type.Name));
        if (type.ContainingType is not null)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedContainer, classLocation, type.Name, "nested in '" + type.ContainingType.Name + "'"));
        else if (type.IsGenericType)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedContainer, classLocation, type.Name, "generic"));

        var input = ReadInput(type, classLocation, diagnostics, cancellationToken);
        var classActivation = ReadActivation(type, diagnostics, cancellationToken) ?? Nonlinearity.None;

        // Declaration order is forward order. Fields of one partial declaration come back in source
        // order; sort by location anyway so several partial files give a stable order.
        var fields = type.GetMembers().OfType<IFieldSymbol>()
            .Where(f => !f.IsImplicitlyDeclared && f.DeclaringSyntaxReferences.Length > 0)
            .OrderBy(f => f.DeclaringSyntaxReferences[0].SyntaxTree.FilePath, System.StringComparer.Ordinal)
            .ThenBy(f => f.DeclaringSyntaxReferences[0].Span.Start)
            .ToList();

        var declared = new List<(IFieldSymbol Field, AttributeData Attribute, int Out, bool Bias, Nonlinearity? Activation)>();
        foreach (var field in fields)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var linear = field.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == LinearAttribute);
            if (linear is null) continue;
            var attributeLocation = LocationInfo.From(linear.ApplicationSyntaxReference?.GetSyntax(cancellationToken));
            int outFeatures = linear.ConstructorArguments.Length == 1 && linear.ConstructorArguments[0].Value is int o ? o : 0;
            bool bias = linear.NamedArguments.FirstOrDefault(a => a.Key == "Bias").Value.Value is not false;
            if (outFeatures <= 0)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NonPositiveSize, attributeLocation, "out_features of '" + field.Name + "'", outFeatures.ToString()));
            var fieldType = field.Type.ToDisplayString();
            if (fieldType != LinearModule)
            {
                var typeSyntax = (field.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken).Parent as VariableDeclarationSyntax)?.Type;
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WrongFieldType,
                    LocationInfo.From(typeSyntax) ?? attributeLocation, field.Name, fieldType, "Linear", LinearModule));
            }
            declared.Add((field, linear, outFeatures, bias, ReadActivation(field, diagnostics, cancellationToken)));
        }

        if (declared.Count == 0 && diagnostics.Count == 0)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoLayers, classLocation, type.Name));

        var layers = new List<LayerModel>();
        if (input is { } shape)
        {
            int? features = shape.Length == 1 ? shape[0] : null;
            for (int i = 0; i < declared.Count; i++)
            {
                var (field, attribute, outFeatures, bias, activation) = declared[i];
                if (features is null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LinearAfterSpatialMap,
                        LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken)), field.Name, string.Join("x", shape)));
                    break;
                }
                bool isHead = i == declared.Count - 1;
                // The class policy applies between layers, not after the head; a field's own [Activation] always applies.
                var act = activation ?? (isHead ? Nonlinearity.None : classActivation);
                layers.Add(new LayerModel(field.Name, LayerKind.Linear, features.Value, outFeatures, bias, act));
                features = outFeatures;
            }
        }

        if (diagnostics.Count > 0)
            return new ParseResult(null, new EquatableArray<DiagnosticInfo>(diagnostics));

        var ns = type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString();
        var model = new NetworkModel(ns, type.Name, new EquatableArray<int>(input!), new EquatableArray<LayerModel>(layers));
        return new ParseResult(model, EquatableArray<DiagnosticInfo>.Empty);
    }

    static int[]? ReadInput(INamedTypeSymbol type, LocationInfo? classLocation, List<DiagnosticInfo> diagnostics, CancellationToken ct)
    {
        var attribute = type.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == InputAttribute);
        if (attribute is null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingInput, classLocation, type.Name));
            return null;
        }
        var location = LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax(ct));
        var sizes = attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Kind == TypedConstantKind.Array
            ? attribute.ConstructorArguments[0].Values.Select(v => v.Value is int i ? i : 0).ToArray()
            : System.Array.Empty<int>();
        if (sizes.Length is not (1 or 3))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidInputRank, location, sizes.Length.ToString()));
            return null;
        }
        bool ok = true;
        for (int i = 0; i < sizes.Length; i++)
        {
            if (sizes[i] > 0) continue;
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NonPositiveSize, location, "input size " + (i + 1), sizes[i].ToString()));
            ok = false;
        }
        return ok ? sizes : null;
    }

    static Nonlinearity? ReadActivation(ISymbol symbol, List<DiagnosticInfo> diagnostics, CancellationToken ct)
    {
        var attribute = symbol.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == ActivationAttribute);
        if (attribute is null || attribute.ConstructorArguments.Length != 1 || attribute.ConstructorArguments[0].Value is not int value) return null;
        if (!System.Enum.IsDefined(typeof(Nonlinearity), value))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownActivation,
                LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax(ct)), symbol.Name, value.ToString()));
            return null;
        }
        return (Nonlinearity)value;
    }
}
