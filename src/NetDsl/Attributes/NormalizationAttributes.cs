using System;

namespace NetDsl;

// The normalization family (torchvision's norm_layer): one attribute per kind, with the same placement choices. A class
// states at most one of them; on a weight-layer field one overrides the class's for that layer; on a field of the
// module's own type it is an explicit layer. Implied normalization layers are named like torchvision's, whatever the
// kind: bn1 for conv1 (torchvision keeps those names when norm_layer is GroupNorm).

/// <summary>
/// BatchNorm policy (Ioffe &amp; Szegedy 2015). On a class: a BatchNorm follows every weight layer
/// (BatchNorm2d after convolutions, BatchNorm1d after linear layers),
/// placed per <see cref="After"/>, named like torchvision (<c>bn1</c> for <c>conv1</c>). On a weight-layer
/// field: overrides the class policy for that layer. On a field of type <c>TorchSharp.Modules.BatchNorm2d</c>
/// or <c>BatchNorm1d</c>: an explicit BatchNorm layer at that position.
/// Without this attribute (or <see cref="GroupNormAttribute"/> or <see cref="LayerNormAttribute"/>) there is no normalization.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Field, Inherited = false, AllowMultiple = false)]
public sealed class BatchNormAttribute : Attribute
{
    /// <summary>Whether to normalize at all; <c>false</c> removes the normalization (of any kind: on a field, the class's
    /// [GroupNorm] or [LayerNorm] too) and turns the convolutions' bias back on. Default <c>true</c>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Placement: <see cref="Layer.Conv"/> (after the weight layer, default) or <see cref="Layer.Activation"/> (after its activation).</summary>
    public Layer After { get; set; } = Layer.Conv;

    /// <summary>Added to the variance for numerical stability. Default 1e-5 (PyTorch's).</summary>
    public double Eps { get; set; } = 1e-5;

    /// <summary>Weight of the current batch in the running statistics. Default 0.1 (PyTorch's).</summary>
    public double Momentum { get; set; } = 0.1;
}

/// <summary>
/// GroupNorm policy (Wu &amp; He 2018, "Group Normalization", eq. 1 with the sets of eq. 7): each sample's channels are split
/// into <see cref="Groups"/> groups, and each group is normalized over its channels and all positions, then scaled and shifted
/// per channel: <c>nn.GroupNorm(Groups, C)</c>, 2C parameters, the same in training and eval mode (no running statistics, so
/// it does not depend on the batch size). Maps only: TorchSharp's <c>GroupNorm</c> refuses <c>[N, F]</c> (ND0041; use
/// <see cref="LayerNormAttribute"/> on vectors). On a class: a GroupNorm follows every weight layer, placed per <see cref="After"/>,
/// named like torchvision (<c>bn1</c> for <c>conv1</c>). On a weight-layer field: overrides the class policy for that layer.
/// On a field of type <c>TorchSharp.Modules.GroupNorm</c>: an explicit GroupNorm layer at that position. The channel count of
/// every normalized layer must be a multiple of <see cref="Groups"/> (diagnostic ND0041 otherwise).
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Field, Inherited = false, AllowMultiple = false)]
public sealed class GroupNormAttribute : Attribute
{
    /// <summary>Number of groups G, at least 1; the channels C must be a multiple of it. Default 32 (Wu &amp; He 2018, Table 3).
    /// G = 1 is LayerNorm over <c>[C, H, W]</c> and G = C is InstanceNorm (with a per-channel scale and shift).</summary>
    public int Groups { get; set; } = 32;

    /// <summary>Placement: <see cref="Layer.Conv"/> (after the weight layer, default) or <see cref="Layer.Activation"/> (after its activation).</summary>
    public Layer After { get; set; } = Layer.Conv;

    /// <summary>Added to the variance for numerical stability. Default 1e-5 (PyTorch's).</summary>
    public double Eps { get; set; } = 1e-5;
}

