using System;

namespace NetDsl;

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
