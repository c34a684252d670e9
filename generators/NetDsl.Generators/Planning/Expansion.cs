using System.Collections.Generic;
using NetDsl.Generators.Model;

namespace NetDsl.Generators.Planning;

/// <summary>
/// Counts of expanded layers (Summary rows) without walking instances: a stage counts its blocks times one block's
/// count. Counts saturate at <see cref="long.MaxValue"/> instead of overflowing. See <see cref="Limits.MaxExpandedLayers"/>.
/// </summary>
internal static class Expansion
{
    /// <summary>Rows of one instance of a block: its steps (layers, implied BatchNorms, activations), nested stages expanded, and its shortcut projection.</summary>
    public static long OfBlock(IReadOnlyList<LayerSpec> layers, Policy policy)
    {
        var schedule = UnitSchedule.Build(layers, policy, isNetwork: false);
        long count = schedule.Residual is { Shortcut: ShortcutKind.Auto or ShortcutKind.Projection } ? 2 : 0;
        foreach (var step in schedule.Steps)
        {
            if (step.Kind is StepKind.Add or StepKind.Flatten) continue;
            var l = step.Kind == StepKind.Layer ? layers[step.Layer] : null;
            count = Add(count, l is { Kind.Composite: true, Block: { } b } ? Multiply(l.Blocks, b.ExpandedLayers) : 1);
        }
        return count;
    }

    /// <summary>A count as a message shows it: <c>12,345</c>, or "more than 9,223,372,036,854,775,806" when it saturated.</summary>
    public static string Show(long count) => count == long.MaxValue
        ? "more than " + (long.MaxValue - 1).ToString("N0", System.Globalization.CultureInfo.InvariantCulture)
        : count.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>a + b, or <see cref="long.MaxValue"/> when it would overflow (both non-negative).</summary>
    public static long Add(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;

    /// <summary>a * b, or <see cref="long.MaxValue"/> when it would overflow (both non-negative).</summary>
    public static long Multiply(long a, long b) => a == 0 || b == 0 ? 0 : a > long.MaxValue / b ? long.MaxValue : a * b;
}