/// <summary>
/// LayerNorm policy (Ba et al. 2016, "Layer Normalization", eq. 4): each sample is normalized over all of a layer's units. On
/// vectors <c>[N, F]</c> that is <c>nn.LayerNorm(F)</c>; on maps <c>[N, C, H, W]</c> it is <c>nn.GroupNorm(1, C)</c>, the
/// statistics over <c>[C, H, W]</c> with a scale and shift per channel (Wu &amp; He 2018, section 3.1: "LN is GN with G = 1"),
/// which does not tie the layer to one image size. 2C (or 2F) parameters, the same in training and eval mode. On a class: a
/// LayerNorm follows every weight layer, placed per <see cref="After"/>, named like torchvision (<c>bn1</c> for <c>conv1</c>).
/// On a weight-layer field: overrides the class policy for that layer. On a field of type <c>TorchSharp.Modules.LayerNorm</c>
/// (vectors) or <c>TorchSharp.Modules.GroupNorm</c> (maps, where it is built as <c>GroupNorm(1, C)</c>): an explicit LayerNorm
/// layer at that position.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Field, Inherited = false, AllowMultiple = false)]
public sealed class LayerNormAttribute : Attribute
{
    /// <summary>Placement: <see cref="Layer.Conv"/> (after the weight layer, default) or <see cref="Layer.Activation"/> (after its activation).</summary>
    public Layer After { get; set; } = Layer.Conv;

    /// <summary>Added to the variance for numerical stability. Default 1e-5 (PyTorch's).</summary>
    public double Eps { get; set; } = 1e-5;
}

/// <summary>
/// InstanceNorm policy (Ulyanov et al. 2016, "Instance Normalization", eq. 2): each channel of each sample normalized over its
/// positions, as <c>nn.InstanceNorm2d(C)</c> with PyTorch's defaults: no scale and shift, no running statistics (0 parameters,
/// the same in training and eval mode). Maps only (ND0041 on vectors, which have no positions). On a class: one follows every
/// weight layer, placed per <see cref="After"/>, named like torchvision (<c>bn1</c> for <c>conv1</c>); on a weight-layer field:
/// overrides the class policy; on a field of type <c>TorchSharp.Modules.InstanceNorm2d</c>: an explicit layer.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Field, Inherited = false, AllowMultiple = false)]
public sealed class InstanceNormAttribute : Attribute
{
    /// <summary>Placement: <see cref="Layer.Conv"/> (after the weight layer, default) or <see cref="Layer.Activation"/> (after its activation).</summary>
    public Layer After { get; set; } = Layer.Conv;

    /// <summary>Added to the variance for numerical stability. Default 1e-5 (PyTorch's).</summary>
    public double Eps { get; set; } = 1e-5;
}

/// <summary>
/// The normalization kinds a variant matrix can compare (torchvision's <c>norm_layer</c>), each placed where the class's
/// normalization policy places it (after the weight layer when the class states none).
/// </summary>
public enum NormalizationVariant
{
    /// <summary><c>nn.BatchNorm2d</c> / <c>BatchNorm1d</c> (Ioffe &amp; Szegedy 2015): batch statistics in training, running ones in eval.</summary>
    BatchNorm,
    /// <summary><c>nn.GroupNorm(G, C)</c> (Wu &amp; He 2018) with G = <see cref="VariantsAttribute.Groups"/>: per sample, no batch dependence.</summary>
    GroupNorm,
    /// <summary>LayerNorm (Ba et al. 2016): <c>nn.LayerNorm(F)</c> on vectors, <c>nn.GroupNorm(1, C)</c> on maps.</summary>
    LayerNorm,
    /// <summary><c>nn.InstanceNorm2d(C)</c> (Ulyanov et al. 2016): per sample and channel, no parameters; maps only.</summary>
    InstanceNorm,
    /// <summary>No normalization anywhere (convolution biases come back on).</summary>
    None,
}
