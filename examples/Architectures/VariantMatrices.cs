using NetDsl;
using TorchSharp.Modules;

namespace NetDsl.Examples;

/// <summary>The basic residual unit used by the matrices below: two 3x3 convolutions, BatchNorm, ReLU.</summary>
[Block, Residual]
[BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class MatrixBlock
{
    [Conv(Kernel = 3)] Conv2d conv1;
    [Conv(Kernel = 3)] Conv2d conv2;
}

/// <summary>
/// Residual vs plain, times BatchNorm after the convolution, after the activation, or none: six
/// variants (<c>BnResidualMatrix.Residual.BnAfterConv</c> ... <c>BnResidualMatrix.Plain.NoBn</c>) of a small
/// ResNet for 28x28 grey images.
/// </summary>
[Network, Input(1, 28, 28)]
[BatchNorm, Activation(Nonlinearity.ReLU)]
[Variants(Residual = new[] { true, false }, BatchNorm = new[] { BatchNormVariant.AfterConv, BatchNormVariant.AfterActivation, BatchNormVariant.None })]
public partial class BnResidualMatrix
{
    [Conv(16, Kernel = 3)] Conv2d conv1;
    [Stage(Blocks = 2, Channels = 16)] ModuleList<MatrixBlock> layer1;
    [Stage(Blocks = 2, Channels = 32, Stride = 2)] ModuleList<MatrixBlock> layer2;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(10)] Linear fc;
}

/// <summary>Post- vs pre-activation units (He et al. 2016) at two depths: four variants.</summary>
[Network, Input(1, 28, 28)]
[BatchNorm, Activation(Nonlinearity.ReLU)]
[Variants(Order = new[] { UnitOrder.Original, UnitOrder.FullPreActivation }, Depth = new[] { 1, 3 })]
public partial class PreActMatrix
{
    [Conv(16, Kernel = 3)] Conv2d conv1;
    [Stage(Blocks = 2, Channels = 16)] ModuleList<MatrixBlock> layer1;
    [Stage(Blocks = 2, Channels = 32, Stride = 2)] ModuleList<MatrixBlock> layer2;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(10)] Linear fc;
}
