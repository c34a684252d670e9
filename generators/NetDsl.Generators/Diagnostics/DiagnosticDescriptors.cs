using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace NetDsl.Generators.Diagnostics;

/// <summary>
/// Every diagnostic NetDsl reports, with a stable ID. docs/diagnostics.md has a bad example and the
/// fix for each, and AnalyzerReleases.Unshipped.md tracks them; tests check all three agree.
/// </summary>
internal static class DiagnosticDescriptors
{
    const string Category = "NetDsl";

    static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor NotPartial = Error("ND0001",
        "Class must be partial",
        "'{0}' must be declared 'partial' so NetDsl can generate its constructor and forward pass; add the 'partial' modifier");

    public static readonly DiagnosticDescriptor MissingInput = Error("ND0002",
        "Input shape unknown",
        "'{0}' needs an input shape to infer layer sizes; add [Input(features)] or [Input(channels, height, width)] to the class");

    public static readonly DiagnosticDescriptor InvalidValue = Error("ND0003",
        "Invalid size or setting",
        "{0} is {1}, but it must be {2}");

    public static readonly DiagnosticDescriptor WrongFieldType = Error("ND0004",
        "Field type does not match the layer",
        "Field '{0}' is declared as '{1}' but [{2}] builds a '{3}'; change the field type to '{3}'");

    public static readonly DiagnosticDescriptor UnsupportedContainer = Error("ND0005",
        "Class must be a non-generic top-level class",
        "'{0}' is {1}; declare networks and blocks as non-generic classes directly in a namespace");

    public static readonly DiagnosticDescriptor NoLayers = Error("ND0006",
        "No layers",
        "'{0}' declares no {1}; annotate fields with layer attributes such as {2}");

    public static readonly DiagnosticDescriptor LinearAfterSpatialMap = Error("ND0007",
        "Linear layer after a spatial map",
        "[Linear] '{0}' receives a [{1}] map but needs a feature vector; add [Flatten] or [GlobalAvgPool] before it, or declare a feature input");

    public static readonly DiagnosticDescriptor InvalidInputRank = Error("ND0008",
        "Input shape has the wrong number of sizes",
        "[Input] has {0} size(s); give one (features) for vectors or three (channels, height, width) for images");

    public static readonly DiagnosticDescriptor UnknownEnumValue = Error("ND0009",
        "Unknown setting value",
        "{0} has the value {1}, which is not a defined {2}; use one of {3}");

    public static readonly DiagnosticDescriptor EmptyOutput = Error("ND0010",
        "Layer output would be empty",
        "'{0}' maps a [{1}] input to an empty output: its window ({2}) is larger than the padded input ({3}); use a smaller kernel, more padding, fewer downsampling layers, or a larger input");

    public static readonly DiagnosticDescriptor StageTypeNotBlock = Error("ND0011",
        "Stage repeats a type that is not a block",
        "Stage '{0}' repeats '{1}', which is not a [Block]; mark '{1}' with [Block] or use a block type");

    public static readonly DiagnosticDescriptor BlockCycle = Error("ND0012",
        "Block contains itself",
        "Block '{0}' contains itself through stage '{1}' ({2}); a block cannot be nested in itself");

    public static readonly DiagnosticDescriptor ResidualCannotAdd = Error("ND0013",
        "Residual branch and shortcut cannot be added",
        "In '{0}', block '{1}': the branch gives [{2}] but the {3} shortcut gives [{4}], which cannot be added; {5}");

    public static readonly DiagnosticDescriptor ConflictingPolicies = Error("ND0014",
        "Conflicting policies",
        "{0}; {1}");

    public static readonly DiagnosticDescriptor NeedsSpatialMap = Error("ND0015",
        "Layer needs a spatial map",
        "'{0}' ({1}) needs a [channels, height, width] map but receives a feature vector [{2}]; move it before the flatten or use [Input(channels, height, width)]");

    public static readonly DiagnosticDescriptor FixedSizeInBlock = Error("ND0016",
        "Block layer has a fixed size",
        "'{0}' in block '{1}' has a fixed size ({2}); layers in a block take their size from the stage using it: remove the size");

