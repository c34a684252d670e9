using NetDsl;
using TorchSharp.Modules;
using static NetDsl.Layer;

namespace NetDsl.Examples;

/// <summary>torchvision's BasicBlock (He et al. 2015): two 3x3 convolutions with BatchNorm and ReLU; projection shortcut when the shape changes.</summary>
[Block, Residual]
[BatchNorm(After = Conv), Activation(Nonlinearity.ReLU)]
public partial class BasicBlock
{
    [Conv(Kernel = 3)] Conv2d conv1;
    [Conv(Kernel = 3)] Conv2d conv2;
}

/// <summary>torchvision's Bottleneck (v1.5, the stride on the 3x3): 1x1, 3x3, 1x1 convolutions, expansion 4.</summary>
[Block(Expansion = 4), Residual]
[BatchNorm(After = Conv), Activation(Nonlinearity.ReLU)]
public partial class Bottleneck
{
    [Conv(Kernel = 1)] Conv2d conv1;
    [Conv(Kernel = 3)] Conv2d conv2;
    [Conv(Kernel = 1)] Conv2d conv3;
}

/// <summary>ResNet-18 in torchvision's ImageNet layout: same state_dict keys and 11,689,512 parameters.</summary>
[Network, Input(3, 224, 224)]
[BatchNorm(After = Conv), Activation(Nonlinearity.ReLU)]
public partial class ResNet18
{
    [Conv(64, Kernel = 7, Stride = 2, Padding = 3)] Conv2d conv1;
    [MaxPool(Kernel = 3, Stride = 2, Padding = 1)] MaxPool2d maxpool;
    [Stage(Blocks = 2, Channels = 64)] ModuleList<BasicBlock> layer1;
    [Stage(Blocks = 2, Channels = 128, Stride = 2)] ModuleList<BasicBlock> layer2;
    [Stage(Blocks = 2, Channels = 256, Stride = 2)] ModuleList<BasicBlock> layer3;
    [Stage(Blocks = 2, Channels = 512, Stride = 2)] ModuleList<BasicBlock> layer4;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(1000)] Linear fc;
}

/// <summary>ResNet-50 in torchvision's ImageNet layout, from Bottleneck blocks: 25,557,032 parameters.</summary>
[Network, Input(3, 224, 224)]
[BatchNorm(After = Conv), Activation(Nonlinearity.ReLU)]
public partial class ResNet50
{
    [Conv(64, Kernel = 7, Stride = 2, Padding = 3)] Conv2d conv1;
    [MaxPool(Kernel = 3, Stride = 2, Padding = 1)] MaxPool2d maxpool;
    [Stage(Blocks = 3, Channels = 64)] ModuleList<Bottleneck> layer1;
    [Stage(Blocks = 4, Channels = 128, Stride = 2)] ModuleList<Bottleneck> layer2;
    [Stage(Blocks = 6, Channels = 256, Stride = 2)] ModuleList<Bottleneck> layer3;
    [Stage(Blocks = 3, Channels = 512, Stride = 2)] ModuleList<Bottleneck> layer4;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(1000)] Linear fc;
}

/// <summary>The block of He et al. 2015's CIFAR ResNets: BasicBlock with the parameter-free zero-padding shortcut (option A).</summary>
[Block, Residual(Shortcut = Shortcut.ZeroPad)]
[BatchNorm(After = Conv), Activation(Nonlinearity.ReLU)]
public partial class CifarBlock
{
    [Conv(Kernel = 3)] Conv2d conv1;
    [Conv(Kernel = 3)] Conv2d conv2;
}

/// <summary>
/// ResNet-20 of He et al. 2015 (section 4.2, n = 3) for 28x28 grey images: 16-32-64 channels,
/// 6n + 2 = 20 weight layers, zero-padding shortcuts, 269,434 parameters with 10 classes (269,722 with 3 input channels, as in the paper).
/// </summary>
[Network, Input(1, 28, 28)]
[BatchNorm(After = Conv), Activation(Nonlinearity.ReLU)]
public partial class ResNet20
{
    [Conv(16, Kernel = 3)] Conv2d conv1;
    [Stage(Blocks = 3, Channels = 16)] ModuleList<CifarBlock> layer1;
    [Stage(Blocks = 3, Channels = 32, Stride = 2)] ModuleList<CifarBlock> layer2;
    [Stage(Blocks = 3, Channels = 64, Stride = 2)] ModuleList<CifarBlock> layer3;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(10)] Linear fc;
}
