using System.Globalization;
using Microsoft.CodeAnalysis;
using NetDsl.Generators.Diagnostics;
using NetDsl.Generators.Model;

namespace NetDsl.Generators.Parsing;

/// <summary>
/// The named arguments of one policy attribute on one class or field, read with their defaults; an invalid value is reported
/// (ND0003, ND0009) as <c>GroupNorm.Groups on 'conv1'</c> and the default is used instead.
/// </summary>
internal sealed class PolicyArguments
{
    readonly AttributeData attribute;
    readonly string policy, owner;
    readonly LocationInfo? at;
    readonly System.Action<DiagnosticDescriptor, LocationInfo?, string[]> report;

    public PolicyArguments(AttributeData attribute, string policy, string owner, LocationInfo? at, System.Action<DiagnosticDescriptor, LocationInfo?, string[]> report)
    {
        this.attribute = attribute;
        this.policy = policy;
        this.owner = owner;
        this.at = at;
        this.report = report;
    }

    TypedConstant? Named(string name)
    {
        foreach (var kv in attribute.NamedArguments)
            if (kv.Key == name) return kv.Value;
        return null;
    }

    public int Int(string name, int fallback) => Named(name)?.Value is int i ? i : fallback;
    public double Double(string name, double fallback) => Named(name)?.Value switch { double d => d, float f => f, int i => i, _ => fallback };
    public bool Bool(string name, bool fallback) => Named(name)?.Value is bool b ? b : fallback;

    /// <summary>Reports that <paramref name="property"/> is <paramref name="value"/> but must be <paramref name="rule"/> (ND0003).</summary>
    public void Invalid(string property, string value, string rule) => report(DiagnosticDescriptors.InvalidValue, at, new[] { $"{policy}.{property} on '{owner}'", value, rule });

    /// <summary><c>After</c>: <c>Layer.Conv</c> (0, the default) or <c>Layer.Activation</c> (1); anything else is reported (ND0009).</summary>
    public BnAfter After()
    {
        int after = Int("After", 0);
        if (after is 0 or 1) return (BnAfter)after;
        report(DiagnosticDescriptors.UnknownEnumValue, at, new[] { $"{policy}.After on '{owner}'", after.ToString(CultureInfo.InvariantCulture), "Layer", "Conv, Activation" });
        return BnAfter.Convolution;
    }

    /// <summary><c>Eps</c>, positive and finite (default 1e-5, PyTorch's).</summary>
    public double Eps()
    {
        double eps = Double("Eps", 1e-5);
        if (!(eps > 0) || double.IsInfinity(eps)) Invalid("Eps", Show(eps), "positive and finite");
        return eps;
    }

    /// <summary>A number as messages show it (round-trip, invariant).</summary>
    public static string Show(double d) => d.ToString("R", CultureInfo.InvariantCulture);
}
