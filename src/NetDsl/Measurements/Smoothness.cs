using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace NetDsl.Measurements;

/// <summary>What <see cref="Smoothness.Probe"/> measured at one training step.</summary>
/// <param name="Etas">The step sizes eta.</param>
/// <param name="Losses">L(w - eta g) for each eta.</param>
/// <param name="LossVariation">max - min of <paramref name="Losses"/> ("loss landscape", Santurkar et al. Fig. 4a).</param>
/// <param name="GradientChanges">||grad L(w - eta g) - g|| for each eta ("gradient predictiveness", Fig. 4b; smaller is more predictive).</param>
/// <param name="EffectiveBetaSmoothness">max over eta of ||grad L(w - eta g) - g|| / ||eta g|| (Fig. 4c).</param>
/// <param name="GradientNorm">||g||, the full gradient at w.</param>
public sealed record SmoothnessRecord(double[] Etas, double[] Losses, double LossVariation, double[] GradientChanges, double EffectiveBetaSmoothness, double GradientNorm);

/// <summary>
/// The loss-landscape probes of Santurkar et al. 2018, "How Does Batch Normalization Help Optimization?"
/// (NeurIPS), section 3.1 and Fig. 4: at the weights w of a training step with gradient g (over all
/// parameters, on the current batch), move along -g by several step sizes eta (their VGG runs use [0.5, 4]
/// times the learning rate) and measure how much the loss and the gradient change.
/// </summary>
public static class Smoothness
{
    /// <summary>
    /// Runs the probe. Uses the same batch throughout (<paramref name="loss"/> must compute it the same way
    /// each call), never touches an optimizer (so its state is unchanged and it does not advance), and leaves
    /// the module exactly as found: weights, BatchNorm running statistics, training mode, and parameters'
    /// <c>.grad</c> (gradients are taken with <c>autograd.grad</c>). The module stays in its current mode for
    /// the evaluations (training mode, as in the paper). Cost: (1 + count of etas) forward and backward passes.
    /// </summary>
    /// <param name="module">The network.</param>
    /// <param name="loss">Computes the scalar training loss on the current batch.</param>
    /// <param name="etas">Step sizes, each positive.</param>
    /// <returns>The record.</returns>
    /// <exception cref="ArgumentException">No step sizes, or a step size that is not positive.</exception>
    public static SmoothnessRecord Probe(nn.Module module, Func<Tensor> loss, IReadOnlyList<double> etas)
    {
        if (etas.Count == 0 || etas.Any(e => !(e > 0))) throw new ArgumentException("give at least one positive step size", nameof(etas));
        var ps = ModelState.Parameters(module).Select(p => p.Parameter).ToList();
        using var state = new ModelState(module);
        using var scope = NewDisposeScope();
        var (l0, g) = LossAndGradient(ps, loss);
        var w = ps.Select(p => p.detach().clone()).ToList();
        double gNorm = Norm(g);
        var losses = new double[etas.Count];
        var changes = new double[etas.Count];
        double beta = 0;
        for (int k = 0; k < etas.Count; k++)
        {
            using (no_grad())
            using (var step = (-etas[k]).ToScalar()) // a Scalar kept alive through the native calls (see NetDsl.Native.Scalars)
                for (int i = 0; i < ps.Count; i++) ps[i].copy_(w[i].add(g[i], alpha: step));
            // In training mode the loss uses batch statistics, so the running statistics each evaluation moves do
            // not change the next one; ModelState puts them back at the end.
            var (lk, gk) = LossAndGradient(ps, loss);
            losses[k] = lk;
            changes[k] = Norm(gk.Zip(g, (a, b) => a - b).ToList());
            beta = Math.Max(beta, changes[k] / (etas[k] * gNorm));
        }
        return new SmoothnessRecord(etas.ToArray(), losses, losses.Max() - losses.Min(), changes, beta, gNorm);
    }

    internal static (double Loss, List<Tensor> Gradient) LossAndGradient(IReadOnlyList<TorchSharp.Modules.Parameter> ps, Func<Tensor> loss)
    {
        var l = loss();
        var grads = autograd.grad(new[] { l }, ps.Cast<Tensor>().ToList(), allow_unused: true);
        // A parameter the loss does not use has no gradient: TorchSharp returns an empty handle (or null) for it.
        var g = grads.Select((t, i) => t is null || t.IsInvalid ? zeros_like(ps[i]) : t.detach()).ToList();
        return (l.to_type(ScalarType.Float64).item<double>(), g);
    }

    internal static double Norm(IEnumerable<Tensor> tensors) =>
        Math.Sqrt(tensors.Sum(t => t.to_type(ScalarType.Float64).square().sum().item<double>()));
}
