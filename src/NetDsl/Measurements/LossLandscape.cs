using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace NetDsl.Measurements;

/// <summary>
/// Loss-landscape slices of Li et al. 2018, "Visualizing the Loss Landscape of Neural Nets" (NeurIPS),
/// section 4: the loss along filter-normalized random directions around the trained weights.
/// </summary>
public static class LossLandscape
{
    /// <summary>
    /// A random direction d with the shape of every parameter, filter-normalized (Li et al. 2018, section 4,
    /// eq. 1): for each filter j of a weight tensor (its slice along dimension 0: one output channel of a
    /// convolution, one output row of a linear layer) d_j &lt;- d_j / ||d_j|| * ||theta_j||. Parameters with
    /// fewer than two dimensions (biases, BatchNorm scale and shift) get zeros, as in the paper.
    /// </summary>
    /// <param name="module">The network whose parameters theta the direction follows.</param>
    /// <param name="generator">Random source (entries of d start as standard normal); null uses the global one.</param>
    /// <returns>One tensor per parameter, in <c>named_parameters()</c> order, same shapes.</returns>
    public static List<Tensor> FilterNormalizedDirection(nn.Module module, Generator? generator = null)
    {
        var direction = new List<Tensor>();
        using var _ = no_grad();
        foreach (var (_, p) in module.named_parameters())
        {
            if (p.dim() < 2)
            {
                direction.Add(zeros_like(p));
                continue;
            }
            using var scope = NewDisposeScope();
            var d = randn(p.shape, dtype: p.dtype, device: p.device, generator: generator);
            var dims = Enumerable.Range(1, (int)p.dim() - 1).Select(i => (long)i).ToArray();
            var dNorm = d.square().sum(dims, keepdim: true).sqrt();
            var pNorm = p.detach().square().sum(dims, keepdim: true).sqrt();
            using var epsilon = 1e-10.ToScalar(); // kept alive through the native call (see NetDsl.Native.Scalars)
            direction.Add((d / dNorm.add(epsilon) * pNorm).MoveToOuterDisposeScope());
        }
        return direction;
    }

    /// <summary>
    /// 1-D slice: L(theta + alpha d) for each alpha (Li et al. 2018, section 4; the paper plots alpha in
    /// [-1, 1]). The module is put in eval mode for the evaluations; weights, buffers and mode are restored
    /// exactly afterwards. Cost: one loss evaluation (forward passes, no backward) per alpha.
    /// </summary>
    /// <param name="module">The network; its parameters are moved temporarily.</param>
    /// <param name="loss">Computes the scalar loss over a fixed evaluation set (no augmentation), e.g. mean cross-entropy.</param>
    /// <param name="direction">d, from <see cref="FilterNormalizedDirection"/> (same order and shapes as the parameters).</param>
    /// <param name="alphas">Step sizes along d.</param>
    /// <returns>The loss at each alpha.</returns>
    /// <exception cref="ArgumentException">The direction does not match the parameters.</exception>
    public static double[] Slice1D(nn.Module module, Func<Tensor> loss, IReadOnlyList<Tensor> direction, IReadOnlyList<double> alphas)
    {
        var ps = ModelState.Parameters(module);
        Check(ps, direction, nameof(direction));
        using var state = new ModelState(module);
        var origin = ps.Select(p => p.Parameter.detach().clone()).ToList();
        module.eval();
        try
        {
            return alphas.Select(a =>
            {
                Move(ps, origin, (direction, a));
                return Evaluate(loss);
            }).ToArray();
        }
        finally
        {
            foreach (var o in origin) o.Dispose();
        }
    }

    /// <summary>
    /// 2-D slice: L(theta + alpha d1 + beta d2) on the grid alphas x betas (Li et al. 2018, section 4; 51 x 51
    /// points on [-1, 1]^2 in the paper). Restores the module exactly. Cost: one loss evaluation per grid point.
    /// </summary>
    /// <param name="module">The network.</param>
    /// <param name="loss">Computes the scalar loss over a fixed evaluation set.</param>
    /// <param name="d1">First direction.</param>
    /// <param name="d2">Second direction.</param>
    /// <param name="alphas">Steps along d1 (rows).</param>
    /// <param name="betas">Steps along d2 (columns).</param>
    /// <returns>Losses, <c>[alphas, betas]</c>.</returns>
    /// <exception cref="ArgumentException">A direction does not match the parameters.</exception>
    public static double[,] Slice2D(nn.Module module, Func<Tensor> loss, IReadOnlyList<Tensor> d1, IReadOnlyList<Tensor> d2, IReadOnlyList<double> alphas, IReadOnlyList<double> betas)
    {
        var ps = ModelState.Parameters(module);
        Check(ps, d1, nameof(d1));
        Check(ps, d2, nameof(d2));
        using var state = new ModelState(module);
        var origin = ps.Select(p => p.Parameter.detach().clone()).ToList();
        module.eval();
        var result = new double[alphas.Count, betas.Count];
        try
        {
            for (int i = 0; i < alphas.Count; i++)
                for (int j = 0; j < betas.Count; j++)
                {
                    Move(ps, origin, (d1, alphas[i]), (d2, betas[j]));
                    result[i, j] = Evaluate(loss);
                }
        }
        finally
        {
            foreach (var o in origin) o.Dispose();
        }
        return result;
    }

    static void Check(IReadOnlyList<(string Name, TorchSharp.Modules.Parameter Parameter)> ps, IReadOnlyList<Tensor> d, string name)
    {
        if (d.Count != ps.Count) throw new ArgumentException($"the direction has {d.Count} tensors but the module has {ps.Count} parameters", name);
        for (int i = 0; i < d.Count; i++)
            if (!d[i].shape.SequenceEqual(ps[i].Parameter.shape))
                throw new ArgumentException($"direction tensor {i} has shape [{string.Join(", ", d[i].shape)}] but '{ps[i].Name}' has [{string.Join(", ", ps[i].Parameter.shape)}]", name);
    }

    static void Move(IReadOnlyList<(string Name, TorchSharp.Modules.Parameter Parameter)> ps, List<Tensor> origin, params (IReadOnlyList<Tensor> D, double Step)[] moves)
    {
        using var _ = no_grad();
        for (int i = 0; i < ps.Count; i++)
        {
            using var scope = NewDisposeScope();
            var w = origin[i].clone();
            foreach (var (d, step) in moves)
            {
                using var alpha = step.ToScalar(); // kept alive through the native call (see NetDsl.Native.Scalars)
                w.add_(d[i], alpha: alpha);
            }
            ps[i].Parameter.copy_(w);
        }
    }

    static double Evaluate(Func<Tensor> loss)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        return loss().to_type(ScalarType.Float64).item<double>();
    }
}
