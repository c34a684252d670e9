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
