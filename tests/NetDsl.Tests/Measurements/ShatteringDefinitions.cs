using NetDsl;
using TorchSharp.Modules;

namespace NetDsl.Tests.Measurements;

/// <summary>A feedforward unit of Balduzzi et al. 2017: Linear, BatchNorm, ReLU.</summary>
[Block, BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class ShatterDense { [Linear] Linear fc1; }

/// <summary>Their residual unit with BatchNorm: x + F(x), F = Linear(ReLU(BN(x))), branch scale 1.</summary>
[Block, Residual(Order = UnitOrder.FullPreActivation), BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class ShatterResidual { [Linear] Linear fc1; }

/// <summary>The same with branch scale 0.1 (x + 0.1 F(x)).</summary>
[Block, Residual(Order = UnitOrder.FullPreActivation, BranchScale = 0.1), BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class ShatterResidualSmall { [Linear] Linear fc1; }

[Network, Input(1), BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class Feedforward4 { [Linear(200)] Linear fc_in; [Stage(Blocks = 4, Channels = 200)] ModuleList<ShatterDense> layers; [Linear(1)] Linear fc_out; }

[Network, Input(1), BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class Feedforward24 { [Linear(200)] Linear fc_in; [Stage(Blocks = 24, Channels = 200)] ModuleList<ShatterDense> layers; [Linear(1)] Linear fc_out; }

[Network, Input(1), BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class Feedforward50 { [Linear(200)] Linear fc_in; [Stage(Blocks = 50, Channels = 200)] ModuleList<ShatterDense> layers; [Linear(1)] Linear fc_out; }

[Network, Input(1)]
public partial class Residual50 { [Linear(200)] Linear fc_in; [Stage(Blocks = 50, Channels = 200)] ModuleList<ShatterResidual> layers; [Linear(1)] Linear fc_out; }

[Network, Input(1)]
public partial class Residual50Small { [Linear(200)] Linear fc_in; [Stage(Blocks = 50, Channels = 200)] ModuleList<ShatterResidualSmall> layers; [Linear(1)] Linear fc_out; }

/// <summary>A two-layer fully connected unit whose order and residual connection the matrix below varies.</summary>
[Block, Residual, BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class OrderUnit { [Linear] Linear fc1; [Linear] Linear fc2; }

/// <summary>He et al. 2016 Fig. 4's unit orders, and plain units, 20 deep, width 64, at initialization.</summary>
[Network, Input(16), BatchNorm, Activation(Nonlinearity.ReLU)]
[Variants(Residual = new[] { true, false }, Order = new[] { UnitOrder.Original, UnitOrder.BnAfterAddition, UnitOrder.ReluBeforeAddition, UnitOrder.ReluOnlyPreActivation, UnitOrder.FullPreActivation })]
public partial class OrderMatrix
{
    [Linear(64)] Linear fc_in;
    [Stage(Blocks = 20, Channels = 64)] ModuleList<OrderUnit> layers;
    [Linear(1)] Linear fc_out;
}

/// <summary>A small tanh MLP, f: R -> R, for the PyTorch cross-check.</summary>
[Network, Input(1), Activation(Nonlinearity.Tanh)]
public partial class CrossCheckMlp
{
    [Linear(16)] Linear fc1;
    [Linear(16)] Linear fc2;
    [Linear(1)] Linear fc3;
}

/// <summary>The same matrix 50 units deep: where He et al. 2016's orderings separate at initialization (with He initialization).</summary>
[Network, Input(16), BatchNorm, Activation(Nonlinearity.ReLU)]
[Variants(Residual = new[] { true, false }, Order = new[] { UnitOrder.Original, UnitOrder.BnAfterAddition, UnitOrder.ReluBeforeAddition, UnitOrder.ReluOnlyPreActivation, UnitOrder.FullPreActivation })]
public partial class OrderMatrix50
{
    [Linear(64)] Linear fc_in;
    [Stage(Blocks = 50, Channels = 64)] ModuleList<OrderUnit> layers;
    [Linear(1)] Linear fc_out;
}
