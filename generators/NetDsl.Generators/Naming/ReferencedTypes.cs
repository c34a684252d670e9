using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using NetDsl.Generators.Model;

namespace NetDsl.Generators.Naming;

/// <summary>
/// The types generated code names (always as <c>global::Namespace.Type</c>), and the check that the project's own
/// source does not declare a type or namespace in their place: <c>global::</c> protects against look-alikes in other
/// namespaces, but a source type <c>TorchSharp.torch</c> (or a type named like one of the namespaces, such as a
/// top-level class <c>NetDsl</c>) takes precedence over the referenced one, and generated code would not compile.
/// </summary>
internal static class ReferencedTypes
{
    /// <summary>Metadata names (namespace, type, arity) of every type generated code names; the layer and normalization modules come from their catalogs.</summary>
    static readonly (string[] Namespace, string Type, int Arity)[] Names = new (string[] Namespace, string Type, int Arity)[]
    {
        (new[] { "TorchSharp" }, "torch", 0), (new[] { "TorchSharp" }, "Scalar", 0), (new[] { "TorchSharp" }, "ScalarExtensionMethods", 0),
        (new[] { "TorchSharp", "Modules" }, "ReLU", 0),
        (new[] { "TorchSharp", "Modules" }, "LeakyReLU", 0), (new[] { "TorchSharp", "Modules" }, "Sigmoid", 0),
        (new[] { "TorchSharp", "Modules" }, "Tanh", 0), (new[] { "TorchSharp", "Modules" }, "GELU", 0),
        (new[] { "TorchSharp", "Modules" }, "Identity", 0), (new[] { "TorchSharp", "Modules" }, "ModuleList", 1),
        (new[] { "NetDsl" }, "ModelSummary", 0), (new[] { "NetDsl" }, "LayerSummary", 0), (new[] { "NetDsl" }, "VariantInfo", 0),
        (new[] { "NetDsl" }, "VariantSettings", 0), (new[] { "NetDsl" }, "BatchNormVariant", 0), (new[] { "NetDsl" }, "NormalizationVariant", 0),
        (new[] { "NetDsl" }, "UnitOrder", 0), (new[] { "NetDsl" }, "Nonlinearity", 0),
        (new[] { "NetDsl" }, "Shortcuts", 0), (new[] { "NetDsl" }, "NormalizationLayers", 0), (new[] { "NetDsl" }, "ForwardChecks", 0),
        (new[] { "NetDsl", "Instrumentation" }, "Probe", 0), (new[] { "NetDsl", "Instrumentation" }, "IInstrumented", 0),
        (new[] { "NetDsl", "Instrumentation" }, "TapKind", 0),
        (new[] { "NetDsl", "Native" }, "TorchSharpRuntime", 0), (new[] { "NetDsl", "Native" }, "TorchSharpLoadException", 0),
        (new[] { "System" }, "InvalidOperationException", 0), (new[] { "System" }, "ArgumentException", 0),
        (new[] { "System", "CodeDom", "Compiler" }, "GeneratedCodeAttribute", 0),
        (new[] { "System", "Collections", "Generic" }, "IReadOnlyList", 1),
        (new[] { "NetDsl" }, "Init", 0), (new[] { "NetDsl" }, "Inits", 0), (new[] { "NetDsl" }, "IResidualUnit", 0), (new[] { "NetDsl" }, "IDeclaresInit", 0),
    }.Concat(Kinds.Layers.LayerCatalog.All.Select(k => k.FieldType).OfType<string>()
        .Concat(Kinds.Normalization.Norms.All.SelectMany(k => k.FieldTypes.Select(t => t.Type).Concat(new[] { k.ModuleType(true), k.ModuleType(false) })))
        .Distinct().Select(t => (new[] { "TorchSharp", "Modules" }, t, 0))).ToArray();

    /// <summary>
    /// The first declaration in the project's source that takes the place of a type generated code names (ND0037), or
    /// null. Cheap: it stops at the first namespace the source does not declare (usually at once).
    /// </summary>
    public static DiagnosticInfo? FindConflict(Compilation compilation, CancellationToken ct)
    {
        var root = compilation.Assembly.GlobalNamespace;
        foreach (var (path, type, arity) in Names)
        {
            ct.ThrowIfCancellationRequested();
            var ns = root;
            string full = "";
            ISymbol? conflict = null;
            foreach (var segment in path)
            {
                full += (full.Length == 0 ? "" : ".") + segment;
                conflict = ns.GetTypeMembers(segment).FirstOrDefault();
                if (conflict is not null) break;
                ns = ns.GetNamespaceMembers().FirstOrDefault(n => n.Name == segment);
                if (ns is null) break;
            }
            if (conflict is null && ns is not null)
            {
                conflict = (ISymbol?)ns.GetTypeMembers(type, arity).FirstOrDefault() ?? ns.GetNamespaceMembers().FirstOrDefault(n => n.Name == type);
                full += "." + type;
            }
            if (conflict is null) continue;
            var declared = conflict.ToDisplayString();
            return DiagnosticInfo.Create(Diagnostics.DiagnosticDescriptors.HiddenReferencedType,
                LocationInfo.From(conflict.Locations.FirstOrDefault(l => l.IsInSource)), declared, (conflict is INamespaceSymbol ? "namespace" : "type"), full);
        }
        return null;
    }
}
