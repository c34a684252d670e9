using NetDsl;
using TorchSharp.Modules;

// Networks the PyTorch-source tests need beyond examples/Architectures: option B shortcuts, a residual MLP with a branch
// scale, the five unit orders, and the layer kinds and names the examples do not use.
namespace NetDsl.Tests.Interop.PyTorchSource;

/// <summary>torchvision's BasicBlock, declared here: a stage's block from another assembly is not generated (see the issue-17 note).</summary>
[Block, Residual]
[BatchNorm(After = Layer.Conv), Activation(Nonlinearity.ReLU)]
public partial class OptionBBlock
{
    [Conv(Kernel = 3)] Conv2d conv1;
    [Conv(Kernel = 3)] Conv2d conv2;
}

/// <summary>ResNet-20 with He et al. 2015's option B: projection shortcuts (1x1 conv + BN) where the shape changes, identity elsewhere.</summary>
[Network, Input(1, 28, 28)]
[BatchNorm(After = Layer.Conv), Activation(Nonlinearity.ReLU)]
public partial class ResNet20OptionB
{
    [Conv(16, Kernel = 3)] Conv2d conv1;
    [Stage(Blocks = 3, Channels = 16)] ModuleList<OptionBBlock> layer1;
    [Stage(Blocks = 3, Channels = 32, Stride = 2)] ModuleList<OptionBBlock> layer2;
    [Stage(Blocks = 3, Channels = 64, Stride = 2)] ModuleList<OptionBBlock> layer3;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(10)] Linear fc;
}

/// <summary>A residual MLP unit: out = tanh(0.1 * bn2(fc2(tanh(bn1(fc1(x))))) + shortcut(x)).</summary>
[Block, Residual(BranchScale = 0.1)]
[BatchNorm, Activation(Nonlinearity.Tanh)]
public partial class ScaledDense
{
    [Linear] Linear fc1;
    [Linear] Linear fc2;
}

/// <summary>A residual MLP with branch scale 0.1: six units (more than the emitted source lists one by one) and a narrowing unit with a Linear + BN1d projection.</summary>
[Network, Input(20)]
[BatchNorm, Activation(Nonlinearity.Tanh)]
public partial class ScaledResidualMlp
{
    [Linear(64)] Linear fc_in;
    [Stage(Blocks = 6, Channels = 64)] ModuleList<ScaledDense> layers;
    [Stage(Blocks = 1, Channels = 32)] ModuleList<ScaledDense> narrow;
    [Linear(5)] Linear fc_out;
}

/// <summary>A block named like a Python keyword (None), with a layer named like one (<c>class</c>), and an always-projecting shortcut.</summary>
[Block, Residual(Shortcut = Shortcut.Projection)]
public partial class None
{
    [Conv(Kernel = 3)] Conv2d conv1;
    [Conv(Kernel = 3)] Conv2d @class;
}

/// <summary>The five residual units of He et al. 2016 (Fig. 4) as one variant matrix.</summary>
[Network, Input(3, 12, 12)]
[BatchNorm, Activation(Nonlinearity.ReLU)]
[Variants(Order = new[] { UnitOrder.Original, UnitOrder.BnAfterAddition, UnitOrder.ReluBeforeAddition, UnitOrder.ReluOnlyPreActivation, UnitOrder.FullPreActivation })]
public partial class OrderMatrix
{
    [Conv(8, Kernel = 3)] Conv2d conv1;
    [Stage(Blocks = 2, Channels = 8)] ModuleList<None> layer1;
    [Stage(Blocks = 1, Channels = 16, Stride = 2)] ModuleList<None> layer2;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(4)] Linear fc;
}

/// <summary>A fully connected unit with the zero-padding shortcut, BN after the addition, LeakyReLU (slope 0.2).</summary>
[Block, Residual(Shortcut = Shortcut.ZeroPad, Order = UnitOrder.BnAfterAddition)]
[BatchNorm, Activation(Nonlinearity.LeakyReLU, NegativeSlope = 0.2)]
public partial class PadDense
{
    [Linear] Linear fc1;
}

/// <summary>The other layer kinds: padding and stride, average pooling, GELU and sigmoid, BN after the activation, explicit BN and activation layers, flatten, dropout, vector zero-padding.</summary>
[Network, Input(3, 16, 16)]
[BatchNorm(After = Layer.Activation), Activation(Nonlinearity.GELU)]
public partial class KindsNet
{
    [Conv(6, Kernel = 5, Padding = 1)] Conv2d conv1;
    [AvgPool(Kernel = 2)] AvgPool2d pool;
    [Conv(8, Kernel = 3, Stride = 2, Bias = true), Activation(Nonlinearity.Sigmoid)] Conv2d conv2;
    [BatchNorm] BatchNorm2d norm;
    [Activation(Nonlinearity.Tanh)] Tanh squash;
    [Flatten] Flatten flatten;
    [Dropout(P = 0.25)] Dropout drop;
    [Stage(Blocks = 2, Channels = 160)] ModuleList<PadDense> dense;
    [Linear(3)] Linear fc;
}
