using System;
using System.Linq;
using NetDsl.Instrumentation;
using NetDsl.Measurements;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace NetDsl.Tests.Measurements;

/// <summary>Every measurement follows the module's dtype: a float64 module is measured in float64, with the float32 numbers to float32 rounding.</summary>
public class DtypeTests
{
    /// <summary>Feedforward4 (width 200, BatchNorm, ReLU) at seed 0, in float32 and as an exact float64 copy.</summary>
    static (Feedforward4 Single, Feedforward4 Double) Pair()
    {
        manual_seed(0);
        var single = new Feedforward4();
        manual_seed(0);
        var twin = new Feedforward4();
        twin.to(ScalarType.Float64);
        using (no_grad())
            foreach (var ((_, a), (_, b)) in single.named_parameters().Zip(twin.named_parameters())) b.copy_(a.to_type(ScalarType.Float64));
        return (single, twin);
    }

    static void Close(double want, double got, double relative, string what) =>
        Assert.True(Math.Abs(want - got) <= relative * Math.Max(1e-3, Math.Abs(want)), $"{what}: float64 {got} vs float32 {want}");

    [Fact]
    public void Shattered_gradients_of_a_float64_module_are_computed_in_float64()
    {
        var (single, twin) = Pair();
        Assert.Equal(ScalarType.Float64, ModelState.InputType(twin).Dtype);
        var g32 = ShatteredGradients.InputGradients(single);
        var g64 = ShatteredGradients.InputGradients(twin);
        Assert.Equal(g32.Length, g64.Length);
        for (int i = 0; i < g32.Length; i++) Close(g32[i], g64[i], 1e-3, $"df/dx at {i}");
        // The float64 gradients are not float32 values: at least one carries more than 24 bits of mantissa.
        Assert.Contains(g64, v => (double)(float)v != v);
    }

    [Fact]
    public void Slices_smoothness_covariate_shift_and_propagation_run_on_a_float64_module()
    {
        var (single, twin) = Pair();
        manual_seed(5);
        using var x32 = randn(16, 1);
        using var y32 = randn(16, 1);
        using var x64 = x32.to_type(ScalarType.Float64);
        using var y64 = y32.to_type(ScalarType.Float64);
        Func<Tensor> loss32 = () => nn.functional.mse_loss(single.call(x32), y32);
        Func<Tensor> loss64 = () => nn.functional.mse_loss(twin.call(x64), y64);

        var d32 = LossLandscape.FilterNormalizedDirection(single, new Generator(7));
        var d64 = LossLandscape.FilterNormalizedDirection(twin, new Generator(7));
        Assert.All(d64, d => Assert.Equal(ScalarType.Float64, d.dtype));
        // Same generator, same shapes: the float64 direction is the float32 one to rounding (drawn in float64).
        var s32 = LossLandscape.Slice1D(single, loss32, d64.Select(d => d.to_type(ScalarType.Float32)).ToList(), new[] { -0.5, 0, 0.5 });
        var s64 = LossLandscape.Slice1D(twin, loss64, d64, new[] { -0.5, 0, 0.5 });
        for (int i = 0; i < 3; i++) Close(s32[i], s64[i], 1e-4, $"slice point {i}");
        var p64 = LossLandscape.Slice2D(twin, loss64, d64, d64, new[] { 0.0 }, new[] { 0.0 });
        Close(s64[1], p64[0, 0], 1e-12, "2-D slice at the origin");

        var r32 = Smoothness.Probe(single, loss32, new[] { 0.01, 0.02 });
        var r64 = Smoothness.Probe(twin, loss64, new[] { 0.01, 0.02 });
        Close(r32.GradientNorm, r64.GradientNorm, 1e-4, "gradient norm");
        Close(r32.EffectiveBetaSmoothness, r64.EffectiveBetaSmoothness, 1e-2, "effective beta-smoothness");

        var layers = new[] { "fc_in.weight", "layers.0.fc1.weight", "fc_out.weight" };
        var c32 = CovariateShift.Measure(single, loss32, layers, 0.1);
        var c64 = CovariateShift.Measure(twin, loss64, layers, 0.1);
        for (int i = 0; i < layers.Length; i++) Close(c32[i].L2Distance, c64[i].L2Distance, 1e-2, $"ICS of {layers[i]}");

        Close(GradientPropagation.Log10Ratio(single, loss32, "layers"), GradientPropagation.Log10Ratio(twin, loss64, "layers"), 1e-3, "log10 ratio");
        foreach (var d in d32.Concat(d64)) d.Dispose();
    }
}
