using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Runtime.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;

namespace NetDsl;

/// <summary>
/// The cheap checks PyTorch makes at run time that TorchSharp does not, made by every generated network as the first
/// statement of its <c>forward</c>, before any layer runs: the input's shape against the network's <c>[Input]</c>, its
/// dtype against the parameters', and PyTorch's BatchNorm rule (<c>torch.nn.functional._verify_batch_size</c>: in
/// training mode a BatchNorm needs more than one value per channel). A refused batch changes nothing: no layer has run,
/// no running statistic has moved.
/// <para>
/// Why the network and not each block: the network knows its <c>[Input]</c>, sees the batch first, and knows at compile
/// time the per-sample shape at every BatchNorm (its <see cref="ModelSummary"/>) and its torchvision-style path
/// (<c>layer1.0.bn1</c>); a block knows neither its path nor its map size, and checking at every BatchNorm would read
/// shapes once per layer instead of once per forward. A block called directly, outside a generated network, is not
/// checked.
/// </para>
/// <para>
/// Cost per forward: reading <c>x.shape</c> and two dtypes (native calls that never wait for a device), no tensor
/// created, nothing allocated but the shape array; with a batch of one, the training flag of each BatchNorm whose
/// per-sample map is 1x1 (or that normalizes vectors). No <c>.item()</c>, no device sync.
/// </para>
/// </summary>
public static class ForwardChecks
{
    /// <summary>Per network instance: the BatchNorm modules that a batch of one leaves with one value per channel, in forward order.</summary>
    static readonly ConditionalWeakTable<nn.Module, (string Path, long[] Shape, nn.Module Module)[]> SingleValueNorms = new();

    /// <summary>
    /// Checks a generated network's input before its forward pass runs. Called by generated code as
    /// <c>ForwardChecks.Input(this, x, Summary, this.conv1)</c>.
    /// </summary>
    /// <param name="network">The network whose forward runs (its sub-modules are looked up by their <c>state_dict</c> paths).</param>
    /// <param name="x">The input batch: <c>[N, C, H, W]</c> or <c>[N, F]</c>, with the per-sample sizes of <paramref name="summary"/>'s <see cref="ModelSummary.InputShape"/>.</param>
    /// <param name="summary">The network's compile-time summary (its <c>[Input]</c> shape and the output shape of every BatchNorm).</param>
    /// <param name="firstWeighted">The first module in forward order that has parameters (its first floating-point parameter gives the dtype the input must have), or null when the network has none.</param>
    /// <exception cref="ArgumentNullException"><paramref name="x"/> (or another argument) is null.</exception>
    /// <exception cref="ArgumentException">The input's rank or per-sample sizes differ from <c>[Input]</c>, or its dtype differs from the parameters' (an integer tensor, or float64 into a float32 module).</exception>
    /// <exception cref="InvalidOperationException">A BatchNorm layer in training mode would see one value per channel (a batch of one sample on vectors or 1x1 maps), which PyTorch refuses; the message names the layer's path and the fix.</exception>
    public static void Input(nn.Module network, Tensor x, ModelSummary summary, nn.Module? firstWeighted)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(summary);
        if (x is null) throw new ArgumentNullException(nameof(x), $"{summary.Name}.forward got a null input; pass a batch {Expected(summary.InputShape)}.");
        long[] shape = x.shape;
        var expected = summary.InputShape;
        bool sameShape = shape.Length == expected.Length + 1;
        for (int i = 0; sameShape && i < expected.Length; i++) sameShape = shape[i + 1] == expected[i];
        if (!sameShape) throw new ArgumentException(ShapeMessage(summary, shape), nameof(x));

        if (firstWeighted is not null)
        {
            var dtype = x.dtype;
            foreach (var p in firstWeighted.parameters())
            {
                if (!p.is_floating_point()) continue;
                if (p.dtype != dtype) throw new ArgumentException(DtypeMessage(summary.Name, dtype, p.dtype), nameof(x));
                break;
            }
        }

