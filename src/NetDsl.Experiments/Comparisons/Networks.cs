using TorchSharp.Modules;

// The networks the ready-made experiments compare, declared with NetDsl itself. Each [Variants] matrix fans out
// into generated types (Net.Variants.*); an experiment's preset picks the variants it trains.
namespace NetDsl.Experiments;

/// <summary>Two 3x3 convolutions with BatchNorm and ReLU; residual with the zero-pad shortcut (option A of He et al. 2015).</summary>
[Block, Residual(Shortcut = Shortcut.ZeroPad)]
[BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class ConvUnit
{
    [Conv(Kernel = 3)] Conv2d conv1;
    [Conv(Kernel = 3)] Conv2d conv2;
}

/// <summary>
/// He et al. 2015's CIFAR ResNet (6n+2 layers: stem, three stages of 16, 32, 64 channels, n units each) for 28x28 grey
/// images, behind a 2x2 max-pool stem that halves the resolution (14, 7, 4 pixels per stage) so that CPU runs stay short.
/// Plain vs residual at n = 1, 3, 5, 9 (8, 20, 32 and 56 layers), with and without BatchNorm.
/// </summary>
[Network, Input(1, 28, 28)]
[BatchNorm, Activation(Nonlinearity.ReLU)]
[Variants(Residual = new[] { true, false }, BatchNorm = new[] { BatchNormVariant.AfterConv, BatchNormVariant.None }, Depth = new[] { 1, 3, 5, 9 })]
public partial class DepthNet
{
    [Conv(16, Kernel = 3)] Conv2d conv1;
    [MaxPool(Kernel = 2, Stride = 2)] MaxPool2d maxpool;
    [Stage(Blocks = 3, Channels = 16)] ModuleList<ConvUnit> layer1;
    [Stage(Blocks = 3, Channels = 32, Stride = 2)] ModuleList<ConvUnit> layer2;
    [Stage(Blocks = 3, Channels = 64, Stride = 2)] ModuleList<ConvUnit> layer3;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(10)] Linear fc;
}

/// <summary>
/// A plain VGG-style network (Santurkar et al. 2018 use VGG): 2 + 2 + 2 convolutions at 14, 7 and 4 pixels, BatchNorm none,
/// after the convolution or after the activation, with ReLU or sigmoid.
/// </summary>
[Network, Input(1, 28, 28)]
[BatchNorm, Activation(Nonlinearity.ReLU)]
[Variants(BatchNorm = new[] { BatchNormVariant.None, BatchNormVariant.AfterConv, BatchNormVariant.AfterActivation },
          Activation = new[] { Nonlinearity.ReLU, Nonlinearity.Sigmoid })]
public partial class VggNet
{
    [Conv(32, Kernel = 3)] Conv2d conv1;
    [MaxPool(Kernel = 2, Stride = 2)] MaxPool2d pool1;
    [Conv(32, Kernel = 3)] Conv2d conv2;
    [Conv(64, Kernel = 3)] Conv2d conv3;
    [MaxPool(Kernel = 2, Stride = 2)] MaxPool2d pool2;
    [Conv(64, Kernel = 3)] Conv2d conv4;
    [Conv(128, Kernel = 3)] Conv2d conv5;
    [MaxPool(Kernel = 2, Stride = 2)] MaxPool2d pool3;
    [Conv(128, Kernel = 3)] Conv2d conv6;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(10)] Linear fc;
}

/// <summary>The residual unit of <see cref="OrderNet"/>; its <see cref="UnitOrder"/> is set by the variant matrix.</summary>
[Block, Residual(Shortcut = Shortcut.ZeroPad)]
[BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class OrderUnit
{
    [Conv(Kernel = 3)] Conv2d conv1;
    [Conv(Kernel = 3)] Conv2d conv2;
}

/// <summary>The five residual units of He et al. 2016, Fig. 4, in a 32-layer network (n = 5) like <see cref="DepthNet"/>.</summary>
[Network, Input(1, 28, 28)]
[BatchNorm, Activation(Nonlinearity.ReLU)]
[Variants(Order = new[] { UnitOrder.Original, UnitOrder.BnAfterAddition, UnitOrder.ReluBeforeAddition, UnitOrder.ReluOnlyPreActivation, UnitOrder.FullPreActivation })]
public partial class OrderNet
{
    [Conv(16, Kernel = 3)] Conv2d conv1;
    [MaxPool(Kernel = 2, Stride = 2)] MaxPool2d maxpool;
    [Stage(Blocks = 5, Channels = 16)] ModuleList<OrderUnit> layer1;
    [Stage(Blocks = 5, Channels = 32, Stride = 2)] ModuleList<OrderUnit> layer2;
    [Stage(Blocks = 5, Channels = 64, Stride = 2)] ModuleList<OrderUnit> layer3;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(10)] Linear fc;
}

