using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NetDsl.Measurements;

/// <summary>Internal covariate shift of one layer at one step: how much its gradient changes when only the earlier layers take their update.</summary>
/// <param name="Layer">The layer's parameter name (<c>layer1.0.conv1.weight</c>).</param>
/// <param name="L2Distance">||G - G'||.</param>
/// <param name="Cosine">cos(G, G') = G . G' / (||G|| ||G'||); 1 when unchanged (NaN when a gradient is zero).</param>
public sealed record CovariateShiftRecord(string Layer, double L2Distance, double Cosine);

/// <summary>
/// Internal covariate shift as Santurkar et al. 2018 define it (section 3.2, Definition 2.1): for layer i
/// at step t, G = the gradient of the loss with respect to W_i at the current weights, and G' = the same
/// gradient on the same batch after applying this step's update to layers 1..i-1 only. Their finding:
/// BatchNorm does not reduce this shift (it can increase it).
/// </summary>
public static class CovariateShift
{
    /// <summary>
    /// Measures the shift of every layer in <paramref name="layers"/> (in forward order), for a plain SGD
    /// update W_j &lt;- W_j - lr G_j. Leaves the module exactly as found (weights, running statistics, mode,
    /// <c>.grad</c>). Cost: 1 + count of layers forward and backward passes.
    /// </summary>
    /// <param name="module">The network.</param>
    /// <param name="loss">Computes the scalar loss on the current batch.</param>
    /// <param name="layers">Names of the weight parameters W_1..W_L, in forward order (for example every <c>.weight</c> of a conv or linear layer).</param>
    /// <param name="learningRate">lr, positive.</param>
    /// <returns>One record per layer; layer 1's shift is zero by definition (nothing precedes it).</returns>
    /// <exception cref="ArgumentException">An unknown parameter name, or a learning rate that is not positive.</exception>
    public static List<CovariateShiftRecord> Measure(nn.Module module, Func<Tensor> loss, IReadOnlyList<string> layers, double learningRate)
    {
        if (!(learningRate > 0)) throw new ArgumentException("the learning rate must be positive", nameof(learningRate));
        var all = ModelState.Parameters(module).ToDictionary(p => p.Name, p => p.Parameter);
        var unknown = layers.FirstOrDefault(n => !all.ContainsKey(n));
        if (unknown is not null) throw new ArgumentException($"'{unknown}' is not a parameter of the module; names come from named_parameters()", nameof(layers));
        var ws = layers.Select(n => all[n]).ToList();
        using var state = new ModelState(module);
        using var scope = NewDisposeScope();
        var (_, g) = Smoothness.LossAndGradient(ws, loss);
        var original = ws.Select(w => w.detach().clone()).ToList();
        var result = new List<CovariateShiftRecord>();
        using var step = (-learningRate).ToScalar(); // kept alive through the native calls (see NetDsl.Native.Scalars)
        for (int i = 0; i < ws.Count; i++)
        {
            using (no_grad())
                for (int j = 0; j < ws.Count; j++)
                    ws[j].copy_(j < i ? original[j].add(g[j], alpha: step) : original[j]);
            var (_, shifted) = Smoothness.LossAndGradient(new[] { ws[i] }, loss);
            double distance = Smoothness.Norm(new[] { shifted[0] - g[i] });
            double dot = (shifted[0].to_type(ScalarType.Float64) * g[i].to_type(ScalarType.Float64)).sum().item<double>();
            double cosine = dot / (Smoothness.Norm(new[] { shifted[0] }) * Smoothness.Norm(new[] { g[i] }));
            result.Add(new CovariateShiftRecord(layers[i], distance, cosine));
        }
        return result;
    }
}
