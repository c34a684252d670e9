using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using NetDsl.Native;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace NetDsl.Tests.Native;

/// <summary>TorchSharp runs natively from the build output: forward, backward, and a gradient checked numerically.</summary>
public class NativeTorchTests
{
    public NativeTorchTests() => TorchSharpRuntime.EnsureLoaded();

    [Fact]
    public void KeepFreedMemory_applies_glibcs_settings_on_linux_and_nothing_elsewhere()
    {
        // mallopt returns 1 for each accepted setting: a wrong entry point or parameter would return 0 or throw.
        Assert.Equal(OperatingSystem.IsLinux(), TorchSharpRuntime.KeepFreedMemory());
        using var x = torch.ones(1 << 20);   // allocations still work afterwards
        Assert.Equal(1 << 20, x.sum().item<float>());
    }

    [Fact]
    public void Loading_keeps_freed_memory_by_default_so_a_16_MiB_block_comes_from_the_heap()
    {
        if (!OperatingSystem.IsLinux()) return;
        // The test process sets no malloc variables (tests/test.runsettings), so EnsureLoaded applied the default.
        Assert.Equal(FreedMemory.Kept, TorchSharpRuntime.FreedMemoryPolicy);
        // glibc's defaults would map a 16 MiB block on its own (mmap threshold 128 KiB, raised only by earlier frees); with
        // the threshold at 32 MiB it comes from the heap. glibc marks a mapped block in its size word, just before the
        // block (IS_MMAPPED, bit 1): read per block, so other test classes allocating at the same time cannot disturb it.
        var block = malloc(16 << 20);
        Assert.NotEqual(IntPtr.Zero, block);
        var sizeWord = Marshal.ReadInt64(block - 8);
        free(block);
        Assert.True(sizeWord >= 16 << 20, $"size word {sizeWord}: not glibc's chunk layout");
        Assert.Equal(0L, sizeWord & 2);
    }

    [Theory]
    [InlineData(null, null, true, FreedMemory.Kept)]
    [InlineData("1", null, true, FreedMemory.Kept)]
    [InlineData("0", null, true, FreedMemory.OptedOut)]
    [InlineData("0", null, false, FreedMemory.OptedOut)]
    [InlineData(null, null, false, FreedMemory.Unsupported)]
    [InlineData(null, "GLIBC_TUNABLES=glibc.malloc.trim_threshold=0", true, FreedMemory.ProcessSettings)]
    [InlineData(null, "GLIBC_TUNABLES=glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=65536", true, FreedMemory.ProcessSettings)]
    [InlineData(null, "GLIBC_TUNABLES=glibc.malloc.arena_max=2", true, FreedMemory.Kept)]
    [InlineData(null, "MALLOC_MMAP_THRESHOLD_=131072", true, FreedMemory.ProcessSettings)]
    [InlineData(null, "MALLOC_TRIM_THRESHOLD_=0", true, FreedMemory.ProcessSettings)]
    [InlineData("1", "MALLOC_TRIM_THRESHOLD_=0", true, FreedMemory.ProcessSettings)]
    public void The_default_yields_to_an_opt_out_and_to_the_processs_own_malloc_settings(string? flag, string? other, bool linux, FreedMemory expected)
    {
        var env = new System.Collections.Generic.Dictionary<string, string>();
        if (flag is not null) env[TorchSharpRuntime.KeepFreedMemoryVariable] = flag;
        if (other is not null) env[other[..other.IndexOf('=', StringComparison.Ordinal)]] = other[(other.IndexOf('=', StringComparison.Ordinal) + 1)..];
        Assert.Equal(expected, TorchSharpRuntime.Decide(name => env.TryGetValue(name, out var value) ? value : null, linux));
    }

