using NetDsl;
using TorchSharp.Modules;
using static NetDsl.Layer;

// Small generated nets, one per policy family, each with a hand-written twin in TwinTests.cs.
namespace NetDsl.Tests.Generated.Twins;

[Block, BatchNorm(After = Activation), Activation(Nonlinearity.ReLU)]
public partial class PlainBnAfterActBlock
{
    [Conv(Kernel = 3)] Conv2d conv1;
    [Conv(Kernel = 3)] Conv2d conv2;
}

[Network, Input(1, 8, 8), BatchNorm(After = Activation), Activation(Nonlinearity.ReLU)]
public partial class PlainBnAfterActNet
{
    [Conv(4, Kernel = 3)] Conv2d conv1;
    [Stage(Blocks = 2, Channels = 8, Stride = 2)] ModuleList<PlainBnAfterActBlock> layer1;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(3)] Linear fc;
}

[Block, Residual, BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class PostActBlock
{
    [Conv(Kernel = 3)] Conv2d conv1;
    [Conv(Kernel = 3)] Conv2d conv2;
}

[Network, Input(1, 8, 8), BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class PostActNet
{
    [Conv(4, Kernel = 3)] Conv2d conv1;
    [Stage(Blocks = 2, Channels = 8, Stride = 2)] ModuleList<PostActBlock> layer1;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(3)] Linear fc;
}

[Block, Residual(Order = UnitOrder.FullPreActivation, Shortcut = Shortcut.ZeroPad), BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class PreActZeroPadBlock
{
    [Conv(Kernel = 3)] Conv2d conv1;
    [Conv(Kernel = 3)] Conv2d conv2;
}

[Network, Input(1, 8, 8)]
public partial class PreActNet
{
    [Conv(4, Kernel = 3)] Conv2d conv1;
    [Stage(Blocks = 2, Channels = 8, Stride = 2)] ModuleList<PreActZeroPadBlock> layer1;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(3)] Linear fc;
}

[Block, Residual(BranchScale = 0.1), BatchNorm, Activation(Nonlinearity.Tanh)]
public partial class ScaledResidualMlpBlock
{
    [Linear] Linear fc1;
    [Linear] Linear fc2;
}

[Network, Input(5), BatchNorm, Activation(Nonlinearity.Tanh)]
public partial class ResidualMlp
{
    [Linear(6)] Linear fc_in;
    [Stage(Blocks = 3, Channels = 6)] ModuleList<ScaledResidualMlpBlock> layers;
    [Linear(2)] Linear fc_out;
}

[Block, Residual(Order = UnitOrder.BnAfterAddition), BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class BnAfterAdditionBlock
{
    [Linear] Linear fc1;
    [Linear] Linear fc2;
}

[Block, Residual(Order = UnitOrder.ReluBeforeAddition), BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class ReluBeforeAdditionBlock
{
    [Linear] Linear fc1;
    [Linear] Linear fc2;
}

[Block, Residual(Order = UnitOrder.ReluOnlyPreActivation), BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class ReluOnlyPreActBlock
{
    [Linear] Linear fc1;
    [Linear] Linear fc2;
}

[Block, Residual, Activation(Nonlinearity.ReLU)]
public partial class NoBnBlock
{
    [Conv(Kernel = 3)] Conv2d conv1;
    [Conv(Kernel = 3)] Conv2d conv2;
}

[Network, Input(1, 8, 8), Activation(Nonlinearity.ReLU)]
public partial class NoBnNet
{
    [Conv(4, Kernel = 3)] Conv2d conv1;
    [Stage(Blocks = 2, Channels = 8, Stride = 2)] ModuleList<NoBnBlock> layer1;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(3)] Linear fc;
}
