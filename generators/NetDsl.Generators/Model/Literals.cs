using System.Globalization;

namespace NetDsl.Generators.Model;

/// <summary>Values as generated C# and Python write them (culture-invariant, round-trip).</summary>
internal static class Literals
{
    /// <summary>The namespace of TorchSharp's module types, as Roslyn displays a field type.</summary>
    public const string Modules = "TorchSharp.Modules.";

    /// <summary><c>true</c> or <c>false</c>.</summary>
    public static string CSharp(bool b) => b ? "true" : "false";

    /// <summary>A C# double literal as a person writes it: <c>0.1</c>, <c>1e-5</c>, <c>2.0</c>.</summary>
    public static string CSharp(double d)
    {
        if (double.IsNaN(d)) return "double.NaN";
        if (double.IsInfinity(d)) return d > 0 ? "double.PositiveInfinity" : "double.NegativeInfinity";
        var s = d.ToString("R", CultureInfo.InvariantCulture);
        int e = s.IndexOf('E');
        if (e >= 0) return s.Substring(0, e) + "e" + int.Parse(s.Substring(e + 1), CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);
        return s.Contains(".") ? s : s + ".0";
    }

    /// <summary><c>True</c> or <c>False</c>.</summary>
    public static string Python(bool b) => b ? "True" : "False";

    /// <summary>A Python float literal: <c>0.1</c>, <c>1e-5</c>, <c>float("nan")</c>.</summary>
    public static string Python(double d) =>
        double.IsNaN(d) ? "float(\"nan\")" : double.IsInfinity(d) ? (d > 0 ? "float(\"inf\")" : "-float(\"inf\")") : CSharp(d);
}
