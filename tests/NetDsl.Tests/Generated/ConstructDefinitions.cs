using NetDsl;
using TorchSharp.Modules;
using static NetDsl.Layer;

// One small definition per construct the DSL can generate that no other twin or parity test runs; each has a
// hand-written twin in ConstructTwinTests.cs. Shapes are tiny ([4, 3, 8, 8]) so all of them run in about a second.
namespace NetDsl.Tests.Generated.Constructs;

// ---- shortcuts --------------------------------------------------------------------------------------------

/// <summary>Option C: a projection (1x1 conv + BN) on every unit, also where the shapes match (layer1).</summary>
[Block, Residual(Shortcut = Shortcut.Projection), BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class ProjectionBlock
{
    [Conv] Conv2d conv1;
    [Conv] Conv2d conv2;
}

[Network, Input(3, 8, 8), BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class ProjectionNet
{
    [Conv(4)] Conv2d conv1;
    [Stage(Blocks = 1, Channels = 4)] ModuleList<ProjectionBlock> layer1;
    [Stage(Blocks = 1, Channels = 8, Stride = 2)] ModuleList<ProjectionBlock> layer2;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(3)] Linear fc;
}

/// <summary>Option C without BatchNorm (the projection keeps its bias), generated without tap points.</summary>
[Block(Taps = false), Residual(Shortcut = Shortcut.Projection), Activation(Nonlinearity.ReLU)]
public partial class ProjectionNoBnBlock
{
    [Conv] Conv2d conv1;
    [Conv] Conv2d conv2;
}

[Network(Taps = false), Input(3, 8, 8), Activation(Nonlinearity.ReLU)]
public partial class ProjectionNoBnNet
{
    [Conv(4)] Conv2d conv1;
    [Stage(Blocks = 1, Channels = 4)] ModuleList<ProjectionNoBnBlock> layer1;
    [Stage(Blocks = 1, Channels = 8, Stride = 2)] ModuleList<ProjectionNoBnBlock> layer2;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(3)] Linear fc;
}

