namespace NetDsl;

/// <summary>
/// Where <see cref="BatchNormAttribute"/> places a BatchNorm relative to a weight layer's activation.
/// Import with <c>using static NetDsl.Layer;</c> to write <c>[BatchNorm(After = Activation)]</c>.
/// (Named <c>Conv</c>, not <c>Convolution</c>, which would clash with <c>TorchSharp.Modules.Convolution</c>.)
/// </summary>
public enum Layer
{
    /// <summary>Directly after the weight layer (a convolution, or a linear layer in fully connected nets), before the activation: Ioffe &amp; Szegedy 2015, torchvision's ResNets.</summary>
    Conv,
    /// <summary>After the activation that follows the weight layer.</summary>
    Activation,
}

/// <summary>How a residual unit's shortcut is built (He et al. 2015, section 4.2, options A, B and C).</summary>
public enum Shortcut
{
    /// <summary>Option B: identity when input and output shapes match, otherwise a projection (torchvision's choice).</summary>
    Auto,
    /// <summary>Always the identity; the shapes must match (diagnostic ND0013 otherwise).</summary>
    Identity,
    /// <summary>Option A: identity when the shapes match, otherwise subsample by the stride (<c>x[:, :, ::s, ::s]</c>) and pad the new channels with zeros; no parameters. He et al.'s CIFAR nets.</summary>
    ZeroPad,
    /// <summary>Option C: always a projection, a 1x1 convolution with the unit's stride followed by BatchNorm when the block has BatchNorm (<c>downsample.0</c>, <c>downsample.1</c>).</summary>
    Projection,
}

/// <summary>
/// The order of weight, BatchNorm, activation and addition inside a residual unit: the five variants
/// of He et al. 2016, "Identity Mappings in Deep Residual Networks", Fig. 4 (a) to (e).
/// </summary>
public enum UnitOrder
{
    /// <summary>(a) original: weight, BN, act, ..., weight, BN, addition, act.</summary>
    Original,
    /// <summary>(b) BN after addition: weight, BN, act, ..., weight, addition, BN, act.</summary>
    BnAfterAddition,
    /// <summary>(c) ReLU before addition: weight, BN, act, ..., weight, BN, act, addition.</summary>
    ReluBeforeAddition,
    /// <summary>(d) ReLU-only pre-activation: act, weight, BN, act, ..., weight, BN, addition.</summary>
    ReluOnlyPreActivation,
    /// <summary>(e) full pre-activation: BN, act, weight, ..., BN, act, weight, addition (no activation after the sum).</summary>
    FullPreActivation,
}
