using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace NetDsl.Generators.Diagnostics;

/// <summary>
/// Every diagnostic NetDsl reports, with a stable ID. docs/diagnostics.md has a bad example and the
/// fix for each; keep the two in step (a test checks that every ID here is documented there).
/// </summary>
internal static class DiagnosticDescriptors
{
    const string Category = "NetDsl";

    static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor NotPartial = Error("ND0001",
        "Network class must be partial",
        "'{0}' must be declared 'partial' so NetDsl can generate its constructor and forward pass; add the 'partial' modifier");

    public static readonly DiagnosticDescriptor MissingInput = Error("ND0002",
        "Input shape unknown",
        "'{0}' needs an input shape to infer layer sizes; add [Input(features)] or [Input(channels, height, width)] to the class");

    public static readonly DiagnosticDescriptor NonPositiveSize = Error("ND0003",
        "Size must be positive",
        "{0} is {1}; sizes must be positive integers");

    public static readonly DiagnosticDescriptor WrongFieldType = Error("ND0004",
        "Field type does not match the layer",
        "Field '{0}' is declared as '{1}' but [{2}] builds a '{3}'; change the field type to '{3}'");

    public static readonly DiagnosticDescriptor UnsupportedContainer = Error("ND0005",
        "Network class must be a non-generic top-level class",
        "'{0}' is {1}; declare networks as non-generic classes directly in a namespace");

    public static readonly DiagnosticDescriptor NoLayers = Error("ND0006",
        "Network has no layers",
        "'{0}' declares no layer fields; annotate fields with layer attributes such as [Linear(10)]");

    public static readonly DiagnosticDescriptor LinearAfterSpatialMap = Error("ND0007",
        "Linear layer after a spatial map",
        "[Linear] '{0}' receives a {1} map but needs a feature vector; flatten or pool first, or declare [Input(features)]");

    public static readonly DiagnosticDescriptor InvalidInputRank = Error("ND0008",
        "Input shape has the wrong number of sizes",
        "[Input] has {0} size(s); give one (features) for vectors or three (channels, height, width) for images");

    public static readonly DiagnosticDescriptor UnknownActivation = Error("ND0009",
        "Unknown activation",
        "[Activation] on '{0}' has the value {1}, which is not a Nonlinearity; use one of None, ReLU, LeakyReLU, Sigmoid, Tanh, GELU");

    public static readonly IReadOnlyList<DiagnosticDescriptor> All = new[]
    {
        NotPartial, MissingInput, NonPositiveSize, WrongFieldType, UnsupportedContainer, NoLayers, LinearAfterSpatialMap, InvalidInputRank,
        UnknownActivation,
    };

    static readonly Dictionary<string, DiagnosticDescriptor> ByIdMap = All.ToDictionary(d => d.Id);

    public static DiagnosticDescriptor ById(string id) => ByIdMap[id];
}
