using System;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NetDsl.Inference;

/// <summary>
/// The eval-mode path of generated modules: a BatchNorm that directly follows a convolution or linear layer is folded into
/// it, so the pair costs one convolution (or matrix product) and no normalization pass. With the running statistics
/// (mean mu, variance sigma^2), BatchNorm's scale gamma and shift beta, and s = gamma / sqrt(sigma^2 + eps) per output channel,
/// <c>W' = W * s</c> and <c>b' = beta + (b - mu) * s</c> (Ioffe &amp; Szegedy 2015, section 3.1: in inference the normalization
/// is a fixed linear transform), computed in float64 and rounded to the weight's dtype.
/// <para>
/// The fold is never stale. With <see cref="CacheFolds"/> on (the default) it is computed once and reused while its inputs are
/// unchanged: each pass compares, byte for byte, the layer's weight and bias and BatchNorm's weight, bias, running mean and
/// running variance with a host copy of the values the fold was computed from, together with each tensor's identity (a
/// replaced Parameter or buffer misses), dtype and shape and BatchNorm's <c>eps</c>; any difference (<c>load_state_dict</c>, an
/// optimizer step, a training-mode pass that updated the running statistics, an in-place edit) folds anew. TorchSharp 0.107
/// has no tensor version counter, so there is no cheaper exact test. The check reads the tensors in place: on ResNet-20
/// (19 folds, 1.08 MB of inputs) it replaces 0.5-1.3 ms of element-wise operations per pass with about 0.1 ms of comparison
/// (docs/benchmarks.md, <c>fold-cost</c>). The cache holds, per folded layer, the host copy and the folded tensors
/// (about twice the pair's parameter memory).
/// </para>
/// <para>
/// The cached fold is used only when no gradient can flow into it: <c>torch.is_grad_enabled()</c> is false (<c>no_grad</c>,
/// <c>inference_mode</c>) or none of the fold's inputs requires grad. Otherwise (eval mode with gradients on and trainable
/// parameters) the fold is computed at every pass as part of the autograd graph, so gradients flow through it to the
/// convolution's and BatchNorm's parameters, and input gradients work in eval mode too. Tensors that are not on the CPU,
/// not contiguous or not floating point are folded at every pass (no host copy to compare with).
/// </para>
/// <para>
/// Cached tensors belong to the cache, never to a caller's <c>NewDisposeScope</c>; a pass receives new handles to them, so
/// passes on several threads may share one module (each entry has its own lock). A cached fold is disposed when it is
/// replaced, by <see cref="Release"/> and <see cref="ClearCache"/>, and by the finalizers of its tensors once its layer module
/// has been collected (entries are held weakly by the layer; disposing a module does not release its entries: call
/// <see cref="Release"/> on it to free that memory at once).
/// </para>
/// Generated code calls these on its untapped path (no probe attached): in eval mode, and in training mode, where a BatchNorm in
/// training mode is not folded (the pair runs as two layers) but one frozen in eval mode is. Outputs equal the unfused pair's
/// within float32 rounding (tested within 1e-5 on ResNet-20), and the cached fold equals the computed one bit for bit.
/// A unit whose layers have forward hooks or pre-hooks does not take this path (see <see cref="UntappedPath"/>): its hooks fire.
/// </summary>
public static class BatchNormFolding
{
    /// <summary>
    /// Whether generated modules fold BatchNorm in eval mode (default true). Process-wide; set it to false to run every layer
    /// through its own <c>call</c> in eval mode (their forward hooks fire; BatchNorm normalizes separately), and to keep a
    /// BatchNorm frozen in eval mode unfolded in training mode.
    /// </summary>
    public static bool Enabled { get; set; } = true;

    /// <summary>
    /// Whether the fold is cached and reused while its inputs are unchanged (default true; see the class remarks for the exact
    /// check and when the cache is bypassed). Process-wide, read at each fold. Set it to false to fold at every eval pass, as
    /// before the cache; entries already cached are kept but not used (they are checked again if it is switched back on, so they
    /// are never stale): call <see cref="ClearCache"/> to free their memory. Results are bit for bit the same either way.
    /// </summary>
    public static bool CacheFolds
    {
        get => cacheFolds;
        set => cacheFolds = value;
    }

    static volatile bool cacheFolds = true;

    /// <summary>
    /// Disposes every cached fold now, instead of when its module is collected (after a module was disposed, or to return the
    /// memory: per folded layer a host copy of its fold inputs and the folded weight and bias). Later eval passes fold anew.
    /// Thread-safe; costs one pass over the cache's entries.
    /// </summary>
    public static void ClearCache() => FoldCache.ReleaseAll();

    /// <summary>
    /// Disposes the cached folds of <paramref name="module"/> and of every module inside it, now rather than when the module is
    /// collected: call it when a module is disposed or will not be evaluated again (an evaluation that ends with the weights
    /// about to change, as in a training loop), so its cached native tensors do not outlive it. Later eval passes fold anew.
    /// Thread-safe; costs one lookup per submodule.
    /// </summary>
    /// <param name="module">Any module (generated or not); modules without cached folds are skipped.</param>
    /// <exception cref="ArgumentNullException"><paramref name="module"/> is null.</exception>
    public static void Release(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        FoldCache.Release(module);
        foreach (var (_, child) in module.named_modules()) FoldCache.Release(child);
    }

