using System.Collections.Generic;
using System.Linq;
using ScottPlot;

namespace NetDsl.Cli.Reporting;

/// <summary>A line of a plot: its legend label and points (NaN points are left out), with an optional band around it.</summary>
/// <param name="Label">Legend text.</param>
/// <param name="X">x values.</param>
/// <param name="Y">y values, same length.</param>
/// <param name="Low">Lower edge of the band (the spread across seeds), same length, or null for no band.</param>
/// <param name="High">Upper edge of the band, same length, or null.</param>
public sealed record Series(string Label, double[] X, double[] Y, double[]? Low = null, double[]? High = null);

/// <summary>PNG line plots for the report (ScottPlot 5), 1000x500 pixels, legend on the right.</summary>
public static class Plots
{
    /// <summary>Writes a line plot with one line per series (and its band, when it has one) and a legend, to <paramref name="path"/>.</summary>
    /// <param name="path">The PNG file.</param>
    /// <param name="title">Plot title.</param>
    /// <param name="xLabel">x-axis label, with units.</param>
    /// <param name="yLabel">y-axis label, with units.</param>
    /// <param name="series">The lines.</param>
    /// <param name="markers">Draw a marker at each point (only for lines of at most 60 points).</param>
    /// <param name="integerX">x takes whole numbers only (epochs, layer indices): no ticks between them.</param>
    /// <returns>False, writing nothing, when no series has a finite point.</returns>
    public static bool Lines(string path, string title, string xLabel, string yLabel, IEnumerable<Series> series, bool markers = true, bool integerX = false)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var i = 0;
        var drawn = false;
        foreach (var s in series)
        {
            var points = s.X.Zip(s.Y).Where(p => double.IsFinite(p.First) && double.IsFinite(p.Second)).ToArray();
            if (points.Length == 0) { i++; continue; }
            drawn = true;
            var color = palette.GetColor(i);
            if (s.Low is not null && s.High is not null)
            {
                // The band where both edges are finite (one seed gives none: its sd is undefined).
                var band = s.X.Select((x, k) => (x, lo: s.Low[k], hi: s.High[k])).Where(b => double.IsFinite(b.x) && double.IsFinite(b.lo) && double.IsFinite(b.hi)).ToArray();
                if (band.Length > 1)
                {
                    var fill = plot.Add.FillY(band.Select(b => b.x).ToArray(), band.Select(b => b.lo).ToArray(), band.Select(b => b.hi).ToArray());
                    fill.FillColor = color.WithAlpha(0.2);
                    fill.LineColor = Colors.Transparent;
                }
            }
            var line = plot.Add.Scatter(points.Select(p => p.First).ToArray(), points.Select(p => p.Second).ToArray(), palette.GetColor(i++));
            line.LegendText = s.Label;
            line.LineWidth = 2;
            line.MarkerSize = markers && points.Length <= 60 ? 5 : 0;
        }
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        if (integerX) plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        // Outside the data area, so that it never hides a line.
        plot.ShowLegend(Edge.Right);
        if (!drawn) return false;
        plot.SavePng(path, 1000, 500);
        return true;
    }
}
