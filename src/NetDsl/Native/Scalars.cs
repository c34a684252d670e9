using TorchSharp;

namespace NetDsl.Native;

/// <summary>
/// TorchSharp scalars that stay alive. TorchSharp 0.107 turns a number given to a tensor operation (<c>x * 0.5</c>,
/// <c>x &gt; 0</c>, <c>alpha: step</c>) into a native <see cref="Scalar"/> that nothing references once its handle has been
/// passed to LibTorch; a garbage collection during the native call can then run its finalizer and free it while LibTorch
/// reads it ("Unknown scalar type", or a wrong value). Upstream: dotnet/TorchSharp PRs #1434 and #1496. NetDsl's own code
/// passes scalars that are kept alive: these static ones, or a <c>using var s = value.ToScalar();</c> local (its Dispose
/// at the end of the scope keeps it reachable through the call).
/// </summary>
internal static class Scalars
{
    /// <summary>0.</summary>
    public static readonly Scalar Zero = 0.ToScalar();
    /// <summary>1.</summary>
    public static readonly Scalar One = 1.ToScalar();
}
