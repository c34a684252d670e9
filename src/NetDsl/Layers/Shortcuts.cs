using System;
using TorchSharp;
using static TorchSharp.torch;

namespace NetDsl;

/// <summary>Parameter-free residual shortcuts used by generated blocks.</summary>
public static class Shortcuts
{
    /// <summary>
    /// He et al. 2015 (section 4.2, option A), the shortcut of their CIFAR-10 ResNets: subsample the
    /// spatial dimensions by <paramref name="stride"/> (<c>x[:, :, ::stride, ::stride]</c>) and pad the
    /// channel dimension with zeros up to <paramref name="outChannels"/>, half before and half after
    /// (the odd one after). For a vector input <c>[N, F]</c> only the features are padded.
    /// </summary>
    /// <param name="x">Input <c>[N, C, H, W]</c> or <c>[N, F]</c>.</param>
    /// <param name="stride">Spatial subsampling factor; must be 1 for vector input.</param>
    /// <param name="outChannels">Channels (or features) of the result; at least the input's.</param>
    /// <returns><c>[N, outChannels, ceil(H / stride), ceil(W / stride)]</c> or <c>[N, outChannels]</c>.</returns>
    /// <exception cref="ArgumentException">The input has fewer than 2 dimensions, more channels than <paramref name="outChannels"/>, or a stride other than 1 on a vector.</exception>
    public static Tensor ZeroPad(Tensor x, long stride, long outChannels)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.dim() != 2 && x.dim() != 4) throw new ArgumentException($"expected [N, C, H, W] or [N, F], got {x.dim()} dimensions", nameof(x));
        long missing = outChannels - x.shape[1];
        if (missing < 0) throw new ArgumentException($"cannot zero-pad {x.shape[1]} channels down to {outChannels}", nameof(outChannels));
        if (x.dim() == 2 && stride != 1) throw new ArgumentException("a vector input cannot be subsampled", nameof(stride));
        long before = missing / 2, after = missing - before;
        if (x.dim() == 2) return nn.functional.pad(x, new[] { before, after });
        var step = TensorIndex.Slice(null, null, stride);
        using var subsampled = stride == 1 ? x.alias() : x[TensorIndex.Colon, TensorIndex.Colon, step, step];
        return nn.functional.pad(subsampled, new[] { 0L, 0L, 0L, 0L, before, after });
    }
}