    [Theory]
    [InlineData("0", null, FreedMemory.Kept)]
    [InlineData(null, "GLIBC_TUNABLES=glibc.malloc.trim_threshold=0", FreedMemory.Kept)]
    [InlineData(null, null, FreedMemory.Kept)]
    public void Loading_after_the_program_kept_freed_memory_itself_reports_it_kept_whatever_the_environment_says(string? flag, string? other, FreedMemory expected)
    {
        // KeepFreedMemory() called before the first module applied glibc's thresholds: loading must neither apply them again
        // nor report OptedOut or ProcessSettings for settings that are in force.
        var env = new System.Collections.Generic.Dictionary<string, string>();
        if (flag is not null) env[TorchSharpRuntime.KeepFreedMemoryVariable] = flag;
        if (other is not null) env[other[..other.IndexOf('=', StringComparison.Ordinal)]] = other[(other.IndexOf('=', StringComparison.Ordinal) + 1)..];
        int applied = 0;
        var policy = TorchSharpRuntime.ApplyDefault(FreedMemory.Kept, name => env.TryGetValue(name, out var value) ? value : null, true, () => ++applied > 0);
        Assert.Equal(expected, policy);
        Assert.Equal(0, applied);
    }

    [Theory]
    [InlineData(null, FreedMemory.Kept, 1)]
    [InlineData("0", FreedMemory.OptedOut, 0)]
    public void Loading_applies_the_default_only_when_the_environment_asks_for_it(string? flag, FreedMemory expected, int applications)
    {
        int applied = 0;
        var policy = TorchSharpRuntime.ApplyDefault(FreedMemory.Undecided, name => name == TorchSharpRuntime.KeepFreedMemoryVariable ? flag : null, true, () => ++applied > 0);
        Assert.Equal(expected, policy);
        Assert.Equal(applications, applied);
        Assert.Equal(FreedMemory.Unsupported, TorchSharpRuntime.ApplyDefault(FreedMemory.Undecided, _ => null, true, () => false));
        Assert.Throws<InvalidOperationException>(() => TorchSharpRuntime.ApplyDefault(FreedMemory.Kept, name => name == TorchSharpRuntime.KeepFreedMemoryVariable ? "true" : null, true, () => true));
    }

    [Theory]
    [InlineData("yes")]
    [InlineData("true")]
    [InlineData(" 1")]
    public void A_malformed_opt_out_is_an_error_that_names_the_variable_and_its_values(string value)
    {
        var e = Assert.Throws<InvalidOperationException>(() => TorchSharpRuntime.Decide(name => name == TorchSharpRuntime.KeepFreedMemoryVariable ? value : null, true));
        Assert.Equal($"NETDSL_KEEP_FREED_MEMORY is '{value}': set it to 1 (keep freed tensor memory, the default) or 0 (glibc's own settings), or unset it.", e.Message);
    }

    [Fact]
    public void Training_steps_are_bit_for_bit_the_same_whether_freed_memory_is_kept_or_returned()
    {
        if (!OperatingSystem.IsLinux()) return;
        // Process-wide settings: glibc's initial thresholds (128 KiB each: every tensor above that mapped and unmapped) for
        // one run, the kept-memory default for the other, then the default again for the rest of the suite.
        // One network and its initial state, loaded before each run (the global generator is shared with other test classes).
        using var outer = NewDisposeScope();
        var net = new NetDsl.Examples.ResNet20();
        var initial = net.state_dict().ToDictionary(e => e.Key, e => e.Value.clone());
        using var generator = new Generator(7);
        var x = randn(new long[] { 32, 1, 28, 28 }, generator: generator);
        var y = randint(0, 10, new long[] { 32 }, generator: generator);
        float[] Run()
        {
            using var scope = NewDisposeScope();
            net.load_state_dict(initial);
            var optimizer = optim.SGD(net.parameters(), 0.1, momentum: 0.9);
            var losses = new float[3];
            for (int step = 0; step < losses.Length; step++)
            {
                using var stepScope = NewDisposeScope();
                optimizer.zero_grad();
                var loss = nn.functional.cross_entropy(net.call(x), y);
                loss.backward();
                optimizer.step();
                losses[step] = loss.item<float>();
            }
            return losses.Concat(net.parameters().Select(p => p.sum().item<float>())).ToArray();
        }
        var kept = Run();
        float[] returned;
        try
        {
            Assert.True(TorchSharpRuntime.SetThresholds(128 << 10, 128 << 10));
            returned = Run();
        }
        finally
        {
            Assert.True(TorchSharpRuntime.KeepFreedMemory());
        }
        Assert.Equal(kept, returned);
    }

    [DllImport("libc")] static extern IntPtr malloc(nuint size);
    [DllImport("libc")] static extern void free(IntPtr block);

