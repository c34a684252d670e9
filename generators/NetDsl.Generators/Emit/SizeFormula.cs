using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using NetDsl.Generators.Kinds.Layers;
using NetDsl.Generators.Model;
using NetDsl.Generators.Planning;

namespace NetDsl.Generators.Emit;

/// <summary>
/// A block's output size as a formula of its input size, for its doc comment: the spatial windows of its steps in
/// forward order (convolutions, pooling, nested stages; a pooling layer after the last weight layer runs after the
/// residual addition and counts too), written with C#'s integer division: <c>(H - 1) / stride + 1</c>.
/// </summary>
internal static class SizeFormula
{

    /// <summary>Most windows a doc formula shows; beyond it the doc points at the network's Summary.</summary>
    const int MaxWindows = 4;

    /// <summary>The output shape text of a spatial block, <c>[N, planes * 4, (H - 1) / stride + 1, (W - 1) / stride + 1]</c>, given its channel expression.</summary>
    public static string SpatialOutput(BlockSpec block, UnitSchedule schedule, string channels, System.Threading.CancellationToken ct)
    {
        var windows = new List<SizeStep>();
        bool flatten = false;
        bool shown = Collect(schedule, stride: null, windows, ref flatten, ct);
        string h = shown ? Render("H", windows) : "H'", w = shown ? Render("W", windows) : "W'";
        return flatten ? $"[N, {channels} * {Paren(h)} * {Paren(w)}]" : $"[N, {channels}, {h}, {w}]";
    }

    /// <summary>Whether the formula had to be left symbolic (too many windows): the doc then says where to look.</summary>
    public static bool Symbolic(string output) => output.Contains("H'");

    /// <summary>Adds the windows that change the size (a window keeping it, such as a 3x3 convolution with padding 1 at stride 1, is left out); false when there are more than <see cref="MaxWindows"/>.</summary>
    static bool Collect(UnitSchedule s, int? stride, List<SizeStep> windows, ref bool flatten, System.Threading.CancellationToken ct)
    {
        foreach (var step in s.Steps)
        {
            ct.ThrowIfCancellationRequested();
            if (step.Kind != StepKind.Layer) continue;
            var l = s.Layers[step.Layer];
            int? layerStride = step.Layer == s.StridedLayer ? stride : l.Stride;
            var kind = l.Kind;
            if (kind.Composite && l.Block is { Spatial: true } inner)
            {
                var innerSchedule = UnitSchedule.Build(inner.Layers.ToList(), inner.Policy, isNetwork: false);
                for (int b = 0; b < l.Blocks; b++)
                    if (!Collect(innerSchedule, b == 0 ? layerStride : 1, windows, ref flatten, ct)) return false;
            }
            else if (!kind.Composite && kind.Size(l, layerStride) is { } size)
            {
                if (size.Flattens) flatten = true;
                else if (size.ToOne)
                {
                    windows.Clear(); // whatever came before, the size is 1 now
                    windows.Add(new SizeStep(0, 1, 0, ToOne: true));
                }
                else Add(size);
            }
            if (windows.Count > MaxWindows) return false;
        }
        return true;

        void Add(SizeStep w)
        {
            if (!(w.Stride == 1 && 2 * w.Padding + 1 == w.Kernel)) windows.Add(w);
        }
    }

    static string Render(string size, List<SizeStep> windows)
    {
        string e = size;
        foreach (var w in windows)
        {
            if (w.ToOne) { e = "1"; continue; }
            int delta = 2 * w.Padding - w.Kernel;
            if (w.Stride == 1) { e = Offset(e, delta + 1); continue; }
            var inner = Offset(e, delta);
            e = $"{Paren(inner)} / {(w.Stride is { } s ? s.ToString(CultureInfo.InvariantCulture) : "stride")} + 1";
        }
        return e;
    }

    static string Offset(string e, int c) => c == 0 ? e : c > 0 ? $"{e} + {c.ToString(CultureInfo.InvariantCulture)}" : $"{e} - {(-c).ToString(CultureInfo.InvariantCulture)}";

    static string Paren(string e) => e.All(char.IsLetterOrDigit) || e.EndsWith("'", System.StringComparison.Ordinal) && e.Length == 2 ? e : "(" + e + ")";
}
