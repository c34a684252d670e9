using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace NetDsl.Tests.Generated.Checks;

/// <summary>Issue 12's network: a last batch of one used to turn bn1's running_var into NaN.</summary>
[Network, Input(4), BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class BnMlp
{
    [Linear(3)] Linear fc1;
    [Linear(2)] Linear fc2;
}

[Block, Residual, BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class SmallBlock
{
    [Conv(Kernel = 3)] Conv2d conv1;
    [Conv(Kernel = 3)] Conv2d conv2;
}

/// <summary>Maps of 4x4, 2x2 (layer1) and 1x1 (layer2): only layer2's BatchNorms see one value per channel with a batch of one.</summary>
[Network, Input(2, 4, 4), BatchNorm, Activation(Nonlinearity.ReLU)]
public partial class ShrinkingNet
{
    [Conv(4)] Conv2d conv1;
    [Stage(Blocks = 1, Channels = 4, Stride = 2)] ModuleList<SmallBlock> layer1;
    [Stage(Blocks = 2, Channels = 6, Stride = 2)] ModuleList<SmallBlock> layer2;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(3)] Linear fc;
}

/// <summary>A network whose first layer is a stage: its dtype comes from the first block's parameters.</summary>
[Network, Input(2, 4, 4)]
public partial class StageFirstNet
{
    [Stage(Blocks = 1, Channels = 4)] ModuleList<SmallBlock> layer1;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(3)] Linear fc;
}

/// <summary>
/// Generated networks check their input before any layer runs, as PyTorch does and TorchSharp does not (issue 12):
/// PyTorch's BatchNorm rule for training mode, the shape against [Input], the dtype against the parameters.
/// </summary>
public class ForwardCheckTests
{
    static Dictionary<string, nn.Module> Modules(nn.Module net) => net.named_modules().ToDictionary(m => m.name, m => m.module);

    static Tensor Buffer(nn.Module net, string name) => net.named_buffers().Single(b => b.name == name).buffer;

    [Fact]
    public void A_batch_of_one_in_training_mode_is_refused_before_bn1_runs_and_running_var_stays_finite()
    {
        var net = new BnMlp();
        net.train();
        using var runningVar = Buffer(net, "bn1.running_var").clone();
        using var x = tensor(new float[,] { { 1, 2, 3, 4 } });

        var e = Assert.Throws<InvalidOperationException>(() => net.call(x));
        Assert.Equal("BnMlp: BatchNorm layer 'bn1' in training mode: Expected more than 1 value per channel when training, got input size [1, 3] "
            + "(PyTorch refuses this batch; TorchSharp would turn running_var into NaN). Train on batches of 2 or more samples "
            + "(drop or merge a last batch of one: drop_last), or call model.eval() to use the running statistics.", e.Message);
        Assert.True(Buffer(net, "bn1.running_var").equal(runningVar).all().item<bool>(), "a refused batch must not move the running statistics");
        Assert.Equal(0L, Buffer(net, "bn1.num_batches_tracked").item<long>());
    }

    [Fact]
    public void Batches_PyTorch_accepts_still_run()
    {
        var net = new BnMlp();
        using var one = tensor(new float[,] { { 1, 2, 3, 4 } });
        using var two = tensor(new float[,] { { 1, 2, 3, 4 }, { 0, 1, 0, 1 } });
        using var none = zeros(0, 4);

        net.train();
        using (var y = net.call(two)) Assert.Equal(new long[] { 2, 2 }, y.shape);
        Assert.True(Buffer(net, "bn1.running_var").isfinite().all().item<bool>());
        using (var y = net.call(none)) Assert.Equal(new long[] { 0, 2 }, y.shape); // N = 0: PyTorch's product is 0, not 1

        net.eval();                                                                    // eval: running statistics, any batch
        using (var y = net.call(one)) Assert.Equal(new long[] { 1, 2 }, y.shape);

        net.train();
        Modules(net)["bn1"].eval();                                                    // a frozen BatchNorm, as in fine-tuning
        using (var y = net.call(one)) Assert.Equal(new long[] { 1, 2 }, y.shape);
    }

