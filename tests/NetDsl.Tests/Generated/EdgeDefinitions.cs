using NetDsl;
using TorchSharp.Modules;

// Valid but unusual declarations (found while trying to break the generator): the summary must match the built module.
namespace NetDsl.Tests.Generated.Edges;

[Block, BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class InnerBlock
{
    [Conv(Kernel = 3)] Conv2d conv1;
}

/// <summary>A residual block made only of a nested stage: the stage takes the block's stride, the sum wraps it.</summary>
[Block, Residual]
public partial class StageOnlyBlock
{
    [Stage(Blocks = 2)] ModuleList<InnerBlock> inner;
}

/// <summary>A convolution, then a nested stage that sets the output channels.</summary>
[Block, BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class ConvThenStageBlock
{
    [Conv(Kernel = 1)] Conv2d conv1;
    [Stage(Blocks = 1)] ModuleList<InnerBlock> inner;
}

[Network, Input(4, 8, 8)]
public partial class NestedStageNet
{
    [Stage(Blocks = 2, Channels = 6, Stride = 2)] ModuleList<StageOnlyBlock> layer1;
    [Stage(Blocks = 2, Channels = 8, Stride = 2)] ModuleList<ConvThenStageBlock> layer2;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(3)] Linear fc;
}

[Block, Residual, BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class TinyBasicBlock
{
    [Conv(Kernel = 3)] Conv2d conv1;
    [Conv(Kernel = 3)] Conv2d conv2;
}

/// <summary>A 1x1 map through a stride-2 stage with unchanged channels: the projection is still built (as at run time).</summary>
[Network, Input(4, 1, 1)]
public partial class OnePixelNet
{
    [Stage(Blocks = 1, Channels = 4, Stride = 2)] ModuleList<TinyBasicBlock> layer1;
    [Flatten] Flatten flatten;
    [Linear(2)] Linear fc;
}

/// <summary>BatchNorm policy on a CNN with a fully connected classifier: BatchNorm2d on maps, BatchNorm1d after the flatten.</summary>
[Network, Input(1, 6, 6), BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class CnnWithDenseHead
{
    [Conv(4)] Conv2d conv1;
    [MaxPool] MaxPool2d pool;
    [Flatten] Flatten flatten;
    [Linear(16)] Linear fc1;
    [Dropout(P = 0.1)] Dropout dropout;
    [Linear(3)] Linear fc2;
}
