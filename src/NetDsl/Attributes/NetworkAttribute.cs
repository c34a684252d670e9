using System;

namespace NetDsl;

/// <summary>
/// Marks a <c>partial</c> class as a top-level network. The NetDsl source generator makes the class a
/// <c>TorchSharp.torch.nn.Module&lt;Tensor, Tensor&gt;</c> with a parameterless constructor, one
/// registered sub-module per annotated field (in declaration order, which is forward order), and a
/// straight-line <c>forward</c>. The input shape comes from <see cref="InputAttribute"/>.
/// </summary>
/// <example>
/// <code>
/// [Network, Input(4), Activation(Nonlinearity.ReLU)]
/// public partial class TwoLayerMlp
/// {
///     [Linear(32)] Linear fc1;   // [N, 4]  -> [N, 32], then ReLU
///     [Linear(3)]  Linear fc2;   // [N, 32] -> [N, 3]   (the head: no activation)
/// }
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class NetworkAttribute : Attribute
{
    /// <summary>
    /// Whether the generated <c>forward</c> has tap points for <see cref="Instrumentation.Probe"/> (default
    /// <c>true</c>; detached, each costs a null check). <c>false</c> exists for measuring that cost.
    /// </summary>
    public bool Taps { get; set; } = true;
}
