using NetDsl;
using TorchSharp.Modules;

namespace NetDsl.Benchmarks;

/// <summary>ResNet-20's block generated without tap points, the baseline for what detached taps cost.</summary>
[Block(Taps = false), Residual(Shortcut = Shortcut.ZeroPad)]
[BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class CifarBlockNoTaps
{
    [Conv(Kernel = 3)] Conv2d conv1;
    [Conv(Kernel = 3)] Conv2d conv2;
}

/// <summary><see cref="NetDsl.Examples.ResNet20"/> generated without tap points.</summary>
[Network(Taps = false), Input(1, 28, 28)]
[BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class ResNet20NoTaps
{
    [Conv(16, Kernel = 3)] Conv2d conv1;
    [Stage(Blocks = 3, Channels = 16)] ModuleList<CifarBlockNoTaps> layer1;
    [Stage(Blocks = 3, Channels = 32, Stride = 2)] ModuleList<CifarBlockNoTaps> layer2;
    [Stage(Blocks = 3, Channels = 64, Stride = 2)] ModuleList<CifarBlockNoTaps> layer3;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(10)] Linear fc;
}
