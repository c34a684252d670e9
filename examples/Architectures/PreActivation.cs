using NetDsl;
using TorchSharp.Modules;

namespace NetDsl.Examples;

/// <summary>The full pre-activation unit of He et al. 2016 (Fig. 4e): BN, ReLU, conv, BN, ReLU, conv, addition; nothing after the sum.</summary>
[Block, Residual(Order = UnitOrder.FullPreActivation)]
[BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class PreActBlock
{
    [Conv(Kernel = 3)] Conv2d conv1;
    [Conv(Kernel = 3)] Conv2d conv2;
}

/// <summary>
/// Pre-activation ResNet-20 for 28x28 grey images (He et al. 2016): the first convolution has no
/// BatchNorm or activation of its own (each unit starts with them), and the last unit's output goes
/// through a final BN and ReLU before pooling.
/// </summary>
[Network, Input(1, 28, 28)]
[Activation(Nonlinearity.ReLU)]
public partial class PreActResNet20
{
    [Conv(16, Kernel = 3), Activation(Nonlinearity.None)] Conv2d conv1;
    [Stage(Blocks = 3, Channels = 16)] ModuleList<PreActBlock> layer1;
    [Stage(Blocks = 3, Channels = 32, Stride = 2)] ModuleList<PreActBlock> layer2;
    [Stage(Blocks = 3, Channels = 64, Stride = 2)] ModuleList<PreActBlock> layer3;
    [BatchNorm] BatchNorm2d bn;
    [Activation(Nonlinearity.ReLU)] ReLU final_relu;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(10)] Linear fc;
}
