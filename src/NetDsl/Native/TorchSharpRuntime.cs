using System;
using System.IO;
using System.Runtime.InteropServices;
using TorchSharp;

namespace NetDsl.Native;

/// <summary>
/// Loads TorchSharp's native back end once, and turns a failed load into an error that says what is
/// wrong and what to do. Generated modules call <see cref="EnsureLoaded(string)"/> from their constructors.
/// </summary>
public static class TorchSharpRuntime
{
    static readonly object Gate = new();
    static bool loaded;

    /// <summary>
    /// Initializes TorchSharp's CPU back end (idempotent, thread-safe).
    /// </summary>
    /// <exception cref="TorchSharpLoadException">
    /// The native libraries did not load. The message names the cause when it is the known libstdc++
    /// mismatch (TorchSharp 0.107's shim needs GLIBCXX_3.4.32; Debian 12 and Ubuntu 22.04 have up to
    /// 3.4.30) and how to fix it.
    /// </exception>
    public static void EnsureLoaded()
    {
        if (loaded) return;
        lock (Gate)
        {
            if (loaded) return;
            try
            {
                torch.InitializeDeviceType(DeviceType.CPU);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new TorchSharpLoadException(Explain(), e);
            }
            loaded = true;
        }
    }

    /// <summary>
    /// <see cref="EnsureLoaded()"/>, then returns <paramref name="moduleName"/>: generated constructors call it in
    /// their <c>base(...)</c> argument, because TorchSharp's <c>Module</c> constructor already needs the native library.
    /// </summary>
    /// <param name="moduleName">The module's name, passed through.</param>
    /// <returns><paramref name="moduleName"/>.</returns>
    /// <exception cref="TorchSharpLoadException">The native libraries did not load (see <see cref="EnsureLoaded()"/>).</exception>
    public static string EnsureLoaded(string moduleName)
    {
        EnsureLoaded();
        return moduleName;
    }

    /// <summary>
    /// Keeps freed tensor memory in the process instead of handing it back to the kernel after every training step
    /// (Linux with glibc only; a process-wide setting, so an explicit opt-in). Measured in docs/benchmarks.md: a
    /// generated ResNet-20 training step took 10,000-16,000 minor page faults (40-60 MiB mapped afresh and zeroed) per
    /// step, because the step's dispose scope frees its activations at once and glibc returns them; with these settings
    /// 36. Sets glibc's <c>M_MMAP_THRESHOLD</c> to 32 MiB (its maximum: tensors up to that size come from the heap, not
    /// from a fresh mapping each) and <c>M_TRIM_THRESHOLD</c> to 1 GiB (the heap keeps freed memory up to that). The
    /// cost is a resident set that stays at the step's peak.
    /// </summary>
    /// <returns>True when both settings were applied; false on other systems or C libraries (nothing changes).</returns>
    public static bool KeepFreedMemory()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            const int TrimThreshold = -1, MmapThreshold = -3;   // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD in <malloc.h>
            return (mallopt(MmapThreshold, 32 << 20) == 1) & (mallopt(TrimThreshold, 1 << 30) == 1);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false;   // not glibc (musl has no mallopt)
        }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    static extern int mallopt(int param, int value);

    static string Explain()
    {
        var shim = Path.Combine(AppContext.BaseDirectory, "runtimes", RuntimeInformation.RuntimeIdentifier, "native", "libLibTorchSharp.so");
        var common = "TorchSharp's native libraries failed to load. ";
        if (!OperatingSystem.IsLinux())
            return common + "Check that the project references the TorchSharp-cpu package (NetDsl brings it) and that the output folder holds its native libraries.";
        return common
            + "On Debian 12, Ubuntu 22.04 and other systems with GCC 12's libstdc++, TorchSharp 0.107's shim (libLibTorchSharp.so) needs GLIBCXX_3.4.32, "
            + "which NetDsl's build fixes by patching the copy in the output folder. Make sure the project references the NetDsl package "
            + "(or, inside the NetDsl repository, builds with its Directory.Build.targets), that NetDslPatchLibTorchSharp is not set to false, "
            + "and rebuild; the build log says 'NetDsl: patched ...' when it applies the fix. "
            + "Shim expected at: " + shim + ". The inner exception has TorchSharp's own trace.";
    }
}

/// <summary>TorchSharp's native back end could not be loaded; the message says why and how to fix it.</summary>
public sealed class TorchSharpLoadException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong and the fix.</param>
    /// <param name="inner">TorchSharp's original exception, with its load trace.</param>
    public TorchSharpLoadException(string message, Exception inner) : base(message, inner) { }
}
