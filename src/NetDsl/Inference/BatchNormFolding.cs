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
/// is a fixed linear transform). The fold is computed in float64 from the current parameters and buffers at every eval
/// forward pass, so it is never stale (after <c>load_state_dict</c>, an optimizer step or a change of running statistics);
/// its cost is a few element-wise operations on the weights (ResNet-20: 19 folds of at most 36,864 weights each).
/// Generated code calls these only in eval mode with no probe attached; outputs equal the unfused pair's within float32
/// rounding (tested within 1e-5 on ResNet-20). Gradients flow through the fold, so input gradients work in eval mode too.
/// The folded layers' forward hooks do not fire on this path: set <see cref="Enabled"/> to false to keep them.
/// </summary>
public static class BatchNormFolding
{
    /// <summary>
    /// Whether generated modules fold BatchNorm in eval mode (default true). Process-wide; set it to false to run every layer
    /// through its own <c>call</c> in eval mode (their forward hooks fire; BatchNorm normalizes separately).
    /// </summary>
    public static bool Enabled { get; set; } = true;

    /// <summary>A convolution followed by a BatchNorm, folded: equal to <c>bn.call(conv.call(x))</c> in eval mode within rounding.</summary>
    /// <param name="conv">The convolution (zero padding; any stride, dilation, groups; with or without bias).</param>
    /// <param name="bn">The BatchNorm over the convolution's output channels, in eval mode.</param>
    /// <param name="x">Input <c>[N, C_in, H, W]</c>.</param>
    /// <returns>Output <c>[N, C_out, H', W']</c>.</returns>
    /// <remarks>Falls back to the two layers when folding does not apply (a BatchNorm in training mode or without running statistics, padding modes other than zeros).</remarks>
    public static Tensor Conv(Conv2d conv, BatchNorm2d bn, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(conv);
        ArgumentNullException.ThrowIfNull(bn);
        if (!Foldable(bn) || conv.padding_mode != PaddingModes.Zeros || conv.padding_type is not null || conv.transposed)
            return bn.call(conv.call(x));
        using var scope = NewDisposeScope();
        var (w, b) = Fold(conv.weight!, conv.bias, bn);
        return nn.functional.conv2d(x, w, b, conv.stride, conv.padding, conv.dilation, conv.groups).MoveToOuterDisposeScope();
    }

    /// <summary>A linear layer followed by a BatchNorm1d, folded: equal to <c>bn.call(linear.call(x))</c> in eval mode within rounding.</summary>
    /// <param name="linear">The linear layer.</param>
    /// <param name="bn">The BatchNorm over its output features, in eval mode.</param>
    /// <param name="x">Input <c>[N, in_features]</c>.</param>
    /// <returns>Output <c>[N, out_features]</c>.</returns>
    public static Tensor Linear(TorchSharp.Modules.Linear linear, BatchNorm1d bn, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(linear);
        ArgumentNullException.ThrowIfNull(bn);
        if (!Foldable(bn) || x.dim() != 2) return bn.call(linear.call(x));
        using var scope = NewDisposeScope();
        var (w, b) = Fold(linear.weight!, linear.bias, bn);
        return nn.functional.linear(x, w, b).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// A shortcut projection built as <c>Sequential(conv or linear, BatchNorm)</c>, folded; any other module is called as it is.
    /// </summary>
    /// <param name="projection">The shortcut module (generated: <c>downsample</c>).</param>
    /// <param name="x">The unit's input.</param>
    /// <returns>The projection's output.</returns>
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

    static bool Foldable(BatchNorm bn) => !bn.training && bn.running_mean is not null && bn.running_var is not null;

    /// <summary>W' = W * s and b' = beta + (b - mu) * s with s = gamma / sqrt(var + eps), in float64, back in the weight's dtype.</summary>
    static (Tensor Weight, Tensor Bias) Fold(Tensor weight, Tensor? bias, BatchNorm bn)
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
