using System;

namespace NetDsl;

/// <summary>The BatchNorm settings a variant matrix can compare.</summary>
public enum BatchNormVariant
{
    /// <summary>BatchNorm after each weight layer, before its activation (Ioffe &amp; Szegedy 2015).</summary>
    AfterConv,
    /// <summary>BatchNorm after each weight layer's activation.</summary>
    AfterActivation,
    /// <summary>No BatchNorm anywhere (convolution biases come back on).</summary>
    None,
}

/// <summary>
/// Fans one <see cref="NetworkAttribute">network</see> out into a matrix of variants, each its own
/// generated type with its own straight-line <c>forward</c>: the class <c>Net.Variants.Plain_NoBn</c> for the
/// variant named <c>"Net.Plain.NoBn"</c>, with every axis that has more than one value in the name.
/// <c>Net.Variants.All</c> lists them with their settings, summaries and factories.
/// </summary>
/// <remarks>
/// An axis applies to the network and to every block its stages use (it overrides what the block
/// states); settings no axis covers come from the block, or from the network where the block states
/// nothing. <see cref="Depth"/> sets the block count of every stage of the network (stages nested inside blocks keep theirs).
/// Explicit BatchNorm layers are left out of variants without BatchNorm; explicit activation layers take the
/// activation axis. For
/// <see cref="UnitOrder.FullPreActivation"/> variants of a post-activation declaration, the layers before
/// the first stage lose their implied BatchNorm and activation and a final BatchNorm and activation
/// (<c>bn_final</c>, <c>relu_final</c>) follow the last stage, as in He et al. 2016. Combinations that mean
/// nothing (a plain block with a residual-only order; BatchNorm after the activation in a pre-activation
/// unit) are skipped and listed in an informational diagnostic (ND0027).
/// </remarks>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class VariantsAttribute : Attribute
{
    /// <summary>Residual connections on (<c>true</c>) or off (plain blocks). Names: <c>Residual</c>, <c>Plain</c>.</summary>
    public bool[]? Residual { get; set; }

    /// <summary>BatchNorm placements. Names: <c>BnAfterConv</c>, <c>BnAfterActivation</c>, <c>NoBn</c>.</summary>
    public BatchNormVariant[]? BatchNorm { get; set; }

    /// <summary>
    /// Normalization kinds, placed as the class's normalization policy places them. Names: <c>BatchNorm</c>, <c>GroupNorm</c>,
    /// <c>LayerNorm</c>, <c>InstanceNorm</c>, <c>NoNorm</c>. Explicit normalization layers take the axis kind (and disappear with <c>None</c>). Use
    /// either this axis (which kind) or <see cref="BatchNorm"/> (BatchNorm's placement), not both (ND0028).
    /// </summary>
    public NormalizationVariant[]? Normalization { get; set; }

    /// <summary>The group count of the <see cref="NormalizationVariant.GroupNorm"/> variants. Default 32 (Wu &amp; He 2018); every normalized layer's channels must be a multiple of it (ND0041).</summary>
    public int Groups { get; set; } = 32;

    /// <summary>Residual unit orders (He et al. 2016, Fig. 4). Names: <c>PostAct</c>, <c>BnAfterAddition</c>, <c>ReluBeforeAddition</c>, <c>ReluOnlyPreAct</c>, <c>PreAct</c>.</summary>
    public UnitOrder[]? Order { get; set; }

    /// <summary>Activations. Names: the <see cref="Nonlinearity"/> member (<c>ReLU</c>, <c>Sigmoid</c>, ...).</summary>
    public Nonlinearity[]? Activation { get; set; }

    /// <summary>
    /// Initializations (<see cref="NetDsl.Init"/>), applied by each variant's constructor; the Fixup and SkipInit variants also
    /// get those schemes' scalars in their residual blocks. Names: the member (<c>HeFanIn</c>, <c>Fixup</c>, ...). Combinations
    /// that mean nothing (zero-gamma without a normalization ending each branch, Fixup with a normalization, any of the three
    /// on plain blocks) are skipped (ND0027).
    /// </summary>
    public Init[]? Init { get; set; }

    /// <summary>Blocks per network stage, each positive. Names: <c>Depth3</c>, ...</summary>
    public int[]? Depth { get; set; }
}
