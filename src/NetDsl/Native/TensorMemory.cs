using System;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace NetDsl.Native;

/// <summary>
/// Reads a CPU tensor's memory in place, without a copy: TorchSharp 0.107 has no span over a tensor's data, but its native
/// shim exports the pointer to the first element (<c>THSTensor_data</c>, LibTorch's <c>data_ptr()</c>, storage offset
/// included). Used by the probe's fused statistics and by the eval path's fold cache; both fall back to LibTorch's own
/// operations when <see cref="Available"/> is false or a tensor is not CPU, strided and contiguous.
/// </summary>
internal static unsafe class TensorMemory
{
    [DllImport("LibTorchSharp")]
    static extern IntPtr THSTensor_data(IntPtr handle);

    // Should the export ever not load under this name, callers take LibTorch's operations instead.
    static readonly Lazy<bool> Loaded = new(() =>
    {
        try
        {
            using var probe = ones(3);
            return *(float*)THSTensor_data(probe.Handle) == 1f;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    });

    /// <summary>Whether the native export loads and reads what it should (checked once per process).</summary>
    public static bool Available => Loaded.Value;

    /// <summary>Whether <paramref name="t"/>'s values lie in one block of host memory that <see cref="Bytes"/> can read: on the
    /// CPU, dense, contiguous, not empty and at most <see cref="int.MaxValue"/> bytes.</summary>
    public static bool Readable(Tensor t) =>
        Available && t.device_type == DeviceType.CPU && !t.is_sparse && t.is_contiguous() && t.numel() is > 0 and var n
        && n <= int.MaxValue / t.ElementSize;

    /// <summary>The first element of <paramref name="t"/> (see <see cref="Readable"/>); valid while the tensor lives and is
    /// not resized.</summary>
    public static void* Data(Tensor t) => (void*)THSTensor_data(t.Handle);

    /// <summary>The bytes of <paramref name="t"/> in memory order (see <see cref="Readable"/>), <c>numel x element size</c> of
    /// them; valid while the tensor lives and is not resized.</summary>
    public static ReadOnlySpan<byte> Bytes(Tensor t) => new(Data(t), (int)(t.numel() * t.ElementSize));
}
