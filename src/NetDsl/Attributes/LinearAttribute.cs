using System;

namespace NetDsl;

/// <summary>
/// A fully connected layer, <c>y = x W^T + b</c>, on a field of type <c>TorchSharp.Modules.Linear</c>.
/// Maps <c>[N, in_features]</c> to <c>[N, out_features]</c>; <c>in_features</c> is inferred from the
/// previous layer or the network's <see cref="InputAttribute"/>. Parameters:
/// <c>out_features * in_features</c> weights plus <c>out_features</c> biases when it has a bias.
/// In a network, give the output features; in a <see cref="BlockAttribute">block</see>, leave them out:
/// the block's width applies.
/// </summary>
[AttributeUsage(AttributeTargets.Field, Inherited = false, AllowMultiple = false)]
public sealed class LinearAttribute : Attribute
{
    /// <summary>A fully connected layer whose width comes from the enclosing block's stage.</summary>
    public LinearAttribute() { }

    /// <summary>Declares a fully connected layer with a fixed width.</summary>
    /// <param name="outFeatures">Number of output features; must be positive.</param>
    public LinearAttribute(int outFeatures) => OutFeatures = outFeatures;

    /// <summary>Number of output features (<c>out_features</c> in PyTorch); 0 when it comes from the block.</summary>
    public int OutFeatures { get; }

    /// <summary>Whether the layer has an additive bias. When not set: off if a BatchNorm directly follows, on otherwise.</summary>
    public bool Bias { get; set; }
}