    [Fact]
    public void The_refused_layer_is_named_by_its_torchvision_path_and_no_earlier_BatchNorm_runs()
    {
        var net = new ShrinkingNet();
        net.train();
        using var x = randn(1, 2, 4, 4);
        var e = Assert.Throws<InvalidOperationException>(() => net.call(x));
        Assert.StartsWith("ShrinkingNet: BatchNorm layer 'layer2.0.bn1' in training mode: Expected more than 1 value per channel when training, got input size [1, 6, 1, 1]", e.Message);
        // bn1 (4x4 maps) and layer1's (2x2) would have accepted the sample; the check ran before them.
        foreach (var bn in new[] { "bn1", "layer1.0.bn1", "layer1.0.bn2", "layer1.0.downsample.1" })
            Assert.Equal(0L, Buffer(net, bn + ".num_batches_tracked").item<long>());

        // Freezing the first offender names the next one; freezing all of them lets the batch through.
        Modules(net)["layer2.0.bn1"].eval();
        e = Assert.Throws<InvalidOperationException>(() => net.call(x));
        Assert.Contains("'layer2.0.bn2'", e.Message);
        foreach (var m in Modules(net).Where(m => m.Key.StartsWith("layer2.", StringComparison.Ordinal) && m.Value is BatchNorm2d))
            m.Value.eval();
        using (var y = net.call(x)) Assert.Equal(new long[] { 1, 3 }, y.shape);
        Assert.Equal(1L, Buffer(net, "bn1.num_batches_tracked").item<long>());
    }

    [Fact]
    public void A_wrong_shape_is_an_ArgumentException_naming_expected_and_got_with_the_fix()
    {
        var mlp = new BnMlp();
        using var sample = tensor(new float[] { 1, 2, 3, 4 });
        var e = Assert.Throws<ArgumentException>(() => mlp.call(sample));
        Assert.Equal("x", e.ParamName);
        Assert.Equal("BnMlp expects an input of shape [N, 4] (its [Input(4)]), got [4]: a single sample without the batch dimension; add it with x.unsqueeze(0). (Parameter 'x')", e.Message);

        using var wide = randn(2, 5);
        e = Assert.Throws<ArgumentException>(() => mlp.call(wide));
        Assert.Equal("BnMlp expects an input of shape [N, 4] (its [Input(4)]), got [2, 5]: feed batches of [N, 4], or declare the size you feed in [Input] "
            + "(the compile-time Summary and checks hold for that size only). (Parameter 'x')", e.Message);

        var cnn = new ShrinkingNet();
        using var flat = randn(3, 32);
        e = Assert.Throws<ArgumentException>(() => cnn.call(flat));
        Assert.Equal("ShrinkingNet expects an input of shape [N, 2, 4, 4] (its [Input(2, 4, 4)]), got [3, 32]: the same 32 values per sample in another layout; "
            + "reshape with x.reshape(-1, 2, 4, 4), or declare the size you feed in [Input(2, 4, 4)]. (Parameter 'x')", e.Message);
        using var larger = randn(3, 2, 8, 8);
        Assert.Contains("got [3, 2, 8, 8]", Assert.Throws<ArgumentException>(() => cnn.call(larger)).Message);
        Assert.Throws<ArgumentNullException>(() => cnn.forward(null!));
    }

    [Fact]
    public void A_wrong_dtype_is_an_ArgumentException_naming_both_dtypes_and_the_fix()
    {
        var mlp = new BnMlp();
        using var doubles = randn(2, 4, dtype: ScalarType.Float64);
        var e = Assert.Throws<ArgumentException>(() => mlp.call(doubles));
        Assert.Equal("BnMlp's parameters are Float32 (torch.float32) but the input is Float64 (torch.float64): convert the input with x.to(torch.float32), "
            + "or the model with model.to(torch.float64). (Parameter 'x')", e.Message);

        using var integers = tensor(new long[,] { { 1, 2, 3, 4 }, { 5, 6, 7, 8 } });
        e = Assert.Throws<ArgumentException>(() => mlp.call(integers));
        Assert.Equal("BnMlp's parameters are Float32 (torch.float32) but the input is Int64 (torch.int64): convert the input with x.to(torch.float32) "
            + "(integer data such as image bytes must become floating point; scale it as you train). (Parameter 'x')", e.Message);

        mlp.to(ScalarType.Float64);                                                    // the model follows .to(): float64 runs
        using (var y = mlp.call(doubles)) Assert.Equal(ScalarType.Float64, y.dtype);

        var stageFirst = new StageFirstNet();                                          // the dtype of the first block's parameters
        using var maps = randn(2, 2, 4, 4, dtype: ScalarType.Float64);
        Assert.Contains("StageFirstNet's parameters are Float32", Assert.Throws<ArgumentException>(() => stageFirst.call(maps)).Message);
        stageFirst.to(ScalarType.Float64);
        using (var y = stageFirst.call(maps)) Assert.Equal(new long[] { 2, 3 }, y.shape);
    }
}
