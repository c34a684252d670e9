using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace NetDsl.Tests.Generated;

[Network, Input(4), Activation(Nonlinearity.ReLU)]
public partial class TwoLayerMlp
{
    [Linear(32)] Linear fc1;
    [Linear(3)] Linear fc2;
}

/// <summary>The module the generator emits for the foundation's trivial declaration.</summary>
public class TwoLayerMlpTests
{
    [Fact]
    public void Has_torch_names_shapes_and_parameter_count()
    {
        var net = new TwoLayerMlp();
        var parameters = net.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);

        Assert.Equal(new[] { "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias" }, parameters.Keys);
        Assert.Equal(new long[] { 32, 4 }, parameters["fc1.weight"]);
        Assert.Equal(new long[] { 3, 32 }, parameters["fc2.weight"]);
        Assert.Equal(4 * 32 + 32 + 32 * 3 + 3, net.parameters().Sum(p => p.numel())); // 259
    }

    [Fact]
    public void Forward_is_fc2_of_relu_of_fc1()
    {
        torch.manual_seed(7);
        var net = new TwoLayerMlp();
        using var x = randn(5, 4);
        var p = net.named_parameters().ToDictionary(q => q.name, q => q.parameter);

        using var expected = nn.functional.relu(x.matmul(p["fc1.weight"].t()) + p["fc1.bias"]).matmul(p["fc2.weight"].t()) + p["fc2.bias"];
        using var actual = net.call(x);

        Assert.Equal(new long[] { 5, 3 }, actual.shape);
        Assert.True(actual.allclose(expected, rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void Forward_leaves_no_tensor_alive_but_its_result()
    {
        var net = new TwoLayerMlp();
        using var x = randn(8, 4);
        using var outer = NewDisposeScope();
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var y = net.call(x);
        Assert.Equal(before + 1, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
