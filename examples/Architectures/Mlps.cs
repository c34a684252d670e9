using NetDsl;
using TorchSharp.Modules;

namespace NetDsl.Examples;

/// <summary>One fully connected layer with BatchNorm1d and ReLU: the unit of a plain deep MLP.</summary>
[Block]
[BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class DenseBlock
{
    [Linear] Linear fc1;
}

/// <summary>A residual fully connected unit: <c>relu(x + bn1(fc1(x)))</c> (He et al. 2015 ordering on a vector).</summary>
[Block, Residual]
[BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class ResidualDenseBlock
{
    [Linear] Linear fc1;
}

/// <summary>
/// The feedforward net of Balduzzi et al. 2017 (shattered gradients): a scalar input, 50 hidden
/// layers of width 200 with BatchNorm and ReLU, a scalar output.
/// </summary>
[Network, Input(1)]
[BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class DeepPlainMlp
{
    [Linear(200)] Linear fc_in;
    [Stage(Blocks = 50, Channels = 200)] ModuleList<DenseBlock> layers;
    [Linear(1)] Linear fc_out;
}

/// <summary>The residual counterpart of <see cref="DeepPlainMlp"/>: 50 residual units of width 200.</summary>
[Network, Input(1)]
[BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class DeepResidualMlp
{
    [Linear(200)] Linear fc_in;
    [Stage(Blocks = 50, Channels = 200)] ModuleList<ResidualDenseBlock> layers;
    [Linear(1)] Linear fc_out;
}
