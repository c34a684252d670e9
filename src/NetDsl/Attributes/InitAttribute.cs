using System;

namespace NetDsl;

/// <summary>
/// How a network's weights start (the initialization family). He and PyTorch's default set every layer; the other three act
/// on the residual branches so that each residual unit starts as (nearly) the identity, the question behind "is it the
/// normalization, or the initialization?".
/// </summary>
public enum Init
{
    /// <summary>What construction gives: weights and biases from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), normalization 1/0.</summary>
    PyTorchDefault,
    /// <summary>He et al. 2015 (eq. 10), fan-in form: convolution and linear weights from N(0, 2 / fan_in), biases 0, normalization 1/0.</summary>
    HeFanIn,
    /// <summary>torchvision's ResNets: convolution weights from N(0, 2 / fan_out), normalization 1/0, linear layers at PyTorch's default.</summary>
    HeFanOut,
    /// <summary>
    /// <see cref="HeFanOut"/>, then the scale (gamma) of the normalization that ends each residual branch set to 0 (Goyal et al.
    /// 2017, section 5.1; torchvision's <c>zero_init_residual=True</c>): every residual unit starts as its shortcut. Needs a
    /// normalization at the end of each branch (orders Original, ReluBeforeAddition, ReluOnlyPreActivation).
    /// </summary>
    ZeroGamma,
    /// <summary>
    /// Fixup (Zhang et al. 2019, section 3), for residual networks without normalization: the classification layer and the
    /// last weight layer of each residual branch start at 0; every other weight layer from N(0, 2 / fan_out) (He), and the ones
    /// inside residual branches scaled by L^(-1/(2m-2)) (L residual branches, m weight layers in each). The generated module
    /// adds a scalar bias (0) before each weight layer and each activation of a unit (<c>bias1a</c>, <c>bias1b</c>, ...) and a
    /// scalar multiplier (<c>scale</c>, 1) at the end of each branch, as the paper's reference code names them.
    /// </summary>
    Fixup,
    /// <summary>
    /// SkipInit (De &amp; Smith 2020): <see cref="HeFanIn"/>, and a learnable scalar <c>alpha</c> at the end of each residual branch,
    /// initialized to 0 (<c>x + alpha * F(x)</c>): every residual unit starts as its shortcut, with or without normalization.
    /// </summary>
    SkipInit,
}

/// <summary>
/// The initialization policy of a network or a block (<see cref="Init"/>). On a network, the generated constructor applies it
/// after building every layer (<see cref="Inits.Apply"/>), and the network reports it through
/// <see cref="IDeclaresInit"/>, so a comparison's own initialization (the tool's <c>--init</c>) leaves it
/// alone. <see cref="Init.Fixup"/> and <see cref="Init.SkipInit"/> change the residual blocks' forward too (their scalars):
/// state them on the blocks as well (ND0042 otherwise), or use the <c>Init</c> axis of <see cref="VariantsAttribute"/>,
/// which applies to the network and every block its stages use.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class InitAttribute : Attribute
{
    /// <summary>Declares the initialization.</summary>
    /// <param name="init">The scheme.</param>
    public InitAttribute(Init init) => Init = init;

    /// <summary>The scheme.</summary>
    public Init Init { get; }
}
