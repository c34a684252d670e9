using System;

namespace NetDsl;

/// <summary>
/// A fully connected layer, <c>y = x W^T + b</c>, on a field of type <c>TorchSharp.Modules.Linear</c>.
/// Maps <c>[N, in_features]</c> to <c>[N, out_features]</c>; <c>in_features</c> is inferred from the
/// previous layer or the network's <see cref="InputAttribute"/>. Parameters:
/// <c>out_features * in_features</c> weights plus <c>out_features</c> biases when <see cref="Bias"/> is set.
/// </summary>
[AttributeUsage(AttributeTargets.Field, Inherited = false, AllowMultiple = false)]
public sealed class LinearAttribute : Attribute
{
    /// <summary>Declares a fully connected layer.</summary>
    /// <param name="outFeatures">Number of output features; must be positive.</param>
    public LinearAttribute(int outFeatures) => OutFeatures = outFeatures;

    /// <summary>Number of output features (<c>out_features</c> in PyTorch).</summary>
    public int OutFeatures { get; }

    /// <summary>Whether the layer has an additive bias (PyTorch's <c>bias</c>). Default <c>true</c>.</summary>
    public bool Bias { get; set; } = true;
}
