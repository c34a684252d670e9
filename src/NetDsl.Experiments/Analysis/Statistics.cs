using System;
using System.Collections.Generic;
using System.Linq;
using MathNet.Numerics.Distributions;

namespace NetDsl.Experiments.Analysis;

/// <summary>
/// Mean, sample standard deviation and a two-sided confidence interval of the mean from n independent runs (seeds):
/// mean ± t_{1-α/2, n-1} · sd / sqrt(n) (Student 1908). With one run, the spread and interval are undefined (NaN).
/// </summary>
/// <param name="N">Runs with a finite value.</param>
/// <param name="Mean">Their mean.</param>
/// <param name="Sd">Sample standard deviation (n - 1 in the denominator); NaN for n &lt; 2.</param>
/// <param name="Low">Lower end of the interval; NaN for n &lt; 2.</param>
/// <param name="High">Upper end of the interval; NaN for n &lt; 2.</param>
public sealed record Summary(int N, double Mean, double Sd, double Low, double High)
{
    /// <summary>Half the width of the interval (NaN for n &lt; 2).</summary>
    public double HalfWidth => (High - Low) / 2;
}

/// <summary>
/// The difference of two means with Welch's interval (Welch 1947): d = mean_a - mean_b, se = sqrt(s_a²/n_a + s_b²/n_b),
/// df from the Welch-Satterthwaite equation, interval d ± t_{1-α/2, df} · se.
/// </summary>
/// <param name="Difference">mean_a - mean_b.</param>
/// <param name="Low">Lower end; NaN when either side has fewer than two runs.</param>
/// <param name="High">Upper end; NaN when either side has fewer than two runs.</param>
/// <param name="DegreesOfFreedom">Welch-Satterthwaite degrees of freedom; NaN when either side has fewer than two runs.</param>
/// <param name="Na">Runs of a.</param>
/// <param name="Nb">Runs of b.</param>
public sealed record WelchDifference(double Difference, double Low, double High, double DegreesOfFreedom, int Na, int Nb)
{
    /// <summary>True when the interval exists and excludes 0: the two means are distinguishable at this level.</summary>
    public bool Distinguishable => double.IsFinite(Low) && double.IsFinite(High) && (Low > 0 || High < 0);
}

/// <summary>Confidence intervals over seeds: Student t for one mean, Welch for a difference of two.</summary>
public static class Statistics
{
    /// <summary>The confidence level of every interval the tool reports: 95%.</summary>
    public const double Level = 0.95;

    /// <summary>The quantile t_p of Student's t distribution with <paramref name="degreesOfFreedom"/> (may be fractional, as Welch's df is).</summary>
    /// <param name="p">Probability in (0, 1): 0.975 for a two-sided 95% interval.</param>
    /// <param name="degreesOfFreedom">Positive degrees of freedom.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> outside (0, 1) or degrees of freedom not positive.</exception>
    public static double TQuantile(double p, double degreesOfFreedom)
    {
        if (!(p > 0 && p < 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "must be in (0, 1)");
        if (!(degreesOfFreedom > 0)) throw new ArgumentOutOfRangeException(nameof(degreesOfFreedom), degreesOfFreedom, "must be positive");
        return StudentT.InvCDF(0, 1, degreesOfFreedom, p);
    }

    /// <summary>Mean, sd and the <see cref="Level"/> interval of the finite values in <paramref name="values"/> (NaN and infinities are left out).</summary>
    public static Summary Summarize(IEnumerable<double> values)
    {
        var a = values.Where(double.IsFinite).ToArray();
        if (a.Length == 0) return new Summary(0, double.NaN, double.NaN, double.NaN, double.NaN);
        var mean = a.Average();
        if (a.Length < 2) return new Summary(1, mean, double.NaN, double.NaN, double.NaN);
        var sd = Math.Sqrt(a.Sum(x => (x - mean) * (x - mean)) / (a.Length - 1));
        var half = TQuantile(0.5 + Level / 2, a.Length - 1) * sd / Math.Sqrt(a.Length);
        return new Summary(a.Length, mean, sd, mean - half, mean + half);
    }

    /// <summary>Welch-Satterthwaite degrees of freedom of two samples with variances <paramref name="va"/>, <paramref name="vb"/> and sizes
    /// <paramref name="na"/>, <paramref name="nb"/> (both at least 2): (va/na + vb/nb)² / ((va/na)²/(na-1) + (vb/nb)²/(nb-1)).
    /// When both variances are 0 it returns na + nb - 2 (the pooled df; the interval then has zero width).</summary>
    public static double WelchDegreesOfFreedom(double va, int na, double vb, int nb)
    {
        double a = va / na, b = vb / nb;
        var denominator = a * a / (na - 1) + b * b / (nb - 1);
        return denominator > 0 ? (a + b) * (a + b) / denominator : na + nb - 2;
    }

    /// <summary>mean(a) - mean(b) with Welch's <see cref="Level"/> interval, over the finite values of each side.</summary>
    public static WelchDifference Welch(IEnumerable<double> a, IEnumerable<double> b)
    {
        Summary sa = Summarize(a), sb = Summarize(b);
        var d = sa.Mean - sb.Mean;
        if (sa.N < 2 || sb.N < 2) return new WelchDifference(d, double.NaN, double.NaN, double.NaN, sa.N, sb.N);
        double va = sa.Sd * sa.Sd, vb = sb.Sd * sb.Sd;
        var se = Math.Sqrt(va / sa.N + vb / sb.N);
        var df = WelchDegreesOfFreedom(va, sa.N, vb, sb.N);
        var half = TQuantile(0.5 + Level / 2, df) * se;
        return new WelchDifference(d, d - half, d + half, df, sa.N, sb.N);
    }
}