/// <summary>A fully connected unit of width 200: pre-activation residual (BN, ReLU, linear, added to the input) or plain.</summary>
[Block, Residual(Order = UnitOrder.FullPreActivation)]
[BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class DenseUnit
{
    [Linear] Linear fc1;
}

/// <summary>The same unit with its branch scaled by 0.1 before the addition (Balduzzi et al. 2017 compare 1.0 and 0.1).</summary>
[Block, Residual(Order = UnitOrder.FullPreActivation, BranchScale = 0.1)]
[BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class ScaledDenseUnit
{
    [Linear] Linear fc1;
}

/// <summary>
/// Balduzzi et al. 2017's setup: f: R -> R, width 200, feedforward or residual, with or without BatchNorm, at depths 2 to 50.
/// </summary>
[Network, Input(1)]
[BatchNorm, Activation(Nonlinearity.ReLU)]
[Variants(Residual = new[] { false, true }, BatchNorm = new[] { BatchNormVariant.AfterConv, BatchNormVariant.None }, Depth = new[] { 2, 4, 8, 16, 24, 50 })]
public partial class ShatterNet
{
    [Linear(200)] Linear fc_in;
    [Stage(Blocks = 4, Channels = 200)] ModuleList<DenseUnit> layers;
    [Linear(1)] Linear fc_out;
}

/// <summary><see cref="ShatterNet"/>'s residual nets with BatchNorm and the branch scaled by 0.1.</summary>
[Network, Input(1)]
[BatchNorm, Activation(Nonlinearity.ReLU)]
[Variants(Depth = new[] { 2, 4, 8, 16, 24, 50 })]
public partial class ScaledShatterNet
{
    [Linear(200)] Linear fc_in;
    [Stage(Blocks = 4, Channels = 200)] ModuleList<ScaledDenseUnit> layers;
    [Linear(1)] Linear fc_out;
}

/// <summary>
/// He et al. 2015's CIFAR networks (Sec. 4.2) as published, at Fashion-MNIST's 28x28: a 3x3 stem convolution of 16 channels
/// and three stages of n two-convolution units at 16, 32 and 64 channels (28, 14 and 7 pixels; no pooling stem), global
/// average pooling and a 10-way linear layer: 6n+2 weight layers. Plain vs residual (option A, zero-padded shortcuts) at
/// n = 3, 5, 7, 9, 18: 20, 32, 44, 56 and 110 layers, BatchNorm after every convolution.
/// </summary>
[Network, Input(1, 28, 28)]
[BatchNorm, Activation(Nonlinearity.ReLU)]
[Variants(Residual = new[] { false, true }, Depth = new[] { 3, 5, 7, 9, 18 })]
public partial class CifarResNet
{
    [Conv(16, Kernel = 3)] Conv2d conv1;
    [Stage(Blocks = 3, Channels = 16)] ModuleList<ConvUnit> layer1;
    [Stage(Blocks = 3, Channels = 32, Stride = 2)] ModuleList<ConvUnit> layer2;
    [Stage(Blocks = 3, Channels = 64, Stride = 2)] ModuleList<ConvUnit> layer3;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(10)] Linear fc;
}

/// <summary>
/// He et al. 2016's five residual units (Fig. 4: original, BN after addition, ReLU before addition, ReLU-only pre-activation,
/// full pre-activation) in their 110-layer CIFAR network (Table 2), at 28x28: 18 units per stage, no pooling stem.
/// </summary>
[Network, Input(1, 28, 28)]
[BatchNorm, Activation(Nonlinearity.ReLU)]
[Variants(Order = new[] { UnitOrder.Original, UnitOrder.BnAfterAddition, UnitOrder.ReluBeforeAddition, UnitOrder.ReluOnlyPreActivation, UnitOrder.FullPreActivation })]
public partial class CifarOrderNet
{
    [Conv(16, Kernel = 3)] Conv2d conv1;
    [Stage(Blocks = 18, Channels = 16)] ModuleList<OrderUnit> layer1;
    [Stage(Blocks = 18, Channels = 32, Stride = 2)] ModuleList<OrderUnit> layer2;
    [Stage(Blocks = 18, Channels = 64, Stride = 2)] ModuleList<OrderUnit> layer3;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(10)] Linear fc;
}

/// <summary>
/// <see cref="DepthNet"/>'s residual network (6n+2 layers at n = 3 and 9: 20 and 56, its <see cref="ConvUnit"/> with option A
/// shortcuts as Fixup's CIFAR code has them) with its normalization and initialization varied: BatchNorm or GroupNorm (8 groups) with He's initialization, or no normalization with He's, Fixup's (Zhang et al.
/// 2019) or SkipInit's (De &amp; Smith 2020). Is it the normalization that makes deep residual networks train, or a start at
/// the identity? (The matrix also holds BatchNorm and GroupNorm with SkipInit; the experiment leaves them out.)
/// </summary>
[Network, Input(1, 28, 28)]
[BatchNorm, Activation(Nonlinearity.ReLU)]
[Variants(Normalization = new[] { NormalizationVariant.BatchNorm, NormalizationVariant.GroupNorm, NormalizationVariant.None },
          Init = new[] { Init.HeFanIn, Init.Fixup, Init.SkipInit }, Depth = new[] { 3, 9 }, Groups = 8)]
public partial class NormFreeNet
{
    [Conv(16, Kernel = 3)] Conv2d conv1;
    [MaxPool(Kernel = 2, Stride = 2)] MaxPool2d maxpool;
    [Stage(Blocks = 3, Channels = 16)] ModuleList<ConvUnit> layer1;
    [Stage(Blocks = 3, Channels = 32, Stride = 2)] ModuleList<ConvUnit> layer2;
    [Stage(Blocks = 3, Channels = 64, Stride = 2)] ModuleList<ConvUnit> layer3;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(10)] Linear fc;
}
