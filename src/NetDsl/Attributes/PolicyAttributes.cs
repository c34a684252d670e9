using System;

namespace NetDsl;

/// <summary>
/// BatchNorm policy (Ioffe &amp; Szegedy 2015). On a class: a BatchNorm follows every weight layer
/// (BatchNorm2d after convolutions, BatchNorm1d after linear layers),
/// placed per <see cref="After"/>, named like torchvision (<c>bn1</c> for <c>conv1</c>). On a weight-layer
/// field: overrides the class policy for that layer. On a field of type <c>TorchSharp.Modules.BatchNorm2d</c>
/// or <c>BatchNorm1d</c>: an explicit BatchNorm layer at that position.
/// Without this attribute there is no BatchNorm.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Field, Inherited = false, AllowMultiple = false)]
public sealed class BatchNormAttribute : Attribute
{
    /// <summary>Whether to normalize at all; <c>false</c> removes BatchNorm (and turns the convolutions' bias back on). Default <c>true</c>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Placement: <see cref="Layer.Conv"/> (after the weight layer, default) or <see cref="Layer.Activation"/> (after its activation).</summary>
    public Layer After { get; set; } = Layer.Conv;

    /// <summary>Added to the variance for numerical stability. Default 1e-5 (PyTorch's).</summary>
    public double Eps { get; set; } = 1e-5;

    /// <summary>Weight of the current batch in the running statistics. Default 0.1 (PyTorch's).</summary>
    public double Momentum { get; set; } = 0.1;
}

/// <summary>
/// Residual policy for a <see cref="BlockAttribute">block</see>: <c>out = F(x) + shortcut(x)</c> (He et al.
/// 2015), with the unit ordering of He et al. 2016 (<see cref="Order"/>). Without this attribute a block is plain.
/// Generated names: <c>downsample.0</c> (1x1 convolution) and <c>downsample.1</c> (its BatchNorm) for projections.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class ResidualAttribute : Attribute
{
    /// <summary>Whether the block is residual. Default <c>true</c>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How the shortcut is built when shapes differ. Default <see cref="NetDsl.Shortcut.Auto"/>.</summary>
    public Shortcut Shortcut { get; set; } = Shortcut.Auto;

    /// <summary>The order of weight, BatchNorm, activation and addition. Default <see cref="UnitOrder.Original"/>.</summary>
    public UnitOrder Order { get; set; } = UnitOrder.Original;

    /// <summary>Multiplies the residual branch before the addition: <c>shortcut(x) + BranchScale * F(x)</c> (Balduzzi et al. 2017 compare 1.0 and 0.1). Default 1.</summary>
    public double BranchScale { get; set; } = 1.0;
}