/// <summary>An explicit identity shortcut.</summary>
[Block, Residual(Shortcut = Shortcut.Identity), BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class IdentityBlock
{
    [Conv] Conv2d conv1;
    [Conv] Conv2d conv2;
}

[Network, Input(3, 8, 8), BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class IdentityNet
{
    [Conv(4)] Conv2d conv1;
    [Stage(Blocks = 2, Channels = 4)] ModuleList<IdentityBlock> layer1;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(3)] Linear fc;
}

/// <summary>Fully connected residual units: Auto projects (Linear + BatchNorm1d) where the width changes.</summary>
[Block, Residual, BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class DenseAutoBlock
{
    [Linear] Linear fc1;
    [Linear] Linear fc2;
}

/// <summary>Option A on vectors: the new features are zeros, split before and after (6 -> 9: one before, two after).</summary>
[Block, Residual(Shortcut = Shortcut.ZeroPad), BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class DenseZeroPadBlock
{
    [Linear] Linear fc1;
    [Linear] Linear fc2;
}

/// <summary>Stages of fully connected blocks after global pooling: the pooled [N, C, 1, 1] is flattened before them.</summary>
[Network, Input(3, 8, 8), BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class PooledDenseNet
{
    [Conv(4)] Conv2d conv1;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Stage(Blocks = 2, Channels = 6)] ModuleList<DenseAutoBlock> layer1;
    [Stage(Blocks = 1, Channels = 9)] ModuleList<DenseZeroPadBlock> layer2;
    [Linear(3)] Linear fc;
}

// ---- layer kinds and per-layer attributes -----------------------------------------------------------------

/// <summary>Every map layer kind, explicit layers and per-layer overrides, with non-default BatchNorm settings.</summary>
[Network, Input(3, 8, 8), BatchNorm(Eps = 1e-3, Momentum = 0.3), Activation(Nonlinearity.LeakyReLU, NegativeSlope = 0.2)]
public partial class MapLayersNet
{
    [Conv(4, Kernel = 3, Padding = 0)] Conv2d conv1;                                               // 8 -> 6, bn1, leaky_relu
    [MaxPool(Kernel = 3, Stride = 1, Padding = 1)] MaxPool2d maxpool;                              // 6 -> 6
    [Conv(6, Kernel = 1, Stride = 2, Bias = true)] Conv2d conv2;                                   // 6 -> 3, a bias although BN follows
    [Conv(6, Kernel = 3), BatchNorm(After = Activation), Activation(Nonlinearity.Sigmoid)] Conv2d conv3; // sigmoid, then bn3
    [AvgPool(Kernel = 2, Stride = 1, Padding = 1)] AvgPool2d avgpool;                              // 3 -> 4
    [BatchNorm(Eps = 0.1)] BatchNorm2d bn;                                                         // explicit BatchNorm2d
    [Activation(Nonlinearity.GELU)] GELU gelu;                                                     // explicit activation
    [Conv(5, Kernel = 2, Padding = 0), BatchNorm(Enabled = false), Activation(Nonlinearity.Tanh)] Conv2d conv4; // 4 -> 3, no BN
    [MaxPool] MaxPool2d pool;                                                                      // default: kernel 2, stride 2: 3 -> 1
    [Flatten] Flatten flatten;                                                                     // [N, 5]
    [Linear(3)] Linear fc;
}

/// <summary>Every vector layer kind: BatchNorm1d implied and explicit, Dropout, bias switches, an activation on the head.</summary>
[Network, Input(10), BatchNorm, Activation(Nonlinearity.Tanh)]
public partial class DenseLayersNet
{
    [Linear(8)] Linear fc1;                                                                        // bn1 (1d), tanh
    [Dropout(P = 0.5)] Dropout dropout;
    [Linear(6), BatchNorm(Enabled = false), Activation(Nonlinearity.ReLU)] Linear fc2;             // bias on, relu
    [BatchNorm(Momentum = 0.5)] BatchNorm1d bn;                                                    // explicit BatchNorm1d
    [Linear(7, Bias = false), BatchNorm(Enabled = false)] Linear fc3;                              // no bias, tanh
    [Linear(3), Activation(Nonlinearity.Sigmoid)] Linear fc4;                                      // the head, with an explicit activation
}

// ---- blocks: expansion, strided convolution, branch scale -------------------------------------------------

/// <summary>torchvision's Bottleneck v1.5 in small: the stride on the 3x3 convolution, outputs planes * 4.</summary>
[Block(Expansion = 4), Residual, BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class TinyBottleneck
{
    [Conv(Kernel = 1)] Conv2d conv1;
    [Conv(Kernel = 3)] Conv2d conv2;
    [Conv(Kernel = 1)] Conv2d conv3;
}

/// <summary>The stride moved to a 1x1 convolution by Strided, and the branch scaled before the addition.</summary>
[Block, Residual(BranchScale = 0.5), BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class StridedFirstBlock
{
    [Conv(Kernel = 1, Strided = true)] Conv2d conv1;
    [Conv(Kernel = 3)] Conv2d conv2;
}

[Network, Input(3, 8, 8), BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class BottleneckNet
{
    [Conv(4)] Conv2d conv1;
    [Stage(Blocks = 2, Channels = 2, Stride = 2)] ModuleList<TinyBottleneck> layer1;   // 4 -> 8 channels, 8 -> 4
    [Stage(Blocks = 1, Channels = 6, Stride = 2)] ModuleList<StridedFirstBlock> layer2; // 8 -> 6 channels, 4 -> 2
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(3)] Linear fc;
}

// ---- variant matrices: every value of every axis ----------------------------------------------------------

[Block, Residual, BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class MatrixUnit
{
    [Conv] Conv2d conv1;
    [Conv] Conv2d conv2;
}

// ---- the normalization family ------------------------------------------------------------------------------

/// <summary>GroupNorm as a block policy: after each convolution and in the projection shortcut (torchvision's norm_layer).</summary>
[Block, Residual, GroupNorm(Groups = 2), Activation(Nonlinearity.ReLU)]
public partial class GroupNormUnit
{
    [Conv] Conv2d conv1;
    [Conv] Conv2d conv2;
}

/// <summary>
/// GroupNorm as the network policy (Eps 1e-3), LayerNorm as a field override on maps (GroupNorm(1, C)) and on vectors after
/// the activation (nn.LayerNorm), an explicit GroupNorm on maps and an explicit LayerNorm on vectors.
/// </summary>
[Network, Input(3, 8, 8), GroupNorm(Groups = 2, Eps = 1e-3), Activation(Nonlinearity.ReLU)]
public partial class NormFamilyNet
{
    [Conv(4)] Conv2d conv1;
    [Conv(4), LayerNorm] Conv2d conv2;
    [Stage(Blocks = 1, Channels = 4)] ModuleList<GroupNormUnit> layer1;
    [Stage(Blocks = 1, Channels = 8, Stride = 2)] ModuleList<GroupNormUnit> layer2;
    [GroupNorm(Groups = 4)] GroupNorm gn;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(6), LayerNorm(After = Activation)] Linear fc3;
    [LayerNorm(Eps = 1e-4)] LayerNorm ln;
    [Linear(3)] Linear fc;
}

/// <summary>InstanceNorm as the class policy and as an explicit layer (Eps 1e-3): no parameters, maps only.</summary>
[Network, Input(3, 8, 8), InstanceNorm, Activation(Nonlinearity.ReLU)]
public partial class InstanceNormNet
{
    [Conv(4)] Conv2d conv1;
    [Conv(6, Stride = 2)] Conv2d conv2;
    [InstanceNorm(Eps = 1e-3)] InstanceNorm2d inorm;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(3)] Linear fc;
}

/// <summary>[ZeroPad]: padding before a convolution without padding (5x5 keeps 8x8 after 2 zeros on each side), and after pooling.</summary>
[Network, Input(3, 8, 8), BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class ZeroPadNet
{
    [ZeroPad(Padding = 2)] ZeroPad2d pad1;                        // [3, 12, 12]
    [Conv(4, Kernel = 5, Padding = 0)] Conv2d conv1;              // [4, 8, 8]
    [MaxPool] MaxPool2d pool;                                     // [4, 4, 4]
    [ZeroPad] ZeroPad2d pad2;                                     // [4, 6, 6]
    [Conv(6, Kernel = 3, Padding = 0, Stride = 2)] Conv2d conv2;  // [6, 2, 2]
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(3)] Linear fc;
}

/// <summary>The Normalization axis: every kind (GroupNorm with 2 groups) and none; the explicit BatchNorm layer takes the axis kind.</summary>
[Network, Input(3, 8, 8), BatchNorm, Activation(Nonlinearity.ReLU)]
[Variants(Normalization = new[] { NormalizationVariant.BatchNorm, NormalizationVariant.GroupNorm, NormalizationVariant.LayerNorm, NormalizationVariant.InstanceNorm, NormalizationVariant.None }, Groups = 2)]
public partial class NormMatrixNet
{
    [Conv(4)] Conv2d conv1;
    [Stage(Blocks = 1, Channels = 4)] ModuleList<MatrixUnit> layer1;
    [Stage(Blocks = 1, Channels = 6, Stride = 2)] ModuleList<MatrixUnit> layer2;
    [BatchNorm] BatchNorm2d bn;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(3)] Linear fc;
}

// ---- the initialization family ----------------------------------------------------------------------------

/// <summary>Fixup's unit (Zhang et al. 2019, the reference FixupBasicBlock): scalar biases before each convolution and activation, a multiplier.</summary>
[Block, Residual, Init(Init.Fixup), Activation(Nonlinearity.ReLU)]
public partial class FixupUnit
{
    [Conv] Conv2d conv1;
    [Conv] Conv2d conv2;
}

/// <summary>A Fixup network without normalization: L = 3 residual branches of m = 2 layers; the projection sees x + bias1a.</summary>
[Network, Input(3, 8, 8), Init(Init.Fixup), Activation(Nonlinearity.ReLU)]
public partial class FixupNet
{
    [Conv(4)] Conv2d conv1;
    [Stage(Blocks = 2, Channels = 4)] ModuleList<FixupUnit> layer1;
    [Stage(Blocks = 1, Channels = 6, Stride = 2)] ModuleList<FixupUnit> layer2;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(3)] Linear fc;
}

/// <summary>Wide enough (32 channels, L = 4 branches) for the initial weights' statistics to be measured to about 1%.</summary>
[Network, Input(3, 8, 8), Init(Init.Fixup), Activation(Nonlinearity.ReLU)]
public partial class FixupWideNet
{
    [Conv(32)] Conv2d conv1;
    [Stage(Blocks = 4, Channels = 32)] ModuleList<FixupUnit> layer1;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(3)] Linear fc;
}

/// <summary>SkipInit's unit (De &amp; Smith 2020) with BatchNorm: the branch times a learnable alpha that starts at 0.</summary>
[Block, Residual, BatchNorm, Init(Init.SkipInit), Activation(Nonlinearity.ReLU)]
public partial class SkipInitUnit
{
    [Conv] Conv2d conv1;
    [Conv] Conv2d conv2;
}

[Network, Input(3, 8, 8), BatchNorm, Init(Init.SkipInit), Activation(Nonlinearity.ReLU)]
public partial class SkipInitNet
{
    [Conv(4)] Conv2d conv1;
    [Stage(Blocks = 2, Channels = 4)] ModuleList<SkipInitUnit> layer1;
    [Stage(Blocks = 1, Channels = 6, Stride = 2)] ModuleList<SkipInitUnit> layer2;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(3)] Linear fc;
}

