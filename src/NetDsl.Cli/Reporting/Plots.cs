using System.Collections.Generic;
using System.Linq;
using ScottPlot;

namespace NetDsl.Cli.Reporting;

/// <summary>A line of a plot: its legend label and points (NaN points are left out).</summary>
/// <param name="Label">Legend text.</param>
/// <param name="X">x values.</param>
/// <param name="Y">y values, same length.</param>
public sealed record Series(string Label, double[] X, double[] Y);

/// <summary>PNG line plots for the report (ScottPlot 5), 900x500 pixels.</summary>
public static class Plots
{
    /// <summary>Writes a line plot with one line per series and a legend, to <paramref name="path"/>.</summary>
    public static void Lines(string path, string title, string xLabel, string yLabel, IEnumerable<Series> series, bool markers = true)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var i = 0;
        foreach (var s in series)
        {
            var points = s.X.Zip(s.Y).Where(p => double.IsFinite(p.First) && double.IsFinite(p.Second)).ToArray();
            if (points.Length == 0) { i++; continue; }
            var line = plot.Add.Scatter(points.Select(p => p.First).ToArray(), points.Select(p => p.Second).ToArray(), palette.GetColor(i++));
            line.LegendText = s.Label;
            line.LineWidth = 2;
            line.MarkerSize = markers && points.Length <= 60 ? 5 : 0;
        }
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, 900, 500);
    }
}
