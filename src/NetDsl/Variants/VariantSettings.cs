using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace NetDsl;

/// <summary>
/// The typed value of every axis of a <see cref="VariantsAttribute">variant matrix</see> for one variant, as the generated
/// registry <c>Net.Variants.All</c> sets it (<see cref="VariantInfo.Axes"/>): the enum values themselves, so code selects
/// variants with <c>v.Axes.BatchNorm == BatchNormVariant.None</c> rather than by comparing text. A property is null when its
/// axis is not in the matrix (the variant keeps the declaration's setting).
/// </summary>
/// <remarks>
/// <see cref="ToStrings"/> is the one place that spells the settings as text (<see cref="VariantInfo.Settings"/>, results.json,
/// reports); <see cref="Parse"/> reads that text back. The two are inverse for every value (tested).
/// </remarks>
public sealed record VariantSettings
{
    /// <summary>Typed settings; leave out (null) the axes the matrix does not have. The generated registry calls this with named arguments
    /// (<c>new VariantSettings(residual: false, batchNorm: BatchNormVariant.None)</c>), which compiles at C# 7.3 as generated code must.</summary>
    /// <param name="residual">See <see cref="Residual"/>.</param>
    /// <param name="batchNorm">See <see cref="BatchNorm"/>.</param>
    /// <param name="normalization">See <see cref="Normalization"/>.</param>
    /// <param name="order">See <see cref="Order"/>.</param>
    /// <param name="activation">See <see cref="Activation"/>.</param>
    /// <param name="depth">See <see cref="Depth"/>.</param>
    /// <param name="init">See <see cref="Init"/>.</param>
    public VariantSettings(bool? residual = null, BatchNormVariant? batchNorm = null, NormalizationVariant? normalization = null, UnitOrder? order = null,
        Nonlinearity? activation = null, int? depth = null, Init? init = null) =>
        (Residual, BatchNorm, Normalization, Order, Activation, Depth, Init) = (residual, batchNorm, normalization, order, activation, depth, init);

    /// <summary>Settings of a variant whose matrix has no axes (every property null): a network without [Variants], a hand-written module.</summary>
    public static VariantSettings None { get; } = new();

    /// <summary>The <see cref="VariantsAttribute.Residual"/> axis: residual connections on (<c>true</c>) or plain blocks (<c>false</c>). Text: <c>on</c>, <c>off</c>.</summary>
    public bool? Residual { get; init; }

    /// <summary>The <see cref="VariantsAttribute.BatchNorm"/> axis: where BatchNorm goes, or none. Text: <c>BnAfterConv</c>, <c>BnAfterActivation</c>, <c>NoBn</c> (the names in the variant's name).</summary>
    public BatchNormVariant? BatchNorm { get; init; }

    /// <summary>The <see cref="VariantsAttribute.Normalization"/> axis: the normalization kind. Text: the member name (<c>BatchNorm</c>, <c>GroupNorm</c>, ...), <c>NoNorm</c> for none.</summary>
    public NormalizationVariant? Normalization { get; init; }

    /// <summary>The <see cref="VariantsAttribute.Init"/> axis: the initialization family's scheme. Text: the member name (<c>HeFanIn</c>, <c>Fixup</c>, ...).</summary>
    public Init? Init { get; init; }

    /// <summary>The <see cref="VariantsAttribute.Order"/> axis: the residual unit's order (He et al. 2016, Fig. 4). Text: the member name (<c>Original</c>, <c>FullPreActivation</c>, ...),
    /// not the short name in the variant's name (<c>PostAct</c>, <c>PreAct</c>, ...).</summary>
    public UnitOrder? Order { get; init; }

    /// <summary>The <see cref="VariantsAttribute.Activation"/> axis: the non-linearity. Text: the member name (<c>ReLU</c>, <c>Sigmoid</c>, ...).</summary>
    public Nonlinearity? Activation { get; init; }

    /// <summary>The <see cref="VariantsAttribute.Depth"/> axis: blocks per stage (1 or more). Text: the number, culture-invariant (<c>3</c>).</summary>
    public int? Depth { get; init; }

    /// <summary>The axes' names, in the order <see cref="ToStrings"/> lists them (the order of the generated registry).</summary>
    public static IReadOnlyList<string> AxisNames { get; } =
        [nameof(Residual), nameof(BatchNorm), nameof(Normalization), nameof(Order), nameof(Init), nameof(Activation), nameof(Depth)];

