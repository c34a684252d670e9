using NetDsl;
using TorchSharp.Modules;

namespace NetDsl.Tests.Instrumentation;

/// <summary>y = x + W2 W1 x: a linear residual unit whose gradient split has a closed form.</summary>
[Block, Residual]
public partial class LinearResidualUnit
{
    [Linear(Bias = false)] Linear fc1;
    [Linear(Bias = false)] Linear fc2;
}

[Network, Input(2), Activation(Nonlinearity.ReLU)]
public partial class ReluProbeNet
{
    [Linear(3)] Linear fc1;
    [Linear(1)] Linear fc2;
}

[Network, Input(1), Activation(Nonlinearity.Sigmoid)]
public partial class SigmoidProbeNet
{
    [Linear(3)] Linear fc1;
    [Linear(1)] Linear fc2;
}

[Block, Activation(Nonlinearity.ReLU)]
public partial class PlainReluUnit
{
    [Linear] Linear fc1;
}

[Block, Residual, Activation(Nonlinearity.ReLU)]
public partial class ResidualReluUnit
{
    [Linear] Linear fc1;
}

/// <summary>30 fully connected ReLU layers of width 64, no BatchNorm, PyTorch's default initialization.</summary>
[Network, Input(16), Activation(Nonlinearity.ReLU)]
public partial class DeepPlainReluNet
{
    [Linear(64)] Linear fc_in;
    [Stage(Blocks = 30, Channels = 64)] ModuleList<PlainReluUnit> layers;
    [Linear(1)] Linear fc_out;
}

/// <summary>The residual counterpart of <see cref="DeepPlainReluNet"/>: 30 units relu(x + W x).</summary>
[Network, Input(16), Activation(Nonlinearity.ReLU)]
public partial class DeepResidualReluNet
{
    [Linear(64)] Linear fc_in;
    [Stage(Blocks = 30, Channels = 64)] ModuleList<ResidualReluUnit> layers;
    [Linear(1)] Linear fc_out;
}

[Block, Residual(Order = UnitOrder.ReluOnlyPreActivation), BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class ReluOnlyUnit { [Linear] Linear fc1; [Linear] Linear fc2; }

[Block, Residual, Activation(Nonlinearity.Tanh)]
public partial class TanhUnit { [Linear] Linear fc1; [Linear] Linear fc2; }

[Block, Residual, Activation(Nonlinearity.ReLU)]
public partial class InnerRes { [Linear] Linear fc1; }

[Block, Residual]
public partial class OuterRes { [Stage(Blocks = 1)] ModuleList<InnerRes> inner; }

[Network, Input(6)]
public partial class ProbeEdgeNet
{
    [Linear(8)] Linear fc_in;
    [Stage(Blocks = 2, Channels = 8)] ModuleList<ReluOnlyUnit> a;
    [Stage(Blocks = 2, Channels = 8)] ModuleList<TanhUnit> b;
    [Stage(Blocks = 3, Channels = 8)] ModuleList<OuterRes> c;
    [Linear(3)] Linear fc_out;
}

[Network, Input(1), Activation(Nonlinearity.Tanh)]
public partial class TanhProbeNet
{
    [Linear(3)] Linear fc1;
    [Linear(1)] Linear fc2;
}
