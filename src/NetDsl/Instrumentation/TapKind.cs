namespace NetDsl.Instrumentation;

/// <summary>What a tap point sees, which decides the statistics recorded there.</summary>
public enum TapKind
{
    /// <summary>A layer's output: mean, std, min, max, and the gradient norm in backward.</summary>
    Output,
    /// <summary>A ReLU's output: also the fractions of units never active and always active over the batch.</summary>
    ReluOutput,
    /// <summary>The input of a sigmoid: also the fractions in the near-linear region (|x| &lt; 1) and saturated (sigmoid'(x) below 1% of its maximum, |x| &gt; 5.99).</summary>
    SigmoidInput,
    /// <summary>The input of a tanh: also the fractions near-linear (|x| &lt; 1) and saturated (tanh'(x) below 1% of its maximum, |x| &gt; 2.99).</summary>
    TanhInput,
    /// <summary>A residual unit's branch output F(x), before any branch scale.</summary>
    Branch,
    /// <summary>A residual unit's shortcut output.</summary>
    Shortcut,
    /// <summary>A residual unit's sum.</summary>
    Sum,
    /// <summary>A residual unit's input as the branch sees it (its gradient is the branch's share).</summary>
    BranchInput,
    /// <summary>A residual unit's input as the shortcut sees it (its gradient is the shortcut's share).</summary>
    ShortcutInput,
}