    [Fact]
    public void First_native_load_succeeds_without_TorchSharps_cpu_fallback_copy()
    {
        // When the first load fails, TorchSharp copies unpatched natives into a cpu/ folder and retries.
        Assert.False(Directory.Exists(Path.Combine(AppContext.BaseDirectory, "cpu")),
            "TorchSharp fell back to its cpu/ copy: the patched shim in runtimes/ did not load first");
        using var t = torch.ones(2, 3);
        Assert.Equal(6.0f, t.sum().item<float>());
    }

    /// <summary>Conv2d(1->3, 3x3, pad 1) -> BatchNorm2d -> ReLU -> flatten -> Linear(3*6*6 -> 4), float64.</summary>
    sealed class SmallConvNet : nn.Module<Tensor, Tensor>
    {
        public readonly TorchSharp.Modules.Conv2d conv1 = nn.Conv2d(1, 3, 3, padding: 1, bias: false, dtype: ScalarType.Float64);
        public readonly TorchSharp.Modules.BatchNorm2d bn1 = nn.BatchNorm2d(3, dtype: ScalarType.Float64);
        public readonly TorchSharp.Modules.ReLU relu = nn.ReLU();
        public readonly TorchSharp.Modules.Linear fc = nn.Linear(3 * 6 * 6, 4, dtype: ScalarType.Float64);

        public SmallConvNet() : base(nameof(SmallConvNet)) => RegisterComponents();

        public override Tensor forward(Tensor x) =>
            fc.call(relu.call(bn1.call(conv1.call(x))).flatten(1));
    }

    static double Loss(SmallConvNet net, Tensor x, Tensor y)
    {
        using var scope = NewDisposeScope();
        return nn.functional.cross_entropy(net.call(x), y).item<double>();
    }

    [Fact]
    public void Conv_BatchNorm_ReLU_Linear_gradient_matches_central_finite_difference()
    {
        torch.manual_seed(42);
        var net = new SmallConvNet();
        net.train(); // batch statistics: the BN gradient path is part of what we check
        using var x = randn(5, 1, 6, 6, dtype: ScalarType.Float64);
        using var y = tensor(new long[] { 0, 1, 2, 3, 1 });

        using (var loss = nn.functional.cross_entropy(net.call(x), y)) loss.backward();
        var weight = net.conv1.weight!;
        var analytic = weight.grad!.clone();
        Assert.Equal(new long[] { 3, 1, 3, 3 }, analytic.shape);

        // Check several entries of conv1.weight, the parameter furthest from the loss.
        const double h = 1e-6;
        foreach (var (o, ky, kx) in new[] { (0, 0, 0), (1, 1, 1), (2, 2, 1) })
        {
            double original = weight[o, 0, ky, kx].item<double>();
            using (no_grad()) weight[o, 0, ky, kx] = original + h;
            double plus = Loss(net, x, y);
            using (no_grad()) weight[o, 0, ky, kx] = original - h;
            double minus = Loss(net, x, y);
            using (no_grad()) weight[o, 0, ky, kx] = original;

            double numeric = (plus - minus) / (2 * h);
            double exact = analytic[o, 0, ky, kx].item<double>();
            double relative = Math.Abs(numeric - exact) / Math.Max(Math.Abs(numeric), Math.Abs(exact));
            Assert.True(Math.Abs(exact) > 1e-6, $"gradient at ({o},{ky},{kx}) is too small to compare: {exact}");
            Assert.True(relative < 1e-3, $"conv1.weight[{o},0,{ky},{kx}]: autograd {exact:E6}, finite difference {numeric:E6}, relative error {relative:E2}");
        }
    }

    [Fact]
    public void Every_parameter_gets_a_gradient_of_its_own_shape()
    {
        torch.manual_seed(1);
        var net = new SmallConvNet();
        using var x = randn(4, 1, 6, 6, dtype: ScalarType.Float64);
        using (var loss = net.call(x).square().mean()) loss.backward();

        var names = net.named_parameters().Select(p => p.name).ToArray();
        Assert.Equal(new[] { "conv1.weight", "bn1.weight", "bn1.bias", "fc.weight", "fc.bias" }, names);
        foreach (var (name, p) in net.named_parameters())
        {
            Assert.NotNull(p.grad);
            Assert.Equal(p.shape, p.grad!.shape);
        }
    }
}
