using System;

namespace NetDsl;

/// <summary>
/// The shape of one input sample, without the batch dimension: <c>(features)</c> for vectors
/// (the network then takes <c>[N, features]</c>) or <c>(C, H, W)</c> for images (<c>[N, C, H, W]</c>).
/// The generator uses it to infer every layer's input size at compile time.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class InputAttribute : Attribute
{
    /// <summary>Declares the per-sample input shape.</summary>
    /// <param name="shape">One positive size (features) or three (channels, height, width).</param>
    public InputAttribute(params int[] shape) => Shape = shape;

    /// <summary>The per-sample input shape, batch dimension excluded.</summary>
    public int[] Shape { get; }
}
