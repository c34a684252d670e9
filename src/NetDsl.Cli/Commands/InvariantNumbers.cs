using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Linq;

namespace NetDsl.Cli.Commands;

/// <summary>
/// Number options read the same on every machine. System.CommandLine parses numbers in the current culture, so under
/// <c>LANG=de_DE.UTF-8</c> <c>--lr 0.05</c> became 5 and <c>--momentum 0.9</c> 9. This gives every integer and floating-point
/// option of a command tree an invariant-culture parser: <c>.</c> is the decimal point, no group separators, <c>-</c> the sign,
/// exponents allowed (<c>1e-4</c>).
/// </summary>
public static class InvariantNumbers
{
    /// <summary>Sets an invariant parser on every <c>int</c>, <c>int?</c>, <c>int[]</c>, <c>double</c>, <c>double?</c> and
    /// <c>double[]</c> option of <paramref name="command"/> and its subcommands that has no parser of its own.</summary>
    public static void Apply(Command command)
    {
        foreach (var option in command.Options)
        {
            switch (option)
            {
                case Option<double> o: o.CustomParser ??= r => One(r, Double) ?? 0; break;
                case Option<double?> o: o.CustomParser ??= r => One(r, Double); break;
                case Option<double[]> o: o.CustomParser ??= r => Many(r, Double); break;
                case Option<int> o: o.CustomParser ??= r => One(r, Int) ?? 0; break;
                case Option<int?> o: o.CustomParser ??= r => One(r, Int); break;
                case Option<int[]> o: o.CustomParser ??= r => Many(r, Int); break;
            }
        }
        foreach (var sub in command.Subcommands) Apply(sub);
    }

    static double? Double(string token) =>
        double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null;

    static int? Int(string token) =>
        int.TryParse(token, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;

    static string Kind<T>() => typeof(T) == typeof(int)
        ? "a whole number (up to 2,147,483,647)"
        : "a number (with . as the decimal point: 0.05, 1e-4)";

    /// <summary>The value of the option's last token (System.CommandLine's rule for a repeated single-value option), or null after
    /// recording the parse error.</summary>
    static T? One<T>(ArgumentResult result, System.Func<string, T?> parse) where T : struct
    {
        var token = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (parse(token) is { } value) return value;
        Fail<T>(result, token);
        return null;
    }

    static T[] Many<T>(ArgumentResult result, System.Func<string, T?> parse) where T : struct
    {
        var values = result.Tokens.Select(t => (t.Value, Parsed: parse(t.Value))).ToList();
        var bad = values.FirstOrDefault(v => v.Parsed is null);
        if (bad.Value is not null)
        {
            Fail<T>(result, bad.Value);
            return [];
        }
        return values.Select(v => v.Parsed!.Value).ToArray();
    }

    static void Fail<T>(ArgumentResult result, string token)
    {
        var name = result.Parent is OptionResult o ? o.Option.Name : result.Argument.Name;
        result.AddError($"Cannot parse argument '{token}' for option '{name}' as {Kind<T>()}");
    }
}
