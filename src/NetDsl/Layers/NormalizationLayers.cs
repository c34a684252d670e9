using System;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NetDsl;

/// <summary>Normalization layers for generated code, built the way PyTorch builds them.</summary>
public static class NormalizationLayers
{
    /// <summary>
    /// <c>nn.GroupNorm(groups, channels, eps)</c> (Wu &amp; He 2018) with PyTorch's initialization: scale 1 and shift 0 per
    /// channel. TorchSharp 0.107's <c>GroupNorm</c> leaves both uninitialized (<c>torch.empty</c>: values such as 1e-30 or
    /// NaN, seen 2026-11-30), so every generated GroupNorm, and LayerNorm on maps, is built here.
    /// </summary>
    /// <param name="groups">Groups G, at least 1.</param>
    /// <param name="channels">Channels C of the input <c>[N, C, *]</c>, a multiple of <paramref name="groups"/>.</param>
    /// <param name="eps">Added to the variance, positive.</param>
    /// <returns>The module; its <c>weight</c> and <c>bias</c> are <c>[C]</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="groups"/> or <paramref name="channels"/> is not positive, or <paramref name="eps"/> is not positive.</exception>
    /// <exception cref="ArgumentException"><paramref name="channels"/> is not a multiple of <paramref name="groups"/>.</exception>
    public static GroupNorm GroupNorm(long groups, long channels, double eps = 1e-5)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(groups);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "eps must be positive");
        if (channels % groups != 0) throw new ArgumentException($"{channels} channels cannot be split into {groups} groups: use a group count that divides the channels", nameof(groups));
        var module = nn.GroupNorm(groups, channels, eps);
        using (no_grad())
        {
            nn.init.ones_(module.weight!);
            nn.init.zeros_(module.bias!);
        }
        return module;
    }
}
