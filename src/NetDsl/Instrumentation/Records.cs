using System.Collections.Generic;

namespace NetDsl.Instrumentation;

/// <summary>
/// What one tap point recorded in one step. Forward statistics are over every element of the tapped
/// tensor <c>[N, ...]</c>; the unit fractions count units (positions of the per-sample shape) over the batch.
/// Taps of kind <see cref="TapKind.BranchInput"/>, <see cref="TapKind.ShortcutInput"/>, <see cref="TapKind.Branch"/>
/// and <see cref="TapKind.Shortcut"/> see tensors other taps measure already, so they record only the gradient.
/// </summary>
public sealed class TapRecord
{
    /// <summary>The tap's name, a state_dict-style path (<c>layer2.0.conv1</c>, <c>layer2.0.sum</c>).</summary>
    public required string Name { get; init; }
    /// <summary>What the tap sees.</summary>
    public required TapKind Kind { get; init; }
    /// <summary>The tapped tensor's shape, batch included.</summary>
    public required long[] Shape { get; init; }
    /// <summary>Mean of all elements.</summary>
    public double Mean { get; set; }
    /// <summary>Standard deviation of all elements (unbiased, as torch.std).</summary>
    public double Std { get; set; }
    /// <summary>Smallest element.</summary>
    public double Min { get; set; }
    /// <summary>Largest element.</summary>
    public double Max { get; set; }
    /// <summary>ReLU outputs: fraction of units that are 0 for every sample of the batch ("dead"); null elsewhere.</summary>
    public double? DeadFraction { get; set; }
    /// <summary>ReLU outputs: fraction of units positive for every sample of the batch; null elsewhere.</summary>
    public double? AlwaysActiveFraction { get; set; }
    /// <summary>Sigmoid/tanh inputs: fraction of elements with |x| &lt; 1 (the near-linear region); null elsewhere.</summary>
    public double? NearLinearFraction { get; set; }
    /// <summary>Sigmoid/tanh inputs: fraction of elements where the derivative is below 1% of its maximum; null elsewhere.</summary>
    public double? SaturatedFraction { get; set; }
    /// <summary>L2 norm of the loss gradient with respect to the tapped tensor (all elements); null until backward reaches it (after several backward passes in one step, the last one's).</summary>
    public double? GradientNorm { get; set; }
}

/// <summary>A parameter's gradient and update in one step.</summary>
public sealed class ParameterRecord
{
    /// <summary>The parameter's state_dict key (<c>layer1.0.conv1.weight</c>).</summary>
    public required string Name { get; init; }
    /// <summary>L2 norm of the parameter's gradient.</summary>
    public double GradientNorm { get; set; }
    /// <summary>L2 norm of the parameter before the optimizer step.</summary>
    public double WeightNorm { get; set; }
    /// <summary>||w_after - w_before|| / ||w_before||: the relative size of the optimizer's update; null until <see cref="Probe.CaptureUpdates"/>.</summary>
    public double? UpdateRatio { get; set; }
}

/// <summary>
/// How the gradient arriving at a residual unit's input divides between the shortcut and the branch:
/// dL/dx = dL/dx|shortcut + dL/dx|branch, the "1 + dF/dx" of He et al. 2016 (eq. 5), as norms.
/// </summary>
public sealed class ResidualSplitRecord
{
    /// <summary>The unit's path (<c>layer2.0</c>).</summary>
    public required string Unit { get; init; }
    /// <summary>||dL/dx through the shortcut||.</summary>
    public double ShortcutGradientNorm { get; set; }
    /// <summary>||dL/dx through the branch||.</summary>
    public double BranchGradientNorm { get; set; }
    /// <summary>||dL/dx|| of the sum of both paths.</summary>
    public double TotalGradientNorm { get; set; }
}

/// <summary>Everything a probe recorded in one step.</summary>
public sealed class StepRecord
{
    /// <summary>The step number given to <see cref="Probe.BeginStep"/>.</summary>
    public required int Step { get; init; }
    /// <summary>Tap records in forward order.</summary>
    public List<TapRecord> Taps { get; } = new();
    /// <summary>Parameter records in <c>named_parameters()</c> order (after <see cref="Probe.CaptureGradients"/>).</summary>
    public List<ParameterRecord> Parameters { get; } = new();
    /// <summary>Residual units' gradient split, in forward order (after backward).</summary>
    public List<ResidualSplitRecord> ResidualSplits { get; } = new();
}