/// <summary>The Init axis crossed with Normalization: 12 combinations, of which zero-gamma without normalization and Fixup with it are skipped.</summary>
[Network, Input(3, 8, 8), BatchNorm, Activation(Nonlinearity.ReLU)]
[Variants(Normalization = new[] { NormalizationVariant.BatchNorm, NormalizationVariant.None },
          Init = new[] { Init.PyTorchDefault, Init.HeFanIn, Init.HeFanOut, Init.ZeroGamma, Init.Fixup, Init.SkipInit })]
public partial class InitMatrixNet
{
    [Conv(4)] Conv2d conv1;
    [Stage(Blocks = 1, Channels = 4)] ModuleList<MatrixUnit> layer1;
    [Stage(Blocks = 1, Channels = 6, Stride = 2)] ModuleList<MatrixUnit> layer2;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(3)] Linear fc;
}

/// <summary>Residual x BatchNorm placement: six variants; the explicit BatchNorm layer is left out of the NoBn ones.</summary>
[Network, Input(3, 8, 8), BatchNorm, Activation(Nonlinearity.ReLU)]
[Variants(Residual = new[] { true, false }, BatchNorm = new[] { BatchNormVariant.AfterConv, BatchNormVariant.AfterActivation, BatchNormVariant.None })]
public partial class BnMatrixNet
{
    [Conv(4)] Conv2d conv1;
    [Stage(Blocks = 1, Channels = 4)] ModuleList<MatrixUnit> layer1;
    [Stage(Blocks = 1, Channels = 6, Stride = 2)] ModuleList<MatrixUnit> layer2;
    [BatchNorm] BatchNorm2d bn;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(3)] Linear fc;
}

