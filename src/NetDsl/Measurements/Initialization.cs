using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NetDsl.Measurements;

/// <summary>
/// How a network's weights start. The choice can flip a paper's conclusion (the gradient ratio across He et al. 2016's
/// unit orders separates only with <see cref="HeFanIn"/>), so every comparison names it.
/// </summary>
public enum InitScheme
{
    /// <summary>
    /// He et al. 2015 ("Delving Deep into Rectifiers", eq. 10), the fan-in form He et al. 2016 use: every convolution and
    /// linear weight from N(0, 2 / fan_in) (fan_in = in-channels x kernel area, or in-features), biases 0, BatchNorm scale 1
    /// and shift 0.
    /// </summary>
    HeFanIn,

    /// <summary>
    /// torchvision's ResNets (<c>torchvision/models/resnet.py</c>): convolution weights from N(0, 2 / fan_out)
    /// (fan_out = out-channels x kernel area), BatchNorm scale 1 and shift 0; linear layers keep PyTorch's default.
    /// </summary>
    TorchvisionFanOut,

    /// <summary>
    /// PyTorch's (and TorchSharp's) default at construction: weights from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (Kaiming-uniform
    /// with a = sqrt(5)), biases from the same bound; BatchNorm scale 1 and shift 0. Variance 1 / (3 fan_in): a third of
    /// <see cref="HeFanIn"/>'s 2 / fan_in halved, so deep ReLU nets start with shrinking signals.
    /// </summary>
    PyTorchDefault,
}

/// <summary>Applies an <see cref="InitScheme"/> to a module, in place.</summary>
public static class Initialization
{
    /// <summary>
    /// Re-initializes every <c>Conv2d</c>, <c>Linear</c> and BatchNorm layer of <paramref name="module"/> (all depths) as
    /// <paramref name="scheme"/> says, drawing from TorchSharp's global generator in module registration order (seed it with
    /// <c>torch.manual_seed</c> first; the same seed gives the same weights). <see cref="InitScheme.PyTorchDefault"/> changes
    /// nothing: a module is constructed that way (so build the module right after seeding).
    /// </summary>
    /// <param name="module">Any TorchSharp module; parameters keep their shapes, dtype and device.</param>
    /// <param name="scheme">The scheme.</param>
    /// <remarks>A network that declares its own initialization (<see cref="IDeclaresInit"/>: <c>[Init]</c> or the <c>Init</c>
    /// variant axis) is left as its constructor made it.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="scheme"/> is not a defined value.</exception>
    public static void Apply(nn.Module module, InitScheme scheme)
    {
        if (!Enum.IsDefined(scheme)) throw new ArgumentOutOfRangeException(nameof(scheme), scheme, "not an InitScheme");
        // A network that declares its initialization was built with it (its constructor applied it): a comparison-wide
        // scheme would undo a Fixup or zero-gamma start, so that network keeps its own (see Applied).
        if (module is IDeclaresInit) return;
        ApplyScheme(module, scheme);
    }

    /// <summary>
    /// What <see cref="Apply"/> gives <paramref name="module"/>: its declared <see cref="Init"/> (<see cref="IDeclaresInit"/>)
    /// when it has one, else <paramref name="scheme"/>; as a name for results and reports (<c>Fixup (declared)</c>, <c>HeFanIn</c>).
    /// </summary>
    /// <param name="module">The module.</param>
    /// <param name="scheme">The comparison's scheme.</param>
    public static string Applied(nn.Module module, InitScheme scheme) => module is IDeclaresInit d ? d.Init + DeclaredSuffix : scheme.ToString();

    const string DeclaredSuffix = " (declared)";

    /// <summary>The scheme a module declared, read back from what <see cref="Applied"/> wrote (<c>Fixup</c> from <c>Fixup (declared)</c>); null when the comparison's scheme applied (or for an empty name from older results).</summary>
    /// <param name="applied">What <see cref="Applied"/> returned.</param>
    public static string? Declared(string applied) =>
        applied.EndsWith(DeclaredSuffix, StringComparison.Ordinal) ? applied[..^DeclaredSuffix.Length] : null;

    /// <summary>The scheme itself, whatever the module declares (used by <see cref="Inits.Apply"/>).</summary>
    internal static void ApplyScheme(nn.Module module, InitScheme scheme)
    {
        if (scheme == InitScheme.PyTorchDefault) return;
        using var noGrad = no_grad();
        foreach (var (_, m) in module.named_modules())
        {
            switch (m)
            {
                case Conv2d conv:
                    nn.init.kaiming_normal_(conv.weight, mode: scheme == InitScheme.HeFanIn ? nn.init.FanInOut.FanIn : nn.init.FanInOut.FanOut,
                        nonlinearity: nn.init.NonlinearityType.ReLU);
                    if (conv.bias is { } cb) nn.init.zeros_(cb);
                    break;
                case Linear linear when scheme == InitScheme.HeFanIn:
                    nn.init.kaiming_normal_(linear.weight, mode: nn.init.FanInOut.FanIn, nonlinearity: nn.init.NonlinearityType.ReLU);
                    if (linear.bias is { } lb) nn.init.zeros_(lb);
                    break;
                case BatchNorm1d bn1:
                    ResetBatchNorm(bn1.weight, bn1.bias);
                    break;
                case BatchNorm2d bn2:
                    ResetBatchNorm(bn2.weight, bn2.bias);
                    break;
                case GroupNorm gn:   // torchvision's resnet.py resets BatchNorm and GroupNorm alike
                    ResetBatchNorm(gn.weight, gn.bias);
                    break;
                case LayerNorm ln:
                    ResetBatchNorm(ln.weight, ln.bias);
                    break;
            }
        }
    }

    static void ResetBatchNorm(Tensor? weight, Tensor? bias)
    {
        if (weight is not null) nn.init.ones_(weight);
        if (bias is not null) nn.init.zeros_(bias);
    }

    /// <summary>A one-line description of <paramref name="scheme"/> for reports (paper and formula).</summary>
    public static string Describe(InitScheme scheme) => scheme switch
    {
        InitScheme.HeFanIn => "He et al. 2015, fan-in (as He et al. 2016): conv and linear weights N(0, 2/fan_in), biases 0, normalization (BatchNorm, GroupNorm, LayerNorm) 1/0",
        InitScheme.TorchvisionFanOut => "torchvision ResNet: conv weights N(0, 2/fan_out), normalization 1/0, linear layers at PyTorch's default",
        InitScheme.PyTorchDefault => "PyTorch default: weights and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)), normalization 1/0",
        _ => throw new ArgumentOutOfRangeException(nameof(scheme)),
    };
}
