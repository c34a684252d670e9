// Seeds of the fuzzer (tests/NetDsl.Fuzzing/Seeds.cs), not compiled into it: the normalization family in small networks, so
// that mutants start from GroupNorm and LayerNorm (class and field policies, explicit layers, the Normalization axis) and
// not only from BatchNorm. Every seed must compile without a diagnostic and run (the fuzzer checks the seeds first). No
// GroupNorm on vectors here: TorchSharp 0.107's GroupNorm refuses inputs of fewer than 3 dimensions, and the generator still
// builds it there (open in issue 15; the fuzzer finds it as a summary-mismatch).
using NetDsl;
using TorchSharp.Modules;
using static NetDsl.Layer;

namespace Demo.NormFamily;

/// <summary>GroupNorm as a block policy, in the branch and in the projection shortcut (downsample.1).</summary>
[Block, Residual, GroupNorm(Groups = 4), Activation(Nonlinearity.ReLU)]
public partial class GnBlock
{
    [Conv] Conv2d conv1;
    [Conv] Conv2d conv2;
}

/// <summary>A small GroupNorm ResNet on 28x28 images: 8 and 16 channels, GroupNorm(4, C) everywhere.</summary>
[Network, Input(1, 28, 28), GroupNorm(Groups = 4), Activation(Nonlinearity.ReLU)]
public partial class GnResNet
{
    [Conv(8)] Conv2d conv1;
    [Stage(Blocks = 2, Channels = 8)] ModuleList<GnBlock> layer1;
    [Stage(Blocks = 1, Channels = 16, Stride = 2)] ModuleList<GnBlock> layer2;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(10)] Linear fc;
}

/// <summary>A LayerNorm bottleneck on maps (GroupNorm(1, C)), placed after the activation, outputs planes * 2.</summary>
[Block(Expansion = 2), Residual, LayerNorm(After = Activation), Activation(Nonlinearity.GELU)]
public partial class LnBottleneck
{
    [Conv(Kernel = 1)] Conv2d conv1;
    [Conv(Kernel = 3)] Conv2d conv2;
}

/// <summary>
/// Every form at once: GroupNorm as the network policy with Groups = 1 (LayerNorm over [C, H, W]), field overrides with
/// Groups equal to the channels (InstanceNorm) and LayerNorm, an explicit GroupNorm on maps, an explicit LayerNorm on vectors,
/// an explicit BatchNorm1d, and weight layers without normalization.
/// </summary>
[Network, Input(3, 12, 12), GroupNorm(Groups = 1, Eps = 1e-3), Activation(Nonlinearity.ReLU)]
public partial class NormForms
{
    [Conv(6), GroupNorm(Groups = 6)] Conv2d conv1;
    [Conv(6, Stride = 2), LayerNorm] Conv2d conv2;
    [Stage(Blocks = 1, Channels = 4, Stride = 2)] ModuleList<LnBottleneck> layer1;
    [GroupNorm(Groups = 2)] GroupNorm gn;
    [Conv(8, Kernel = 1), BatchNorm(Enabled = false)] Conv2d conv3;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Flatten] Flatten flatten;
    [Linear(12), LayerNorm(After = Activation)] Linear fc1;
    [LayerNorm(Eps = 1e-4)] LayerNorm ln;
    [Linear(12), BatchNorm(Enabled = false)] Linear fc2;
    [BatchNorm] BatchNorm1d bn;
    [Linear(5)] Linear fc;
}

/// <summary>An MLP with LayerNorm (Ba et al. 2016's setting): a class policy, a residual linear block, a BatchNorm override, an explicit LayerNorm.</summary>
[Block, Residual, LayerNorm, Activation(Nonlinearity.Tanh)]
public partial class LnDense
{
    [Linear] Linear fc1;
    [Linear] Linear fc2;
}

[Network, Input(20), LayerNorm, Activation(Nonlinearity.Tanh)]
public partial class LnMlp
{
    [Linear(16)] Linear fc1;
    [Stage(Blocks = 2, Channels = 16)] ModuleList<LnDense> layers;
    [Linear(8), BatchNorm(Momentum = 0.2)] Linear fc2;
    [LayerNorm] LayerNorm ln;
    [Linear(3)] Linear fc;
}

/// <summary>A BatchNorm block: the Normalization axis gives it each kind.</summary>
[Block, Residual, BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class NormAxisUnit
{
    [Conv] Conv2d conv1;
    [Conv] Conv2d conv2;
}

/// <summary>The Normalization axis with every value, Groups = 4, times the Residual axis; the explicit BatchNorm takes the axis kind.</summary>
[Network, Input(1, 16, 16), BatchNorm, Activation(Nonlinearity.ReLU)]
[Variants(Normalization = new[] { NormalizationVariant.BatchNorm, NormalizationVariant.GroupNorm, NormalizationVariant.LayerNorm, NormalizationVariant.None }, Groups = 4,
          Residual = new[] { true, false })]
public partial class NormMatrix
{
    [Conv(8)] Conv2d conv1;
    [Stage(Blocks = 1, Channels = 8)] ModuleList<NormAxisUnit> layer1;
    [Stage(Blocks = 1, Channels = 16, Stride = 2)] ModuleList<NormAxisUnit> layer2;
    [BatchNorm] BatchNorm2d bn;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(10)] Linear fc;
}

/// <summary>Pre-activation units with GroupNorm (the final norm is a GroupNorm too), and the Normalization axis over them.</summary>
[Block, Residual(Order = UnitOrder.FullPreActivation), GroupNorm(Groups = 2), Activation(Nonlinearity.ReLU)]
public partial class GnPreActBlock
{
    [Conv] Conv2d conv1;
    [Conv] Conv2d conv2;
}

[Network, Input(1, 16, 16), GroupNorm(Groups = 2), Activation(Nonlinearity.ReLU)]
[Variants(Normalization = new[] { NormalizationVariant.GroupNorm, NormalizationVariant.LayerNorm }, Groups = 2, Order = new[] { UnitOrder.Original, UnitOrder.FullPreActivation })]
public partial class GnPreAct
{
    [Conv(4), Activation(Nonlinearity.None), GroupNorm(Groups = 2)] Conv2d conv1;
    [Stage(Blocks = 2, Channels = 4)] ModuleList<GnPreActBlock> layer1;
    [Stage(Blocks = 1, Channels = 8, Stride = 2)] ModuleList<GnPreActBlock> layer2;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(10)] Linear fc;
}
