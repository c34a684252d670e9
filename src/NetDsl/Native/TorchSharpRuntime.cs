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
    /// Initializes TorchSharp's CPU back end (idempotent, thread-safe), and on Linux applies <see cref="KeepFreedMemory"/> unless
    /// the environment turns it off (see <see cref="FreedMemoryPolicy"/>).
    /// </summary>
    /// <exception cref="TorchSharpLoadException">
    /// The native libraries did not load. The message names the cause when it is the known libstdc++
    /// mismatch (TorchSharp 0.107's shim needs GLIBCXX_3.4.32; Debian 12 and Ubuntu 22.04 have up to
    /// 3.4.30) and how to fix it.
    /// </exception>
    /// <exception cref="InvalidOperationException"><c>NETDSL_KEEP_FREED_MEMORY</c> is set to something other than 0 or 1.</exception>
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
            FreedMemoryPolicy = ApplyDefault(FreedMemoryPolicy, Environment.GetEnvironmentVariable, OperatingSystem.IsLinux(), KeepFreedMemory);
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
    /// What <see cref="EnsureLoaded()"/> did about glibc's handling of freed memory (see <see cref="KeepFreedMemory"/>):
    /// <see cref="FreedMemory.Undecided"/> until the native library is loaded.
    /// </summary>
    public static FreedMemory FreedMemoryPolicy { get; private set; }

    /// <summary>
    /// Keeps freed tensor memory in the process instead of handing it back to the kernel after every training step
    /// (Linux with glibc only). <see cref="EnsureLoaded()"/> applies it once, so every program that builds a generated module
    /// gets it, unless the environment says otherwise (<see cref="FreedMemory"/>: <c>NETDSL_KEEP_FREED_MEMORY=0</c>, or the
    /// process's own <c>GLIBC_TUNABLES</c> / <c>MALLOC_MMAP_THRESHOLD_</c> / <c>MALLOC_TRIM_THRESHOLD_</c>). Calling it yourself
    /// applies it whatever the environment says.
    /// Measured in docs/benchmarks.md: a generated ResNet-20 training step took 18,000-20,000 minor page faults (70-80 MiB mapped
    /// afresh and zeroed) per step with glibc's defaults, because glibc returns the freed top of its heap to the kernel after
    /// the step; with these settings 3-49, and the step's CPU time fell from 235 ms to 193-200 ms (PyTorch with glibc's
    /// defaults takes 0 or 13,000-28,000 faults per step, depending on its heap's layout). Sets glibc's
    /// <c>M_MMAP_THRESHOLD</c> to 32 MiB (its maximum: tensors up to that size come from the heap, not from a fresh mapping
    /// each) and <c>M_TRIM_THRESHOLD</c> to 1 GiB (the heap keeps freed memory up to that). The cost is a resident set that
    /// stays at the step's peak. Results do not change (tested bit for bit).
    /// </summary>
    /// <returns>True when both settings were applied; false on other systems or C libraries (nothing changes).</returns>
    public static bool KeepFreedMemory()
    {
        if (!OperatingSystem.IsLinux()) return false;
        var applied = SetThresholds(KeptMmapThreshold, KeptTrimThreshold);
        if (applied) FreedMemoryPolicy = FreedMemory.Kept;
        return applied;
    }

    /// <summary>The thresholds <see cref="KeepFreedMemory"/> sets, in bytes: mmap 32 MiB (glibc's maximum), trim 1 GiB.</summary>
    internal const int KeptMmapThreshold = 32 << 20, KeptTrimThreshold = 1 << 30;

    /// <summary>Sets glibc's <c>M_MMAP_THRESHOLD</c> and <c>M_TRIM_THRESHOLD</c> (bytes); true when glibc accepted both, false
    /// when the C library has no <c>mallopt</c>.</summary>
    internal static bool SetThresholds(int mmap, int trim)
    {
        try
        {
            const int TrimThreshold = -1, MmapThreshold = -3;   // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD in <malloc.h>
            return (mallopt(MmapThreshold, mmap) == 1) & (mallopt(TrimThreshold, trim) == 1);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false;   // not glibc (musl has no mallopt)
        }
    }

    /// <summary>The environment variable that turns the default off: <c>NETDSL_KEEP_FREED_MEMORY=0</c> (<c>1</c> or unset: on).</summary>
    public const string KeepFreedMemoryVariable = "NETDSL_KEEP_FREED_MEMORY";

    /// <summary>
    /// Checks this process's <c>NETDSL_KEEP_FREED_MEMORY</c> without loading anything or changing glibc's settings: a program or
    /// tool calls it at start-up so that a malformed value is refused before any work, not at the first generated module's
    /// constructor (<see cref="EnsureLoaded()"/> makes the same check).
    /// </summary>
    /// <exception cref="InvalidOperationException"><c>NETDSL_KEEP_FREED_MEMORY</c> is set to something other than 0 or 1 (the message
    /// names the variable and its values).</exception>
    public static void CheckEnvironment() => Decide(Environment.GetEnvironmentVariable, OperatingSystem.IsLinux());

    /// <summary>What the default should be in an environment (<paramref name="variable"/> reads one variable; null when unset).</summary>
    /// <exception cref="InvalidOperationException"><c>NETDSL_KEEP_FREED_MEMORY</c> is set to something other than 0 or 1.</exception>
    internal static FreedMemory Decide(Func<string, string?> variable, bool linux)
    {
        switch (variable(KeepFreedMemoryVariable))
        {
            case null or "" or "1": break;
            case "0": return FreedMemory.OptedOut;
            case var other:
                throw new InvalidOperationException(
                    $"{KeepFreedMemoryVariable} is '{other}': set it to 1 (keep freed tensor memory, the default) or 0 (glibc's own settings), or unset it.");
        }
        if (!linux) return FreedMemory.Unsupported;
        // The process chose its own thresholds: a library must not override them.
        if (variable("MALLOC_MMAP_THRESHOLD_") is { Length: > 0 } || variable("MALLOC_TRIM_THRESHOLD_") is { Length: > 0 }
            || (variable("GLIBC_TUNABLES") is { } tunables
                && (tunables.Contains("glibc.malloc.mmap_threshold", StringComparison.Ordinal) || tunables.Contains("glibc.malloc.trim_threshold", StringComparison.Ordinal))))
            return FreedMemory.ProcessSettings;
        return FreedMemory.Kept;
    }

    /// <summary>
    /// The policy after loading: <paramref name="current"/> stays <see cref="FreedMemory.Kept"/> when the program called
    /// <see cref="KeepFreedMemory"/> before the first module (the settings are applied, whatever the environment says);
    /// otherwise the environment decides (<see cref="Decide"/>) and <paramref name="keep"/> applies the default.
    /// </summary>
    /// <exception cref="InvalidOperationException"><c>NETDSL_KEEP_FREED_MEMORY</c> is set to something other than 0 or 1.</exception>
    internal static FreedMemory ApplyDefault(FreedMemory current, Func<string, string?> variable, bool linux, Func<bool> keep)
    {
        var policy = Decide(variable, linux);   // a malformed variable is an error even when the program applied the settings itself
        if (current == FreedMemory.Kept) return current;
        return policy == FreedMemory.Kept && !keep() ? FreedMemory.Unsupported : policy;
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

/// <summary>What NetDsl did about glibc's handling of freed memory when it loaded TorchSharp (<see cref="TorchSharpRuntime.FreedMemoryPolicy"/>).</summary>
public enum FreedMemory
{
    /// <summary>The native library is not loaded yet.</summary>
    Undecided,
    /// <summary>Freed memory is kept: glibc's mmap threshold 32 MiB, trim threshold 1 GiB (<see cref="TorchSharpRuntime.KeepFreedMemory"/>).</summary>
    Kept,
    /// <summary><c>NETDSL_KEEP_FREED_MEMORY=0</c>: glibc's own settings are left as they are.</summary>
    OptedOut,
    /// <summary>The process sets glibc's thresholds itself (<c>GLIBC_TUNABLES</c>, <c>MALLOC_MMAP_THRESHOLD_</c> or <c>MALLOC_TRIM_THRESHOLD_</c>): left as they are.</summary>
    ProcessSettings,
    /// <summary>Not Linux with glibc: nothing to set.</summary>
    Unsupported,
}

/// <summary>TorchSharp's native back end could not be loaded; the message says why and how to fix it.</summary>
public sealed class TorchSharpLoadException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong and the fix.</param>
    /// <param name="inner">TorchSharp's original exception, with its load trace.</param>
    public TorchSharpLoadException(string message, Exception inner) : base(message, inner) { }
}
