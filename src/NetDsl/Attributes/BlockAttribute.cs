using System;

namespace NetDsl;

/// <summary>
/// Marks a <c>partial</c> class as a reusable block (a residual unit or a plain group of layers). The
/// generator gives it a constructor that takes its sizes from the <see cref="StageAttribute"/> using it:
/// <c>(long inChannels, long planes, long stride)</c> for convolutional blocks (input <c>[N, inChannels, H, W]</c>,
/// output <c>[N, planes * Expansion, H / stride, W / stride]</c>) and <c>(long inFeatures, long width)</c>
/// for fully connected blocks (<c>[N, inFeatures]</c> to <c>[N, width * Expansion]</c>).
/// Every weight layer outputs <c>planes</c> except the last, which outputs <c>planes * Expansion</c>. The
/// block's stride goes to the first convolution with a kernel larger than 1 (torchvision's BasicBlock
/// and Bottleneck v1.5) unless a convolution is marked <see cref="ConvAttribute.Strided"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class BlockAttribute : Attribute
{
    /// <summary>Output channels divided by <c>planes</c>: 1 for BasicBlock, 4 for Bottleneck. Must be positive.</summary>
    public int Expansion { get; set; } = 1;

    /// <summary>Whether the generated <c>forward</c> has tap points (default <c>true</c>); see <see cref="NetworkAttribute.Taps"/>.</summary>
    public bool Taps { get; set; } = true;
}
