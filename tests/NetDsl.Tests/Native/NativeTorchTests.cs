using System;
using System.IO;
using System.Linq;
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
