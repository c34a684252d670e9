using System;
using System.IO;
using System.Linq;
using System.Reflection;
using NetDsl.Build;
using Xunit;

namespace NetDsl.Tests.Native;

/// <summary>The ELF analysis and patch that make TorchSharp's shim load on GCC 12 systems.</summary>
public class LibTorchSharpCompatTests
{
    static string CacheShim()
    {
        var root = typeof(LibTorchSharpCompatTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "NuGetPackageRoot").Value!;
        return Path.Combine(root, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
    }

    static string OutputShim() => Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    static byte[] SystemLibStdCxx() => File.ReadAllBytes(LibStdCxxCompat.FindSystemLibStdCxx() ?? throw new InvalidOperationException("no libstdc++.so.6"));

    static bool SystemHas(string version) =>
        System.Text.Encoding.ASCII.GetString(SystemLibStdCxx()).Contains(version + "\0", StringComparison.Ordinal);

    [Fact]
    public void Original_shim_needs_exactly_one_missing_version_bound_only_to_the_iostream_marker()
    {
        var analysis = LibStdCxxCompat.Analyze(File.ReadAllBytes(CacheShim()), SystemLibStdCxx());
        if (SystemHas("GLIBCXX_3.4.32"))
        {
            // GCC 13+ libstdc++: nothing to do, and the build must leave the shim alone.
            Assert.Equal(ShimVerdict.Loadable, analysis.Verdict);
            return;
        }

        Assert.Equal(ShimVerdict.Patchable, analysis.Verdict);
        Assert.Equal(new[] { "GLIBCXX_3.4.32" }, analysis.MissingVersions);
        Assert.Equal(new[] { "_ZSt21ios_base_library_initv" }, analysis.SymbolsOnMissingVersions);
    }

    [Fact]
    public void Marking_weak_changes_exactly_one_flag_and_makes_the_shim_loadable()
    {
        var original = File.ReadAllBytes(CacheShim());
        var patched = LibStdCxxCompat.MarkWeak(original, new[] { "GLIBCXX_3.4.32" });

        var changed = Enumerable.Range(0, original.Length).Where(i => original[i] != patched[i]).ToArray();
        Assert.Single(changed);
        Assert.Equal(original[changed[0]] | 0x2, patched[changed[0]]); // vna_flags |= VER_FLG_WEAK
        Assert.Equal(ShimVerdict.Loadable, LibStdCxxCompat.Analyze(patched, SystemLibStdCxx()).Verdict);
    }

    [Fact]
    public void Build_patched_the_output_copy_and_left_the_NuGet_cache_untouched()
    {
        var cache = File.ReadAllBytes(CacheShim());
        var output = File.ReadAllBytes(OutputShim());
        var lib = SystemLibStdCxx();

        // The cache keeps the vendor's bytes: on a GCC 12 system it still would not load.
        Assert.Equal(SystemHas("GLIBCXX_3.4.32") ? ShimVerdict.Loadable : ShimVerdict.Patchable, LibStdCxxCompat.Analyze(cache, lib).Verdict);
        // The output copy loads here, and differs from the vendor's only where the fix applies.
        Assert.Equal(ShimVerdict.Loadable, LibStdCxxCompat.Analyze(output, lib).Verdict);
        Assert.Equal(cache.Length, output.Length);
        Assert.Equal(SystemHas("GLIBCXX_3.4.32") ? 0 : 1, Enumerable.Range(0, cache.Length).Count(i => cache[i] != output[i]));
    }

    [Fact]
    public void A_missing_version_that_binds_real_symbols_is_unfixable()
    {
        // Against a "libstdc++" that defines no GLIBCXX versions at all (the shim itself), every
        // C++ symbol is missing: weakening would only defer the failure, so the verdict is Unfixable.
        var shim = File.ReadAllBytes(CacheShim());
        var analysis = LibStdCxxCompat.Analyze(shim, shim);

        Assert.Equal(ShimVerdict.Unfixable, analysis.Verdict);
        Assert.Contains("GLIBCXX_3.4", analysis.MissingVersions);
        Assert.Contains("libstdc++ lacks", analysis.Reason);
        Assert.True(analysis.SymbolsOnMissingVersions.Count > 10);
    }

    [Fact]
    public void Non_ELF_input_is_not_applicable_and_MarkWeak_rejects_it()
    {
        var text = System.Text.Encoding.ASCII.GetBytes("not an ELF file, just text that is long enough to look at the header of.");
        Assert.Equal(ShimVerdict.NotApplicable, LibStdCxxCompat.Analyze(text, SystemLibStdCxx()).Verdict);
        Assert.Equal(ShimVerdict.NotApplicable, LibStdCxxCompat.Analyze(Array.Empty<byte>(), SystemLibStdCxx()).Verdict);
        Assert.Throws<InvalidDataException>(() => LibStdCxxCompat.MarkWeak(text, new[] { "GLIBCXX_3.4.32" }));
    }
}
