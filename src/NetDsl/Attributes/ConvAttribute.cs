using System;

namespace NetDsl;

/// <summary>
/// A 2-D convolution on a field of type <c>TorchSharp.Modules.Conv2d</c>: <c>[N, C_in, H, W]</c> to
/// <c>[N, C_out, H_out, W_out]</c> with <c>H_out = floor((H + 2 * Padding - Kernel) / Stride) + 1</c>.
/// Parameters: <c>C_out * C_in * Kernel^2</c> (+ <c>C_out</c> biases). In a network, give the output
/// channels; in a <see cref="BlockAttribute">block</see>, leave them out: the block's <c>planes</c> apply.
/// </summary>
[AttributeUsage(AttributeTargets.Field, Inherited = false, AllowMultiple = false)]
public sealed class ConvAttribute : Attribute
{
    /// <summary>A convolution whose output channels come from the enclosing block's stage.</summary>
    public ConvAttribute() { }

    /// <summary>A convolution with a fixed number of output channels (networks).</summary>
    /// <param name="outChannels">Output channels; must be positive.</param>
    public ConvAttribute(int outChannels) => OutChannels = outChannels;

    /// <summary>Output channels; 0 when they come from the block.</summary>
    public int OutChannels { get; }

    /// <summary>Square kernel size. Default 3.</summary>
    public int Kernel { get; set; } = 3;

    /// <summary>Stride. Default 1; inside a block the strided convolution takes the block's stride instead.</summary>
    public int Stride { get; set; } = 1;

    /// <summary>Zero padding on each side. Default <c>-1</c>: "same", <c>Kernel / 2</c>.</summary>
    public int Padding { get; set; } = -1;

    /// <summary>Whether the convolution has a bias. When not set: off if a BatchNorm directly follows, on otherwise.</summary>
    public bool Bias { get; set; }

    /// <summary>In a block: this convolution takes the block's stride (instead of the first one with a kernel larger than 1).</summary>
    public bool Strided { get; set; }
}
