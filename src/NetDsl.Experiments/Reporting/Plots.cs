using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace NetDsl.Experiments.Reporting;

/// <summary>A line of a plot: its legend label and points (NaN points are left out), with an optional band around it.</summary>
/// <param name="Label">Legend text.</param>
/// <param name="X">x values.</param>
/// <param name="Y">y values, same length.</param>
/// <param name="Low">Lower edge of the band (the spread across seeds), same length, or null for no band.</param>
/// <param name="High">Upper edge of the band, same length, or null.</param>
public sealed record Series(string Label, double[] X, double[] Y, double[]? Low = null, double[]? High = null);

/// <summary>PNG plots for the report (ScottPlot 5): line plots 1000x500 pixels with the legend on the right, and a confusion matrix.
/// Tick labels are written in the invariant culture (ScottPlot's default formatter follows the machine's culture).</summary>
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
        plot.Axes.Bottom.TickGenerator = new NumericAutomatic { IntegerTicksOnly = integerX, LabelFormatter = Tick };
        plot.Axes.Left.TickGenerator = new NumericAutomatic { LabelFormatter = Tick };
        // Outside the data area, so that it never hides a line.
        plot.ShowLegend(Edge.Right);
        if (!drawn) return false;
        plot.SavePng(path, 1000, 500);
        return true;
    }

    /// <summary>
    /// A tick label in the invariant culture: whole or large numbers with thousands separators (<c>1,000</c>), others in the
    /// general format rounded to 10 decimals (<c>0.25</c>, <c>1E-05</c>), never <c>-0</c>.
    /// </summary>
    public static string Tick(double value)
    {
        var label = Math.Abs(value) > 1000 || Math.Round(value) == value
            ? value.ToString("N0", CultureInfo.InvariantCulture)
            : Math.Round(value, 10).ToString("G", CultureInfo.InvariantCulture);
        return label == "-0" ? "0" : label;
    }

    /// <summary>
    /// A confusion matrix as a heatmap (ScottPlot's <c>Heatmap</c> with a colour bar): row i is the true class, column j the predicted
    /// one, each cell coloured and labelled by the share of class i's images predicted as j (percent of the row), class names on both axes.
    /// </summary>
    /// <param name="path">The PNG file (820x760 pixels).</param>
    /// <param name="title">Plot title.</param>
    /// <param name="counts">Counts <c>[true class, predicted class]</c>, square, non-negative.</param>
    /// <param name="classes">One name per class (the axis labels).</param>
    /// <returns>False, writing nothing, when the matrix holds no image.</returns>
    /// <exception cref="ArgumentException"><paramref name="counts"/> is not square with one row per class.</exception>
    public static bool Confusion(string path, string title, long[,] counts, IReadOnlyList<string> classes)
    {
        var n = classes.Count;
        if (counts.GetLength(0) != n || counts.GetLength(1) != n) throw new ArgumentException($"the matrix must be {n}x{n}, one row and column per class", nameof(counts));
        var total = 0L;
        foreach (var c in counts) total += c;
        if (total == 0) return false;
        var percent = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            long row = 0;
            for (var j = 0; j < n; j++) row += counts[i, j];
            for (var j = 0; j < n; j++) percent[i, j] = row == 0 ? double.NaN : 100.0 * counts[i, j] / row;
        }
        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(percent);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.ManualRange = new ScottPlot.Range(0, 100);
        // Cell (i, j) centred on x = j, y = n - 1 - i: the first true class on top, as confusion matrices are read.
        heatmap.Rectangle = new CoordinateRect(-0.5, n - 0.5, -0.5, n - 0.5);
        var bar = plot.Add.ColorBar(heatmap);
        bar.Label = "share of the true class (%)";
        bar.Axis.TickGenerator = new NumericAutomatic { LabelFormatter = Tick };
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++)
            {
                if (counts[i, j] == 0) continue;
                var text = plot.Add.Text(percent[i, j].ToString("F0", CultureInfo.InvariantCulture), j, n - 1 - i);
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontSize = 11;
                text.LabelFontColor = percent[i, j] > 60 ? Colors.Black : Colors.White;
            }
        var positions = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.SetTicks(positions, classes.ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        plot.Axes.Bottom.MinimumSize = 110;
        plot.Axes.Left.SetTicks(positions, classes.Reverse().ToArray());
        plot.Axes.SetLimits(-0.5, n - 0.5, -0.5, n - 0.5);
        plot.Title(title);
        plot.XLabel("predicted class");
        plot.YLabel("true class");
        plot.SavePng(path, 820, 760);
        return true;
    }
}
