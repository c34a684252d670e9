using System;

namespace NetDsl;

/// <summary>The element-wise non-linearities NetDsl can place after a layer.</summary>
public enum Nonlinearity
{
    /// <summary>No activation: the layer stays linear.</summary>
    None,
    /// <summary><c>max(0, x)</c> (PyTorch <c>nn.ReLU</c>).</summary>
    ReLU,
    /// <summary><c>max(0, x) + 0.01 min(0, x)</c> (PyTorch <c>nn.LeakyReLU</c> with its default slope).</summary>
    LeakyReLU,
    /// <summary><c>1 / (1 + exp(-x))</c> (PyTorch <c>nn.Sigmoid</c>).</summary>
    Sigmoid,
    /// <summary><c>tanh(x)</c> (PyTorch <c>nn.Tanh</c>).</summary>
    Tanh,
    /// <summary><c>x * Phi(x)</c>, exact form (PyTorch <c>nn.GELU</c>).</summary>
    GELU,
}

/// <summary>
/// The activation policy. On a class it applies after every weight layer except a network's last one
/// (its head); on a weight-layer field it overrides the class policy for that layer; on a field of an
/// activation module type (<c>TorchSharp.Modules.ReLU</c>, ...) it is an explicit activation layer. The
/// generated module holds one parameter-free activation module named like torchvision's (<c>relu</c>,
/// <c>sigmoid</c>, <c>tanh</c>, <c>gelu</c>, <c>leaky_relu</c>). Without this attribute there is none.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Field, Inherited = false, AllowMultiple = false)]
public sealed class ActivationAttribute : Attribute
{
    /// <summary>Declares the activation.</summary>
    /// <param name="kind">The non-linearity; <see cref="Nonlinearity.None"/> for none.</param>
    public ActivationAttribute(Nonlinearity kind) => Kind = kind;

    /// <summary>The non-linearity.</summary>
    public Nonlinearity Kind { get; }

    /// <summary>Slope for negative inputs, for <see cref="Nonlinearity.LeakyReLU"/> only. Default 0.01 (PyTorch's).</summary>
    public double NegativeSlope { get; set; } = 0.01;
}
