using System;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NetDsl.Measurements;

/// <summary>
/// The shattered-gradients measurements of Balduzzi et al. 2017, "The Shattered Gradients Problem: If
/// resnets are the answer, then what is the question?" (ICML), section 2 and Fig. 1-2: the gradient of
/// a scalar network f: R -> R at inputs on a grid, and how correlated neighbouring gradients are.
/// </summary>
public static class ShatteredGradients
{
    /// <summary>The paper's grid: <paramref name="count"/> inputs evenly spaced on [<paramref name="low"/>, <paramref name="high"/>), x_i = low + i (high - low) / count.</summary>
    /// <param name="count">M, the number of inputs (256 in the paper); positive.</param>
    /// <param name="low">Left end, included (-2).</param>
    /// <param name="high">Right end, excluded (2).</param>
    /// <returns>The grid, <c>[M]</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is not positive or the interval is empty.</exception>
    public static double[] Grid(int count = 256, double low = -2, double high = 2)
    {
        if (count <= 0) throw new ArgumentOutOfRangeException(nameof(count), count, "the grid needs at least one point");
        if (!(high > low)) throw new ArgumentOutOfRangeException(nameof(high), high, "the interval [low, high) is empty");
        return Enumerable.Range(0, count).Select(i => low + i * (high - low) / count).ToArray();
    }

    /// <summary>
    /// g_i = df/dx at every grid input, for a network with input <c>[N, 1]</c> and output <c>[N, 1]</c>.
    /// BatchNorm makes a per-input derivative meaningful only once its statistics are fixed: this runs one
    /// training-mode pass over the whole grid to set every BatchNorm's running statistics to the grid's
    /// batch statistics (momentum temporarily 1), then differentiates in eval mode, one backward pass for
    /// all inputs. Without normalization, plain rectifier nets with small biases do not shatter (Balduzzi et
    /// al. use BatchNorm), so say which normalization you used when you report these numbers. The module's
    /// weights, running statistics and mode are restored afterwards. The inputs take the dtype and device of
    /// the module's first floating-point parameter (float32 on the CPU for a module without parameters), so a
    /// float64 module is differentiated in float64.
    /// Cost: one forward pass (grid statistics), one forward and one backward pass.
    /// </summary>
    /// <param name="module">f: <c>[N, 1]</c> to <c>[N, 1]</c>.</param>
    /// <param name="grid">The inputs x_i, <c>[M]</c>; the paper's by default (<see cref="Grid"/>).</param>
    /// <returns>g, <c>[M]</c>.</returns>
    /// <exception cref="ArgumentException">The module's output is not <c>[M, 1]</c>.</exception>
    public static double[] InputGradients(nn.Module<Tensor, Tensor> module, double[]? grid = null)
    {
        grid ??= Grid();
        using var state = new ModelState(module);
        using var scope = NewDisposeScope();
        var norms = module.modules().OfType<NormBase>().ToList();
        var momenta = norms.Select(n => n.momentum).ToList();
        try
        {
            foreach (var n in norms) { n.reset_running_stats(); n.momentum = 1.0; }
            var (dtype, device) = ModelState.InputType(module);
            var x = tensor(grid, dtype, device).reshape(grid.Length, 1);
            module.train();
            using (no_grad()) module.call(x);
            module.eval();
            var input = x.detach().requires_grad_(true);
            var y = module.call(input);
            if (y.shape.Length != 2 || y.shape[0] != grid.Length || y.shape[1] != 1)
                throw new ArgumentException($"expected an output of shape [{grid.Length}, 1], got [{string.Join(", ", y.shape)}]", nameof(module));
            // In eval mode samples are independent, so the gradient of the sum is every df/dx_i at once.
            var g = autograd.grad(new[] { y.sum() }, new[] { input })[0];
            return g.reshape(-1).to(ScalarType.Float64, CPU).data<double>().ToArray();
        }
        finally
        {
            for (int i = 0; i < norms.Count; i++) norms[i].momentum = momenta[i];
        }
    }

    /// <summary>
    /// The autocorrelation of a sequence at lags 0..<paramref name="maxLag"/> (Balduzzi et al. 2017, Fig. 2):
    /// ACF(k) = sum_{i=1..M-k} (g_i - mean)(g_{i+k} - mean) / sum_{i=1..M} (g_i - mean)^2, so ACF(0) = 1.
    /// White noise has ACF(k) near 0 for k &gt; 0 (within about 2 / sqrt(M)); smooth functions stay near 1.
    /// </summary>
    /// <param name="g">The sequence, length M &gt;= 2, not constant.</param>
    /// <param name="maxLag">The largest lag, 0 &lt;= maxLag &lt; M.</param>
    /// <returns>ACF(0..maxLag), dimensionless.</returns>
    /// <exception cref="ArgumentException">Fewer than two values, a constant sequence, or a lag out of range.</exception>
    public static double[] Autocorrelation(double[] g, int maxLag)
    {
        ArgumentNullException.ThrowIfNull(g);
        if (g.Length < 2) throw new ArgumentException("the autocorrelation needs at least two values", nameof(g));
        if (maxLag < 0 || maxLag >= g.Length) throw new ArgumentException($"maxLag must be between 0 and {g.Length - 1}", nameof(maxLag));
        double mean = g.Average();
        double denominator = g.Sum(v => (v - mean) * (v - mean));
        if (denominator == 0) throw new ArgumentException("a constant sequence has no autocorrelation (zero variance)", nameof(g));
        var acf = new double[maxLag + 1];
        for (int k = 0; k <= maxLag; k++)
        {
            double sum = 0;
            for (int i = 0; i + k < g.Length; i++) sum += (g[i] - mean) * (g[i + k] - mean);
            acf[k] = sum / denominator;
        }
        return acf;
    }

    /// <summary>
    /// The covariance matrix of gradients across inputs (Balduzzi et al. 2017, Fig. 1, second row), estimated
    /// over repetitions (independent initializations): C_ij = mean_r (g_ri - mean_r g_ri)(g_rj - mean_r g_rj).
    /// </summary>
    /// <param name="samples">R repetitions of the gradients at M inputs, <c>[R][M]</c>, R &gt;= 1, equal lengths.</param>
    /// <returns>C, <c>[M, M]</c> (population covariance, divided by R).</returns>
    /// <exception cref="ArgumentException">No samples, or samples of different lengths.</exception>
    public static double[,] Covariance(double[][] samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Length == 0) throw new ArgumentException("need at least one repetition", nameof(samples));
        int m = samples[0].Length;
        if (samples.Any(s => s.Length != m)) throw new ArgumentException("every repetition must have the same number of inputs", nameof(samples));
        var mean = Enumerable.Range(0, m).Select(i => samples.Average(s => s[i])).ToArray();
        var c = new double[m, m];
        foreach (var s in samples)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < m; j++)
                    c[i, j] += (s[i] - mean[i]) * (s[j] - mean[j]) / samples.Length;
        return c;
    }
}
