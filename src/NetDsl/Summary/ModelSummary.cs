using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace NetDsl;

/// <summary>One row of a <see cref="ModelSummary"/>: a module as the forward pass runs it.</summary>
/// <param name="Name">The module's path, as in <c>state_dict</c> keys (<c>layer1.0.conv1</c>).</param>
/// <param name="Kind">The TorchSharp module type (<c>Conv2d</c>, <c>BatchNorm2d</c>, <c>ReLU</c>, ...).</param>
/// <param name="OutputShape">Output shape per sample, batch dimension excluded: <c>[C, H, W]</c> or <c>[features]</c>.</param>
/// <param name="Parameters">Learnable parameters owned by this module (buffers such as running statistics excluded).</param>
/// <param name="MultiplyAccumulates">Multiply-accumulate operations per sample in the forward pass; counted for convolutions and linear layers only (0 elsewhere).</param>
public sealed record LayerSummary(string Name, string Kind, long[] OutputShape, long Parameters, long MultiplyAccumulates);

/// <summary>
/// The architecture of a generated network, computed by the source generator at compile time: every
/// module in forward order with its output shape, parameter count and multiply-accumulates, plus totals.
/// </summary>
public sealed class ModelSummary
{
    /// <summary>Creates a summary (the generator does this; user code reads <c>MyNetwork.Summary</c>).</summary>
    /// <param name="name">The network's type name.</param>
    /// <param name="inputShape">Per-sample input shape, batch excluded.</param>
    /// <param name="layers">Rows in forward order.</param>
    public ModelSummary(string name, long[] inputShape, IReadOnlyList<LayerSummary> layers)
    {
        Name = name;
        InputShape = inputShape;
        Layers = layers;
    }

    /// <summary>The network's type name.</summary>
    public string Name { get; }

    /// <summary>Per-sample input shape, batch excluded: <c>[C, H, W]</c> or <c>[features]</c>.</summary>
    public long[] InputShape { get; }

    /// <summary>Every module in forward order.</summary>
    public IReadOnlyList<LayerSummary> Layers { get; }

    /// <summary>Per-sample output shape of the network.</summary>
    public long[] OutputShape => Layers.Count == 0 ? InputShape : Layers[^1].OutputShape;

    /// <summary>Total learnable parameters; equals <c>module.parameters().Sum(p =&gt; p.numel())</c>.</summary>
    public long TotalParameters => Layers.Sum(l => l.Parameters);

    /// <summary>Total multiply-accumulates per sample in the forward pass (convolutions and linear layers).</summary>
    public long TotalMultiplyAccumulates => Layers.Sum(l => l.MultiplyAccumulates);

    /// <summary>A fixed-width text table: layer, kind, output shape, parameters, MACs, and totals.</summary>
    public override string ToString()
    {
        static string Shape(long[] s) => "[" + string.Join(", ", s) + "]";
        static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
        int w0 = Math.Max(5, Layers.Select(l => l.Name.Length).DefaultIfEmpty(0).Max());
        int w1 = Math.Max(4, Layers.Select(l => l.Kind.Length).DefaultIfEmpty(0).Max());
        int w2 = Math.Max(6, Layers.Select(l => Shape(l.OutputShape).Length).DefaultIfEmpty(0).Max());
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{Name}: input {Shape(InputShape)}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"{"layer".PadRight(w0)}  {"kind".PadRight(w1)}  {"output".PadRight(w2)}  {"params",12}  {"MACs",15}");
        foreach (var l in Layers)
            sb.AppendLine(CultureInfo.InvariantCulture, $"{l.Name.PadRight(w0)}  {l.Kind.PadRight(w1)}  {Shape(l.OutputShape).PadRight(w2)}  {N(l.Parameters),12}  {N(l.MultiplyAccumulates),15}");
        sb.Append(CultureInfo.InvariantCulture, $"total: {N(TotalParameters)} parameters, {N(TotalMultiplyAccumulates)} multiply-accumulates per sample");
        return sb.ToString();
    }
}