    public static readonly DiagnosticDescriptor MissingSize = Error("ND0017",
        "Network layer needs a size",
        "'{0}' in network '{1}' has no size; give it one, for example {2}");

    public static readonly DiagnosticDescriptor ImpliedNameClash = Error("ND0018",
        "Generated name clashes with a member",
        "NetDsl generates '{0}' ({1}) in '{2}', but the class already has a member with that name; rename or remove the member");

    public static readonly DiagnosticDescriptor BlockMixesKinds = Error("ND0019",
        "Block mixes convolutional and fully connected layers",
        "Block '{0}' has both convolutional/pooling layers and [Linear] layers; a block is either convolutional or fully connected");

    public static readonly DiagnosticDescriptor ResidualOnNetwork = Error("ND0020",
        "Residual on a network",
        "[Residual] on network '{0}' has no effect: residual connections belong to blocks; put [Residual] on the block class");

    public static readonly DiagnosticDescriptor MultipleLayerAttributes = Error("ND0021",
        "Field has more than one layer attribute",
        "Field '{0}' has more than one layer attribute ({1}); keep one per field");

    public static readonly DiagnosticDescriptor MisplacedPolicy = Error("ND0022",
        "Policy attribute on a field that is not a layer",
        "[{0}] on field '{1}' needs a layer attribute on the same field (such as [Conv] or [Linear]), or a field of type {2}");

    public static readonly DiagnosticDescriptor UserConstructor = Error("ND0023",
        "Class declares a constructor",
        "'{0}' declares a constructor, but NetDsl generates it; remove the constructor (initialize other state in field initializers)");

    public static readonly DiagnosticDescriptor StrideOnVectorBlock = Error("ND0024",
        "Stride on a fully connected block",
        "Stage '{0}' has Stride = {1}, but '{2}' is a fully connected block; remove the stride");

    public static readonly DiagnosticDescriptor UnannotatedModule = Error("ND0025",
        "Module field without a layer attribute",
        "Field '{0}' of type '{1}' has no NetDsl attribute, so it would not be part of the network; add {2}, or make it static or a property if it is not a layer");

    public static readonly DiagnosticDescriptor NotAnInstanceField = Error("ND0026",
        "Layer on a static field or a property",
        "'{0}' is {1}, but layers are instance fields (each module owns its layers); declare it as an instance field");

