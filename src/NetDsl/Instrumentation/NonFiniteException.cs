using System;

namespace NetDsl.Instrumentation;

/// <summary>A tapped activation or gradient, a buffer (BatchNorm running statistics), or a parameter gradient contained NaN or infinity.</summary>
public sealed class NonFiniteException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="where">The tap or parameter name.</param>
    /// <param name="pass">"forward" (activation), "backward" (gradient at a tap), "buffer (running statistics)" or "parameter gradient".</param>
    /// <param name="step">The step the probe was recording.</param>
    public NonFiniteException(string where, string pass, int step)
        : base($"non-finite values (NaN or infinity) in the {pass} at '{where}', step {step}; lower the learning rate, check the input, or add normalization")
    {
        Where = where;
        Pass = pass;
        Step = step;
    }

    /// <summary>The tap or parameter name.</summary>
    public string Where { get; }
    /// <summary>"forward", "backward", "buffer (running statistics)" or "parameter gradient".</summary>
    public string Pass { get; }
    /// <summary>The step number.</summary>
    public int Step { get; }
}
