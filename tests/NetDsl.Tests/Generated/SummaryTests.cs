using System;
using System.Collections.Generic;
using System.Linq;
using NetDsl.Examples;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace NetDsl.Tests.Generated;

/// <summary>The compile-time summary agrees with the module that runs.</summary>
[Collection(NetDsl.Tests.Inference.Unfused.Collection)] // hooks on every layer in eval mode: unfused
public class SummaryTests
{
    /// <summary>Runs one forward pass with a hook on every module named in the summary; returns (name, per-sample shape) in call order.</summary>
    static List<(string Name, long[] Shape)> Trace(nn.Module<Tensor, Tensor> net, ModelSummary summary)
    {
        var names = new HashSet<string>(summary.Layers.Select(l => l.Name));
        var calls = new List<(string, long[])>();
        var handles = new List<Action>();
        foreach (var (name, module) in net.named_modules())
        {
            if (!names.Contains(name) || module is not nn.Module<Tensor, Tensor> m) continue;
            var remover = m.register_forward_hook((_, _, output) => { calls.Add((name, output.shape.Skip(1).ToArray())); return output; });
            handles.Add(remover.remove);
        }
        // Shared parameter-free modules (relu) are registered once but called at several places:
        // hooks report them under their registered name, so compare against the summary's own names.
        net.eval();
        using (NetDsl.Tests.Inference.Unfused.Scope())
        using (no_grad())
        using (var x = randn(new[] { 2L }.Concat(summary.InputShape).ToArray()))
        using (var y = net.call(x))
            Assert.Equal(new[] { 2L }.Concat(summary.OutputShape).ToArray(), y.shape);
        foreach (var remove in handles) remove();
        return calls;
    }

    public static IEnumerable<object[]> Networks() => new[]
    {
        new object[] { "ResNet20" }, new object[] { "PreActResNet20" }, new object[] { "DeepPlainMlp" }, new object[] { "DeepResidualMlp" },
        new object[] { "NestedStageNet" }, new object[] { "OnePixelNet" }, new object[] { "CnnWithDenseHead" },
    };

    static (nn.Module<Tensor, Tensor> Net, ModelSummary Summary) Build(string name) => name switch
    {
        "ResNet20" => (new ResNet20(), ResNet20.Summary),
        "PreActResNet20" => (new PreActResNet20(), PreActResNet20.Summary),
        "DeepPlainMlp" => (new DeepPlainMlp(), DeepPlainMlp.Summary),
        "DeepResidualMlp" => (new DeepResidualMlp(), DeepResidualMlp.Summary),
        "NestedStageNet" => (new Edges.NestedStageNet(), Edges.NestedStageNet.Summary),
        "OnePixelNet" => (new Edges.OnePixelNet(), Edges.OnePixelNet.Summary),
        "CnnWithDenseHead" => (new Edges.CnnWithDenseHead(), Edges.CnnWithDenseHead.Summary),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void Parameter_count_and_every_output_shape_equal_the_built_module(string name)
    {
        var (net, summary) = Build(name);
        Assert.Equal(net.parameters().Sum(p => p.numel()), summary.TotalParameters);

        // Every parameterized row's count equals the module's own parameters.
        var modules = net.named_modules().ToDictionary(m => m.Item1, m => m.Item2);
        foreach (var row in summary.Layers.Where(r => r.Parameters > 0))
            Assert.Equal(modules[row.Name].parameters(recurse: false).Sum(p => p.numel()), row.Parameters);

        // Forward order and shapes: every summary row is a module call, in order, with its shape.
        var trace = Trace(net, summary);
        var traced = trace.Where(t => !t.Name.EndsWith("relu", System.StringComparison.Ordinal)).ToList();
        var expected = summary.Layers.Where(r => !r.Name.EndsWith("relu", System.StringComparison.Ordinal)).ToList();
        Assert.Equal(expected.Select(r => r.Name), traced.Select(t => t.Name));
        for (int i = 0; i < expected.Count; i++)
            Assert.True(expected[i].OutputShape.SequenceEqual(traced[i].Shape), $"{expected[i].Name}: summary [{string.Join(", ", expected[i].OutputShape)}], module [{string.Join(", ", traced[i].Shape)}]");
    }

    [Fact]
    public void Nested_stages_take_the_blocks_stride_and_set_its_output()
    {
        var rows = Edges.NestedStageNet.Summary.Layers;
        // layer1.0 (stride 2): its nested stage's first block takes the stride; 8x8 -> 4x4 -> 2x2 after layer2.
        Assert.Equal(new long[] { 6, 4, 4 }, rows.Single(r => r.Name == "layer1.0.inner.0.conv1").OutputShape);
        Assert.Equal(new long[] { 6, 4, 4 }, rows.Single(r => r.Name == "layer1.0.downsample.0").OutputShape);
        Assert.Equal(new long[] { 8, 2, 2 }, rows.Single(r => r.Name == "layer2.1.inner.0.conv1").OutputShape);
        Assert.Equal(new long[] { 16 }, Edges.CnnWithDenseHead.Summary.Layers.Single(r => r.Name == "bn_fc1" && r.Kind == "BatchNorm1d").OutputShape);
    }

    [Fact]
    public void ResNet20_has_the_papers_size_and_layout()
    {
        // He et al. 2015, section 4.2: 6n + 2 weight layers (n = 3), 16/32/64 maps of 28/14/7 here.
        var convs = ResNet20.Summary.Layers.Where(l => l.Kind is "Conv2d" or "Linear").ToList();
        Assert.Equal(20, convs.Count);
        Assert.Equal(269_434, ResNet20.Summary.TotalParameters);
        Assert.Equal(new long[] { 64, 7, 7 }, ResNet20.Summary.Layers.Single(l => l.Name == "layer3.2.conv2").OutputShape);
        Assert.DoesNotContain(ResNet20.Summary.Layers, l => l.Name.Contains("downsample")); // option A: no parameters
        Assert.Equal(30_821_248, ResNet20.Summary.TotalMultiplyAccumulates);
    }

    [Fact]
    public void Text_table_lists_every_layer_and_the_totals()
    {
        var text = ResNet18.Summary.ToString();
        Assert.Contains("layer4.1.conv2", text);
        Assert.Contains("[512, 7, 7]", text);
        Assert.EndsWith("total: 11,689,512 parameters, 1,814,073,344 multiply-accumulates per sample", text);
    }
}
