using System.Linq;
using NetDsl.Generators.Diagnostics;
using NetDsl.Generators.Model;

namespace NetDsl.Generators.Kinds.Layers;

/// <summary>What a kind's <see cref="ILayerKind.Infer"/> gets from shape inference: the layer, its input and the sizes the planner decided.</summary>
internal sealed class LayerShape
{
    readonly System.Action<Microsoft.CodeAnalysis.DiagnosticDescriptor, bool, string[]> report;

    /// <param name="layer">The layer.</param>
    /// <param name="input">Its per-sample input shape, <c>[C, H, W]</c> or <c>[F]</c>.</param>
    /// <param name="out">A weight layer's output channels or features (the block's planes, or the declared size).</param>
    /// <param name="stride">A convolution's stride (the block's, when it takes it).</param>
    /// <param name="bias">Whether a weight layer has a bias.</param>
    /// <param name="name">The layer as messages name it (<c>conv1</c>, or <c>layer1.0.conv1 in block BasicBlock</c>).</param>
    /// <param name="report">Reports a diagnostic at the layer (false) or at its field's type (true).</param>
    public LayerShape(LayerSpec layer, long[] input, long @out, long stride, bool bias, string name, System.Action<Microsoft.CodeAnalysis.DiagnosticDescriptor, bool, string[]> report)
    {
        Layer = layer;
        Input = input;
        Out = @out;
        Stride = stride;
        Bias = bias;
        Name = name;
        this.report = report;
    }

    public LayerSpec Layer { get; }
    public long[] Input { get; }
    public long Out { get; }
    public long Stride { get; }
    public bool Bias { get; }
    public string Name { get; }
    /// <summary>The input is a map <c>[C, H, W]</c>.</summary>
    public bool Map => Input.Length == 3;

    /// <summary>Reports <paramref name="d"/> at the layer (its attribute, or the block's use site).</summary>
    public void Report(Microsoft.CodeAnalysis.DiagnosticDescriptor d, params string[] args) => report(d, false, args);
    /// <summary>Reports <paramref name="d"/> at the layer's field type (in a network; in a block, at the use site).</summary>
    public void ReportAtType(Microsoft.CodeAnalysis.DiagnosticDescriptor d, params string[] args) => report(d, true, args);

    /// <summary>A shape as messages show it: <c>64, 8, 8</c>.</summary>
    public static string Show(long[] s) => string.Join(", ", s);

    /// <summary>Reports ND0015 (the layer needs a map, <paramref name="module"/> names it) unless the input is one.</summary>
    public bool NeedsMap(string module)
    {
        if (Map) return true;
        Report(DiagnosticDescriptors.NeedsSpatialMap, Name, module, Show(Input));
        return false;
    }

    /// <summary>A window over the input map: the output map, or null after reporting an empty output (ND0010).</summary>
    public long[]? Window(long channels, int kernel, long stride, int padding)
    {
        long h = Windows.Output(Input[1], kernel, (int)stride, padding), w = Windows.Output(Input[2], kernel, (int)stride, padding);
        if (h > 0 && w > 0) return new[] { channels, h, w };
        Report(DiagnosticDescriptors.EmptyOutput, Name, Show(Input), $"{kernel}x{kernel}", $"{Input[1] + 2 * padding}x{Input[2] + 2 * padding}");
        return null;
    }
}

/// <summary>Window arithmetic shared by convolutions, pooling and shortcuts.</summary>
internal static class Windows
{
    /// <summary>Output spatial size of a convolution or pooling window: floor((n + 2p - k) / s) + 1, or 0 when the window does not fit.</summary>
    public static long Output(long n, int kernel, int stride, int padding) =>
        n + 2L * padding < kernel ? 0 : (n + 2L * padding - kernel) / stride + 1;
}