        // _verify_batch_size: N times the spatial sizes must not be 1. With the per-sample sizes checked above, only a
        // batch of one can fail, and only at a BatchNorm whose per-sample map has one value per channel.
        if (shape[0] == 1)
            foreach (var (path, normShape, module) in SingleValueNorms.GetValue(network, n => Resolve(n, summary)))
                if (module.training)
                    throw new InvalidOperationException(BatchNormMessage(summary.Name, path, normShape));
    }

    static (string, long[], nn.Module)[] Resolve(nn.Module network, ModelSummary summary)
    {
        var modules = network.named_modules().ToDictionary(m => m.name, m => m.module, StringComparer.Ordinal);
        var found = new List<(string, long[], nn.Module)>();
        foreach (var row in summary.Layers)
        {
            if (!row.Kind.StartsWith("BatchNorm", StringComparison.Ordinal)) continue;
            long values = 1;
            for (int i = 1; i < row.OutputShape.Length; i++) values *= row.OutputShape[i];
            if (values == 1 && modules.TryGetValue(row.Name, out var module)) found.Add((row.Name, row.OutputShape, module));
        }
        return found.ToArray();
    }

    static string Expected(long[] perSample) => "[N, " + string.Join(", ", perSample.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";

    static string Dims(long[] shape) => "[" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";

    static string ShapeMessage(ModelSummary summary, long[] got)
    {
        var perSample = summary.InputShape;
        string expected = Expected(perSample);
        string input = "[Input(" + string.Join(", ", perSample.Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")]";
        string head = $"{summary.Name} expects an input of shape {expected} (its {input}), got {Dims(got)}: ";
        if (got.SequenceEqual(perSample))
            return head + "a single sample without the batch dimension; add it with x.unsqueeze(0).";
        long wanted = perSample.Aggregate(1L, (a, b) => a * b);
        long perRow = got.Length == 0 ? 0 : got.Skip(1).Aggregate(1L, (a, b) => a * b);
        string reshape = "x.reshape(-1, " + string.Join(", ", perSample.Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")";
        if (got.Length > 0 && perRow == wanted)
            return head + $"the same {wanted.ToString(CultureInfo.InvariantCulture)} values per sample in another layout; reshape with {reshape}, or declare the size you feed in {input}.";
        return head + $"feed batches of {expected}, or declare the size you feed in [Input] (the compile-time Summary and checks hold for that size only).";
    }

    static string DtypeMessage(string network, ScalarType input, ScalarType parameters) =>
        $"{network}'s parameters are {parameters} ({TorchName(parameters)}) but the input is {input} ({TorchName(input)}): "
        + $"convert the input with x.to({TorchName(parameters)})"
        + (IsFloat(input) ? $", or the model with model.to({TorchName(input)})." : " (integer data such as image bytes must become floating point; scale it as you train).");

    static bool IsFloat(ScalarType t) => t is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64;

    /// <summary>PyTorch's name of a dtype, as TorchSharp spells it (<c>torch.float32</c>).</summary>
    static string TorchName(ScalarType t) => t switch
    {
        ScalarType.Byte => "torch.uint8",
        ScalarType.Int8 => "torch.int8",
        ScalarType.Int16 => "torch.int16",
        ScalarType.Int32 => "torch.int32",
        ScalarType.Int64 => "torch.int64",
        ScalarType.Float16 => "torch.float16",
        ScalarType.BFloat16 => "torch.bfloat16",
        ScalarType.Float32 => "torch.float32",
        ScalarType.Float64 => "torch.float64",
        ScalarType.Bool => "torch.bool",
        ScalarType.ComplexFloat32 => "torch.complex64",
        ScalarType.ComplexFloat64 => "torch.complex128",
        _ => "ScalarType." + t,
    };

    static string BatchNormMessage(string network, string path, long[] perSample) =>
        $"{network}: BatchNorm layer '{path}' in training mode: Expected more than 1 value per channel when training, got input size "
        + $"{Dims(new[] { 1L }.Concat(perSample).ToArray())} (PyTorch refuses this batch; TorchSharp would turn running_var into NaN). "
        + "Train on batches of 2 or more samples (drop or merge a last batch of one: drop_last), or call model.eval() to use the running statistics.";
}