/// <summary>The five unit orders of He et al. 2016 x depth: ten variants, each with a strided projection unit.</summary>
[Network, Input(3, 8, 8), BatchNorm, Activation(Nonlinearity.ReLU)]
[Variants(Order = new[] { UnitOrder.Original, UnitOrder.BnAfterAddition, UnitOrder.ReluBeforeAddition, UnitOrder.ReluOnlyPreActivation, UnitOrder.FullPreActivation },
          Depth = new[] { 1, 2 })]
public partial class OrderMatrixNet
{
    [Conv(4)] Conv2d conv1;
    [Stage(Blocks = 1, Channels = 6, Stride = 2)] ModuleList<MatrixUnit> layer1;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(3)] Linear fc;
}

/// <summary>Every activation: the network's LeakyReLU slope (0.2) stays on its own layers, the block's (0.01) on the block's.</summary>
[Network, Input(3, 8, 8), BatchNorm, Activation(Nonlinearity.LeakyReLU, NegativeSlope = 0.2)]
[Variants(Activation = new[] { Nonlinearity.ReLU, Nonlinearity.LeakyReLU, Nonlinearity.Sigmoid, Nonlinearity.Tanh, Nonlinearity.GELU, Nonlinearity.None })]
public partial class ActivationMatrixNet
{
    [Conv(4)] Conv2d conv1;
    [Stage(Blocks = 1, Channels = 6, Stride = 2)] ModuleList<MatrixUnit> layer1;
    [Activation(Nonlinearity.ReLU)] ReLU act;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(3)] Linear fc;
}
