using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using NetDsl.Generators.Diagnostics;
using NetDsl.Generators.Model;
using NetDsl.Generators.Parsing;

namespace NetDsl.Generators.Kinds.Layers;

/// <summary>
/// What a kind's <see cref="ILayerKind.Read"/> gets: the field, its attribute's arguments with their defaults, where to report,
/// and the policies stated on the field. Diagnostics go to the class reader's list.
/// </summary>
internal sealed class LayerRead
{
    readonly System.Action<DiagnosticDescriptor, LocationInfo?, string[]> report;

    public LayerRead(ClassReader reader, IFieldSymbol field, AttributeData? attribute, LocationInfo? at, LocationInfo? typeAt, string fieldType,
        bool inBlock, ImmutableStack<string> blockPath, NormPolicy? norm, ActivationPolicy? activation, System.Action<DiagnosticDescriptor, LocationInfo?, string[]> report)
    {
        Reader = reader;
        Field = field;
        Attribute = attribute;
        At = at;
        TypeAt = typeAt;
        FieldType = fieldType;
        InBlock = inBlock;
        BlockPath = blockPath;
        Norm = norm;
        Activation = activation;
        this.report = report;
    }

    /// <summary>The class reader (a stage reads its block through it).</summary>
    public ClassReader Reader { get; }
    /// <summary>The layer's field.</summary>
    public IFieldSymbol Field { get; }
    /// <summary>The field name, the layer's name and state_dict prefix.</summary>
    public string Name => Field.Name;
    /// <summary>The field name quoted for messages: <c>'conv1'</c>.</summary>
    public string Label => "'" + Field.Name + "'";
    /// <summary>The attribute declaring the layer (the layer attribute, or the policy attribute of an explicit layer).</summary>
    public AttributeData? Attribute { get; }
    /// <summary>Where the attribute is: most problems are reported there.</summary>
    public LocationInfo? At { get; }
    /// <summary>Where the field's type is written: wrong types are reported there.</summary>
    public LocationInfo? TypeAt { get; }
    /// <summary>The field's type, <c>TorchSharp.Modules.Conv2d</c> (generic types as their definition).</summary>
    public string FieldType { get; }
    /// <summary>The layer is in a [Block] (sizes come from the block's planes) rather than a [Network].</summary>
    public bool InBlock { get; }
    /// <summary>The blocks being read, innermost first (full names).</summary>
    public ImmutableStack<string> BlockPath { get; }
    /// <summary>The innermost block's simple name (in a block only).</summary>
    public string Block => BlockPath.Peek().Split('.').Last();
    /// <summary>The normalization policy stated on the field, or null.</summary>
    public NormPolicy? Norm { get; }
    /// <summary>The activation policy stated on the field, or null.</summary>
    public ActivationPolicy? Activation { get; }

    TypedConstant? Named(string name)
    {
        if (Attribute is null) return null;
        foreach (var kv in Attribute.NamedArguments)
            if (kv.Key == name) return kv.Value;
        return null;
    }

    /// <summary>The named argument <paramref name="name"/> as an int, or <paramref name="fallback"/>.</summary>
    public int Int(string name, int fallback) => Named(name)?.Value is int i ? i : fallback;
    /// <summary>The named argument <paramref name="name"/> as a double, or <paramref name="fallback"/>.</summary>
    public double Double(string name, double fallback) => Named(name)?.Value switch { double d => d, float f => f, int i => i, _ => fallback };
    /// <summary>The named argument <paramref name="name"/> as a bool, or <paramref name="fallback"/>.</summary>
    public bool Bool(string name, bool fallback) => Named(name)?.Value is bool b ? b : fallback;
    /// <summary>The named argument <paramref name="name"/> as a bool, or null when not stated.</summary>
    public bool? StatedBool(string name) => Named(name)?.Value is bool b ? b : null;
    /// <summary>The attribute has a positional size (<c>[Conv(64)]</c>).</summary>
    public bool HasSize => Attribute is { ConstructorArguments.Length: 1 };
    /// <summary>The positional size, or 0.</summary>
    public int Size => HasSize && Attribute!.ConstructorArguments[0].Value is int s ? s : 0;

    /// <summary>Reports <paramref name="d"/> at the attribute.</summary>
    public void Report(DiagnosticDescriptor d, params string[] args) => report(d, At, args);
    /// <summary>Reports <paramref name="d"/> at the field's type.</summary>
    public void ReportAtType(DiagnosticDescriptor d, params string[] args) => report(d, TypeAt, args);
    /// <summary>Reports that <paramref name="what"/> is <paramref name="value"/> but must be <paramref name="rule"/> (ND0003), at the attribute.</summary>
    public void Invalid(string what, int value, string rule) => Report(DiagnosticDescriptors.InvalidValue, what, value.ToString(CultureInfo.InvariantCulture), rule);

    /// <summary>
    /// A weight layer's size: stated in a network (ND0017 when missing, ND0003 when not positive), taken from the planes in a
    /// block (ND0016 when stated); <paramref name="example"/> shows the missing size (<c>[Conv(64, Kernel = 3)]</c>).
    /// </summary>
    public int WeightSize(string example)
    {
        int size = Size;
        if (InBlock && HasSize) Report(DiagnosticDescriptors.FixedSizeInBlock, Name, Block, size.ToString(CultureInfo.InvariantCulture));
        else if (!InBlock && !HasSize) Report(DiagnosticDescriptors.MissingSize, Name, Field.ContainingType.Name, example);
        else if (HasSize && size <= 0) Invalid($"The size of {Label}", size, "positive");
        return size;
    }

    /// <summary>"between 1 and 1,024": the range of kernels, strides and paddings (<see cref="Limits.MaxWindow"/>).</summary>
    public static string Between(int low) => $"between {low} and {Limits.MaxWindow.ToString("N0", CultureInfo.InvariantCulture)}";
}