    public static readonly DiagnosticDescriptor SkippedVariants = new("ND0027",
        "Variant combinations skipped",
        "'{0}': these combinations of the variant matrix mean nothing and are not generated: {1}",
        Category, DiagnosticSeverity.Info, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor EmptyMatrix = Error("ND0028",
        "Empty variant matrix",
        "[Variants]: {0}; {1}");

    public static readonly DiagnosticDescriptor DuplicateVariant = Error("ND0029",
        "Duplicate variant",
        "[Variants]: the {0} axis lists {1} twice, which would make two identical variants; list each value once");

    public static readonly DiagnosticDescriptor VariantsOnBlock = Error("ND0030",
        "Variants on a block",
        "[Variants] on '{0}' has no effect: a variant matrix fans out a network; put it on the [Network] class that uses the block");

    public static readonly DiagnosticDescriptor LayersInSeveralParts = Error("ND0031",
        "Layer fields in several partial declarations",
        "'{0}' declares layer fields in {1} partial declarations ({2}); C# defines no order across partial declarations, so the forward order would be arbitrary: move all layer fields into one declaration");

    public static readonly DiagnosticDescriptor EvenKernelSamePadding = Error("ND0032",
        "Even kernel with \"same\" padding",
        "'{0}' has an even kernel ({1}) and the default \"same\" padding (kernel / 2 on each side), which cannot keep the size: it grows every side by one; set Padding explicitly (Padding = {2} shrinks by one, Padding = {3} grows by one) or use an odd kernel");

    public static readonly DiagnosticDescriptor TooManyLayers = Error("ND0033",
        "Too many layers",
        "{0} expands to {1} layers (its Summary rows: every layer, implied BatchNorm, activation and shortcut projection of every block instance), but NetDsl generates at most {2} per type; {3}");

    public static readonly DiagnosticDescriptor TooManyVariants = Error("ND0034",
        "Variant matrix too large",
        "[Variants]: {0}, but NetDsl generates at most {1}; {2}");

    public static readonly DiagnosticDescriptor ClassNamedLikeMember = Error("ND0035",
        "Class named like a generated member",
        "'{0}' is named like a member NetDsl generates in it ({1}), and C# forbids a member named like its class; rename the class");

    public static readonly DiagnosticDescriptor LanguageVersionTooLow = Error("ND0036",
        "C# version too old for NetDsl",
        "NetDsl's generated code needs C# {0} or later, but this project compiles with C# {1}; set <LangVersion> to {0} or later, or remove it to use the SDK's default");

    public static readonly DiagnosticDescriptor HiddenReferencedType = Error("ND0037",
        "Project declares a type NetDsl uses",
        "The project declares the {1} '{0}', which takes the place of '{2}' that NetDsl's generated code uses (from TorchSharp, NetDsl or .NET); rename it or move it to another namespace");

    public static readonly DiagnosticDescriptor HiddenByRegistry = Error("ND0038",
        "Variant registry hides a type the class names",
        "'{0}' has [Variants], so NetDsl generates the nested class '{0}.Variants', which inside '{0}' hides the type '{1}' written here; rename '{1}' or write it qualified ({2})");

    public static readonly DiagnosticDescriptor BlockFromAnotherAssembly = Error("ND0039",
        "Stage repeats a block from another assembly",
        "Stage '{0}' repeats the block '{1}' from the assembly '{2}'; NetDsl builds a block from its source, in the project that declares it, so declare the block in this project (or build the whole network in '{2}')");

    public static readonly DiagnosticDescriptor BlockWithoutNetworkPolicy = new("ND0040",
        "Block runs without the network's BatchNorm or activation",
        "Block '{0}' states no {1}, so in '{2}' it runs without (a block type is generated once, from its own attributes), while the variants of a [Variants] matrix give it the network's; declare {3} on '{0}' to have it in both",
        Category, DiagnosticSeverity.Info, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor NormCannotRun = Error("ND0041",
        "Normalization cannot run on the layer's shape",
        "{0} cannot run: {1}");

    public static readonly DiagnosticDescriptor BlockWithoutInitScalars = Error("ND0042",
        "Block lacks the scalars of the network's Init",
        "'{0}' uses Init.{1}, which adds scalars to every residual block, but block '{2}' of stage '{3}' does not state [Init(Init.{1})]; declare it on '{2}' (its type is generated once, from its own attributes), or compare initializations with [Variants(Init = ...)]");

    public static readonly DiagnosticDescriptor InternalError = new("ND0999",
        "NetDsl generator failure",
        "NetDsl could not process '{0}': {1}; please report this with the declaration",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly IReadOnlyList<DiagnosticDescriptor> All = new[]
    {
        NotPartial, MissingInput, InvalidValue, WrongFieldType, UnsupportedContainer, NoLayers, LinearAfterSpatialMap,
        InvalidInputRank, UnknownEnumValue, EmptyOutput, StageTypeNotBlock, BlockCycle, ResidualCannotAdd,
        ConflictingPolicies, NeedsSpatialMap, FixedSizeInBlock, MissingSize, ImpliedNameClash, BlockMixesKinds,
        ResidualOnNetwork, MultipleLayerAttributes, MisplacedPolicy, UserConstructor, StrideOnVectorBlock, UnannotatedModule, NotAnInstanceField, SkippedVariants, EmptyMatrix, DuplicateVariant, VariantsOnBlock,
        LayersInSeveralParts, EvenKernelSamePadding, TooManyLayers, TooManyVariants, ClassNamedLikeMember, LanguageVersionTooLow, HiddenReferencedType, HiddenByRegistry, BlockFromAnotherAssembly, BlockWithoutNetworkPolicy, NormCannotRun, BlockWithoutInitScalars, InternalError,
    };

    static readonly Dictionary<string, DiagnosticDescriptor> ByIdMap = All.ToDictionary(d => d.Id);

    public static DiagnosticDescriptor ById(string id) => ByIdMap[id];
}
