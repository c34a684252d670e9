namespace NetDsl.Generators.Model;

/// <summary>
/// Every bound on the generator's work, in one place (docs/diagnostics.md, ND0003, ND0033, ND0034 quote them). The
/// generator runs on every keystroke: no declaration may make it walk, emit or hold more than these allow.
/// </summary>
internal static class Limits
{
    /// <summary>Blocks in one stage (ND0003); also the largest value of a Depth axis.</summary>
    public const int MaxBlocks = 10_000;

    /// <summary>
    /// Expanded layers per generated type (ND0033): the rows of its compile-time Summary, that is every module call of
    /// the network with every block instance expanded (each layer, implied BatchNorm and activation, shortcut
    /// projection). For a block on its own, one instance with its shortcut projection counted. This also bounds the PyTorch
    /// source (<c>Emit/PyTorchEmitter.cs</c>): a few lines per step of each distinct unit, and every unit appears in the expansion.
    /// </summary>
    public const int MaxExpandedLayers = 10_000;

    /// <summary>Variants of one [Variants] matrix (ND0034).</summary>
    public const int MaxVariants = 128;

    /// <summary>Expanded layers summed over all the variants of one matrix (ND0034).</summary>
    public const int MaxMatrixLayers = 50_000;

    /// <summary>
    /// Kernels, strides and paddings of convolutions and pooling, and stage strides (ND0003). LibTorch multiplies them in
    /// 32 bits in places: a stride of 46,341 (whose square passes 2^31) crashed the process in a convolution's backward
    /// pass (found by the fuzzer). Real networks use single digits.
    /// </summary>
    public const int MaxWindow = 1024;

    /// <summary>GroupNorm's groups (ND0003); real networks use 1 to 64 (Wu &amp; He 2018), InstanceNorm as many as the channels.</summary>
    public const int MaxGroups = 65_536;

    /// <summary>Rows of the Summary table in a generated class's XML doc comment (the hover text); the Summary property holds all.</summary>
    public const int MaxDocRows = 300;
}
