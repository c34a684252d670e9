using NetDsl;
using TorchSharp.Modules;

namespace MyLab;

/// <summary>Two 3x3 convolutions; with [Residual], x + F(x) (a 1x1 projection where the shape changes), He et al. 2015.</summary>
[Block, Residual]
public partial class Unit
{
    [Conv(Kernel = 3)] Conv2d conv1;
    [Conv(Kernel = 3)] Conv2d conv2;
}

/// <summary>
/// A small ResNet for 28x28 grey images (Fashion-MNIST, MNIST) and its four variants: residual or plain, times BatchNorm
/// after each convolution or none. `netdsl compare --project .` trains them side by side.
/// </summary>
[Network, Input(1, 28, 28), BatchNorm, Activation(Nonlinearity.ReLU)]
[Variants(Residual = new[] { true, false }, BatchNorm = new[] { BatchNormVariant.AfterConv, BatchNormVariant.None })]
public partial class LabNet
{
    [Conv(16, Kernel = 3)] Conv2d conv1;
    [Stage(Blocks = 2, Channels = 16)] ModuleList<Unit> layer1;
    [Stage(Blocks = 2, Channels = 32, Stride = 2)] ModuleList<Unit> layer2;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(10)] Linear fc;
}
