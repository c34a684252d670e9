using System;
using System.Collections.Generic;
using System.Linq;
using NetDsl.Measurements;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NetDsl;

/// <summary>A generated network that declares its initialization (<see cref="InitAttribute"/> or the <c>Init</c> variant axis).</summary>
public interface IDeclaresInit
{
    /// <summary>The scheme its constructor applied.</summary>
    Init Init { get; }
}

/// <summary>
/// A generated residual block, as the initialization family sees it: <c>out = shortcut(x) + F(x)</c> with the branch F made of
/// <see cref="BranchWeights"/> (m layers).
/// </summary>
public interface IResidualUnit
{
    /// <summary>The branch's convolution and linear layers in forward order (m = their count; a nested stage's layers are not listed).</summary>
    IReadOnlyList<nn.Module> BranchWeights { get; }

    /// <summary>The normalization whose output ends the branch (before the addition, or before an activation that ends it), or null.</summary>
    nn.Module? BranchEndNorm { get; }
}

/// <summary>Applies an <see cref="Init"/> to a built network, in place.</summary>
public static class Inits
{
    /// <summary>
    /// Applies <paramref name="init"/> to <paramref name="network"/>, drawing from TorchSharp's global generator in module
    /// registration order (seed with <c>torch.manual_seed</c> before building the network for reproducible weights). The Fixup
    /// scalars and SkipInit's <c>alpha</c> are built at their initial values (bias 0, scale 1, alpha 0) and left alone.
    /// </summary>
    /// <param name="network">A network; its residual units are the sub-modules implementing <see cref="IResidualUnit"/>.</param>
    /// <param name="init">The scheme.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="init"/> is not a defined value.</exception>
    /// <exception cref="ArgumentException"><see cref="Init.ZeroGamma"/> on a network without residual units or with a unit
    /// whose branch ends without a normalization; <see cref="Init.Fixup"/> or <see cref="Init.SkipInit"/> without residual units.</exception>
    public static void Apply(nn.Module network, Init init)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (!Enum.IsDefined(init)) throw new ArgumentOutOfRangeException(nameof(init), init, "not an Init");
        var units = network.modules().OfType<IResidualUnit>().ToList();
        if (init is Init.ZeroGamma or Init.Fixup or Init.SkipInit && units.Count == 0)
            throw new ArgumentException($"Init.{init} acts on residual branches, and '{network.GetName()}' has no residual units: use HeFanIn or HeFanOut", nameof(network));
        using var noGrad = no_grad();
        switch (init)
        {
            case Init.PyTorchDefault:
                return;
            case Init.HeFanIn:
            case Init.SkipInit:
                Initialization.ApplyScheme(network, InitScheme.HeFanIn);
                return;
            case Init.HeFanOut:
                Initialization.ApplyScheme(network, InitScheme.TorchvisionFanOut);
                return;
            case Init.ZeroGamma:
                Initialization.ApplyScheme(network, InitScheme.TorchvisionFanOut);
                foreach (var unit in units)
                {
                    var gamma = unit.BranchEndNorm switch
                    {
                        BatchNorm bn => bn.weight,
                        GroupNorm gn => gn.weight,
                        LayerNorm ln => ln.weight,
                        _ => null,
                    };
                    if (gamma is null)
                        throw new ArgumentException($"Init.ZeroGamma needs a normalization with a scale at the end of each residual branch, and a unit of '{network.GetName()}' has none: use a unit order that ends the branch with one (Original, ReluBeforeAddition, ReluOnlyPreActivation), or Init.SkipInit", nameof(network));
                    nn.init.zeros_(gamma);
                }
                return;
            case Init.Fixup:
                Fixup(network, units);
                return;
        }
    }

    /// <summary>The Fixup weights (Zhang et al. 2019, section 3, rules 1 and 2).</summary>
    static void Fixup(nn.Module network, List<IResidualUnit> units)
    {
        int branches = units.Count;
        var inBranch = new Dictionary<nn.Module, (int Index, int Count)>(ReferenceEqualityComparer.Instance);
        foreach (var unit in units)
            for (int i = 0; i < unit.BranchWeights.Count; i++) inBranch[unit.BranchWeights[i]] = (i, unit.BranchWeights.Count);
        var weights = network.modules().Where(m => m is Conv2d or Linear).ToList();
        var classifier = weights.LastOrDefault(m => m is Linear && !inBranch.ContainsKey(m));
        foreach (var m in weights)
        {
            var (weight, bias) = m switch { Conv2d c => (c.weight!, c.bias), Linear l => (l.weight!, l.bias), _ => throw new InvalidOperationException() };
            if (bias is not null) nn.init.zeros_(bias);
            if (ReferenceEquals(m, classifier)) { nn.init.zeros_(weight); continue; }
            if (inBranch.TryGetValue(m, out var at) && at.Index == at.Count - 1) { nn.init.zeros_(weight); continue; }
            double std = Math.Sqrt(2.0 / FanOut(weight));
            if (inBranch.TryGetValue(m, out at)) std *= FixupScale(branches, at.Count);
            nn.init.normal_(weight, 0, std);
        }
    }

    /// <summary>Fixup's factor for the weight layers inside a residual branch: L^(-1/(2m-2)) (Zhang et al. 2019, section 3, rule 2); 1 for m = 1.</summary>
    /// <param name="branches">L, the residual branches of the network.</param>
    /// <param name="layers">m, the weight layers of the branch.</param>
    public static double FixupScale(int branches, int layers) => layers <= 1 ? 1.0 : Math.Pow(branches, -1.0 / (2 * layers - 2));

    /// <summary>fan_out of a weight <c>[out, in, kH, kW]</c> or <c>[out, in]</c>: out x kernel area (the reference's <c>shape[0] * prod(shape[2:])</c>).</summary>
    static long FanOut(Tensor weight) => weight.shape.Skip(2).Aggregate(weight.shape[0], (a, b) => a * b);
}
