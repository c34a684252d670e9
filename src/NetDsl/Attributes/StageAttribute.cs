using System;

namespace NetDsl;

/// <summary>
/// A stage: a <see cref="BlockAttribute">block</see> type repeated <see cref="Blocks"/> times, on a field of
/// type <c>TorchSharp.Modules.ModuleList&lt;TBlock&gt;</c> (state_dict names <c>layer1.0.conv1.weight</c>, ...).
/// The first block takes the stage's <see cref="Stride"/> and the change of channels; the others keep the
/// shape. Output: <c>[N, Channels * Expansion, H / Stride, W / Stride]</c> (or <c>[N, Channels * Expansion]</c>
/// for fully connected blocks).
/// </summary>
[AttributeUsage(AttributeTargets.Field, Inherited = false, AllowMultiple = false)]
public sealed class StageAttribute : Attribute
{
    /// <summary>Number of blocks; must be positive. Default 1.</summary>
    public int Blocks { get; set; } = 1;

    /// <summary>The blocks' <c>planes</c> (channels, or features for fully connected blocks). Must be positive; inside a block, 0 takes the enclosing block's.</summary>
    public int Channels { get; set; }

    /// <summary>Stride of the first block. Default 1; must be 1 for fully connected blocks.</summary>
    public int Stride { get; set; } = 1;
}