    /// <summary>A convolution followed by a BatchNorm, folded: equal to <c>bn.call(conv.call(x))</c> in eval mode within rounding.</summary>
    /// <param name="conv">The convolution (zero padding; any stride, dilation, groups; with or without bias).</param>
    /// <param name="bn">The BatchNorm over the convolution's output channels, in eval mode.</param>
    /// <param name="x">Input <c>[N, C_in, H, W]</c>.</param>
    /// <returns>Output <c>[N, C_out, H', W']</c>.</returns>
    /// <remarks>Falls back to the two layers when folding does not apply (a BatchNorm in training mode or without running statistics,
    /// padding modes other than zeros). Costs one convolution, plus the fold's check (cache hit) or the fold (a few element-wise
    /// operations on the weight: a miss, or gradients on).</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="conv"/> or <paramref name="bn"/> is null.</exception>
    public static Tensor Conv(Conv2d conv, BatchNorm2d bn, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(conv);
        ArgumentNullException.ThrowIfNull(bn);
        if (!Foldable(bn) || conv.padding_mode != PaddingModes.Zeros || conv.padding_type is not null || conv.transposed)
            return bn.call(conv.call(x));
        using var scope = NewDisposeScope();
        var (w, b) = FoldCache.Fold(conv, conv.weight!, conv.bias, bn);
        return nn.functional.conv2d(x, w, b, conv.stride, conv.padding, conv.dilation, conv.groups).MoveToOuterDisposeScope();
    }

    /// <summary>A linear layer followed by a BatchNorm1d, folded: equal to <c>bn.call(linear.call(x))</c> in eval mode within rounding.</summary>
    /// <param name="linear">The linear layer.</param>
    /// <param name="bn">The BatchNorm over its output features, in eval mode.</param>
    /// <param name="x">Input <c>[N, in_features]</c>.</param>
    /// <returns>Output <c>[N, out_features]</c>.</returns>
    /// <remarks>Falls back to the two layers when folding does not apply (a BatchNorm in training mode or without running
    /// statistics, an input that is not <c>[N, in_features]</c>). Costs as <see cref="Conv"/>, with a matrix product.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="linear"/> or <paramref name="bn"/> is null.</exception>
    public static Tensor Linear(TorchSharp.Modules.Linear linear, BatchNorm1d bn, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(linear);
        ArgumentNullException.ThrowIfNull(bn);
        if (!Foldable(bn) || x.dim() != 2) return bn.call(linear.call(x));
        using var scope = NewDisposeScope();
        var (w, b) = FoldCache.Fold(linear, linear.weight!, linear.bias, bn);
        return nn.functional.linear(x, w, b).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// A shortcut projection built as <c>Sequential(conv or linear, BatchNorm)</c>, folded; any other module is called as it is.
    /// </summary>
    /// <param name="projection">The shortcut module (generated: <c>downsample</c>).</param>
    /// <param name="x">The unit's input.</param>
    /// <returns>The projection's output.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="projection"/> is null.</exception>
    public static Tensor Projection(nn.Module<Tensor, Tensor> projection, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(projection);
        if (projection is Sequential sequential && sequential.Count == 2)
        {
            var children = sequential.children().ToArray();
            if (children[0] is Conv2d conv && children[1] is BatchNorm2d bn2) return Conv(conv, bn2, x);
            if (children[0] is TorchSharp.Modules.Linear linear && children[1] is BatchNorm1d bn1) return Linear(linear, bn1, x);
        }
        return projection.call(x);
    }

    // Enabled is read here too: the training-mode path (InPlaceTraining) calls these, and a BatchNorm frozen in eval mode
    // inside a module in training mode would fold there.
    static bool Foldable(BatchNorm bn) => Enabled && !bn.training && bn.running_mean is not null && bn.running_var is not null;

    /// <summary>W' = W * s and b' = beta + (b - mu) * s with s = gamma / sqrt(var + eps), in float64, back in the weight's dtype.</summary>
    internal static (Tensor Weight, Tensor Bias) Compute(Tensor weight, Tensor? bias, BatchNorm bn)
    {
        var dtype = weight.dtype;
        var variance = bn.running_var!.to_type(ScalarType.Float64);
        using var eps = bn.eps.ToScalar();
        var scale = (variance + eps).rsqrt();
        if (bn.weight is { } gamma) scale = scale * gamma.to_type(ScalarType.Float64);
        var shape = new long[weight.dim()];
        Array.Fill(shape, 1L);
        shape[0] = -1;
        var w = (weight.to_type(ScalarType.Float64) * scale.view(shape)).to_type(dtype);
        var shift = bias is null ? -bn.running_mean!.to_type(ScalarType.Float64) : bias.to_type(ScalarType.Float64) - bn.running_mean!.to_type(ScalarType.Float64);
        var b = shift * scale;
        if (bn.bias is { } beta) b = b + beta.to_type(ScalarType.Float64);
        return (w, b.to_type(dtype));
    }
}
