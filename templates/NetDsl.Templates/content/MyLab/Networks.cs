using NetDsl;
using TorchSharp.Modules;

namespace MyLab;

/// <summary>
/// Two 3x3 convolutions with BatchNorm and ReLU; with [Residual], relu(x + F(x)) (a 1x1 projection where the shape changes),
/// He et al. 2015. The block states its own policies: a block type is generated once, so they are what <c>new LabNet()</c>
/// runs; the variants' axes (Residual, BatchNorm) override them.
/// </summary>
[Block, Residual, BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class Unit
{
    [Conv(Kernel = 3)] Conv2d conv1;
    [Conv(Kernel = 3)] Conv2d conv2;
}

/// <summary>
/// A small ResNet for 28x28 grey images (Fashion-MNIST, MNIST) and its four variants: residual or plain, times BatchNorm
/// after each convolution or none. Program.cs (or `netdsl compare --project .`) trains them side by side.
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