    static readonly string[] BatchNormNames = ["BnAfterConv", "BnAfterActivation", "NoBn"];
    static readonly string[] NormalizationNames = Enum.GetNames<NormalizationVariant>().Select(n => n == nameof(NormalizationVariant.None) ? "NoNorm" : n).ToArray();

    /// <summary>
    /// The settings as text, axis name to value, for the axes that are set, in the order of <see cref="AxisNames"/>:
    /// <c>{ ["Residual"] = "off", ["BatchNorm"] = "NoBn" }</c>. This is <see cref="VariantInfo.Settings"/> of a generated variant
    /// and what results.json stores.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An enum property holds a value that is not one of its members, or <see cref="Depth"/> is below 1.</exception>
    public IReadOnlyDictionary<string, string> ToStrings()
    {
        var text = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Residual is { } r) text[nameof(Residual)] = r ? "on" : "off";
        if (BatchNorm is { } b) text[nameof(BatchNorm)] = Name(BatchNormNames, (int)b, nameof(BatchNorm), b.ToString());
        if (Normalization is { } n) text[nameof(Normalization)] = Name(NormalizationNames, (int)n, nameof(Normalization), n.ToString());
        if (Order is { } o) text[nameof(Order)] = Defined(o, nameof(Order)).ToString();
        if (Init is { } i) text[nameof(Init)] = Defined(i, nameof(Init)).ToString();
        if (Activation is { } a) text[nameof(Activation)] = Defined(a, nameof(Activation)).ToString();
        if (Depth is { } d)
            text[nameof(Depth)] = d >= 1 ? d.ToString(CultureInfo.InvariantCulture) : throw new ArgumentOutOfRangeException(nameof(Depth), d, "Depth is the number of blocks per stage: 1 or more");
        return text;
    }

    /// <summary>
    /// Reads settings written by <see cref="ToStrings"/> (results.json, a plan, <see cref="VariantInfo.Settings"/> of a hand-built variant).
    /// Entries whose key is not one of <see cref="AxisNames"/> are descriptive settings of a hand-written variant and stay out of the
    /// typed view; axis names and values are matched exactly (ordinal, case-sensitive), as <see cref="ToStrings"/> writes them.
    /// </summary>
    /// <param name="settings">Axis name to value.</param>
    /// <returns>The typed settings; <see cref="None"/> when no key is an axis.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="settings"/> is null.</exception>
    /// <exception cref="FormatException">An axis has a value that is not one of its values; the message names the axis, the value and the accepted values.</exception>
    public static VariantSettings Parse(IReadOnlyDictionary<string, string> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var result = None;
        foreach (var (axis, value) in settings)
        {
            result = axis switch
            {
                nameof(Residual) => result with { Residual = value switch { "on" => true, "off" => false, _ => throw Bad(axis, value, ["on", "off"]) } },
                nameof(BatchNorm) => result with { BatchNorm = (BatchNormVariant)Index(BatchNormNames, axis, value) },
                nameof(Normalization) => result with { Normalization = (NormalizationVariant)Index(NormalizationNames, axis, value) },
                nameof(Init) => result with { Init = Member<Init>(axis, value) },
                nameof(Order) => result with { Order = Member<UnitOrder>(axis, value) },
                nameof(Activation) => result with { Activation = Member<Nonlinearity>(axis, value) },
                nameof(Depth) => result with
                {
                    Depth = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var d) && d >= 1
                        ? d : throw new FormatException($"the variant setting Depth = '{value}' is not a number of blocks per stage; write a whole number from 1 up, digits only (Depth = 3)"),
                },
                _ => result,
            };
        }
        return result;
    }

    static string Name(string[] names, int value, string axis, string shown) =>
        value >= 0 && value < names.Length ? names[value] : throw new ArgumentOutOfRangeException(axis, shown, $"not a member of the {axis} axis's enum");

    static T Defined<T>(T value, string axis) where T : struct, Enum =>
        Enum.IsDefined(value) ? value : throw new ArgumentOutOfRangeException(axis, value, $"not a member of {typeof(T).Name}");

    static int Index(string[] names, string axis, string value)
    {
        int i = Array.IndexOf(names, value);
        return i >= 0 ? i : throw Bad(axis, value, names);
    }

    static T Member<T>(string axis, string value) where T : struct, Enum
    {
        var names = Enum.GetNames<T>();
        return names.Contains(value, StringComparer.Ordinal) ? Enum.Parse<T>(value) : throw Bad(axis, value, names);
    }

    static FormatException Bad(string axis, string value, IEnumerable<string> accepted) =>
        new($"the variant setting {axis} = '{value}' is not one of the {axis} axis's values; use one of {string.Join(", ", accepted)}");
}
