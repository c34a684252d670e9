using System;
using System.Linq;
using NetDsl.Tests.Generated.Twins;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NetDsl.Tests.Generated;

/// <summary>
/// Each generated module against a hand-written TorchSharp twin: the twin takes the generated module's
/// state_dict (strict, so the names match too), then both must give the same outputs and the same
/// weight gradients on the same batch, in training mode (BatchNorm on batch statistics).
/// </summary>
public class TwinTests
{
    static void AssertTwins(Module<Tensor, Tensor> generated, Module<Tensor, Tensor> twin, long[] inputShape)
    {
        var (missing, unexpected) = twin.load_state_dict(generated.state_dict(), strict: true);
        Assert.Empty(missing);
        Assert.Empty(unexpected);
        Assert.Equal(generated.state_dict().Keys, twin.state_dict().Keys);
        generated.train();
        twin.train();
        manual_seed(11);
        using var x = randn(inputShape);
        using var a = generated.call(x);
        using var b = twin.call(x);
        Assert.Equal(b.shape, a.shape);
        Assert.True(a.allclose(b, rtol: 0, atol: 1e-6), $"outputs differ by {(a - b).abs().max().item<float>():E3}");
        a.square().sum().backward();
        b.square().sum().backward();
        var twinParameters = twin.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in generated.named_parameters())
        {
            var q = twinParameters[name];
            Assert.True(p.grad!.allclose(q.grad!, rtol: 0, atol: 1e-5), $"{name}: gradients differ by {(p.grad! - q.grad!).abs().max().item<float>():E3}");
        }
    }

    // ---- plain, BatchNorm after the activation ------------------------------------------------
    sealed class PlainBnAfterActBlockTwin : Module<Tensor, Tensor>
    {
        readonly Conv2d conv1; readonly ReLU relu; readonly BatchNorm2d bn1; readonly Conv2d conv2; readonly BatchNorm2d bn2;
        public PlainBnAfterActBlockTwin(long inChannels, long planes, long stride) : base("twin")
        {
            conv1 = Conv2d(inChannels, planes, 3, stride: stride, padding: 1, bias: true);
            relu = ReLU();
            bn1 = BatchNorm2d(planes);
            conv2 = Conv2d(planes, planes, 3, padding: 1, bias: true);
            bn2 = BatchNorm2d(planes);
            RegisterComponents();
        }
        public override Tensor forward(Tensor x) => bn2.call(relu.call(conv2.call(bn1.call(relu.call(conv1.call(x))))));
    }

    sealed class PlainBnAfterActNetTwin : Module<Tensor, Tensor>
    {
        readonly Conv2d conv1; readonly ReLU relu; readonly BatchNorm2d bn1; readonly ModuleList<PlainBnAfterActBlockTwin> layer1;
        readonly AdaptiveAvgPool2d avgpool; readonly Linear fc;
        public PlainBnAfterActNetTwin() : base("twin")
        {
            conv1 = Conv2d(1, 4, 3, padding: 1, bias: true);
            relu = ReLU();
            bn1 = BatchNorm2d(4);
            layer1 = ModuleList(new PlainBnAfterActBlockTwin(4, 8, 2), new PlainBnAfterActBlockTwin(8, 8, 1));
            avgpool = AdaptiveAvgPool2d(1);
            fc = Linear(8, 3);
            RegisterComponents();
        }
        public override Tensor forward(Tensor x)
        {
            x = bn1.call(relu.call(conv1.call(x)));
            foreach (var block in layer1) x = block.call(x);
            return fc.call(avgpool.call(x).flatten(1));
        }
    }

    [Fact]
    public void Plain_net_with_BatchNorm_after_activation_equals_its_twin() =>
        AssertTwins(new PlainBnAfterActNet(), new PlainBnAfterActNetTwin(), new long[] { 6, 1, 8, 8 });

    // ---- residual, original order (He et al. 2015), projection shortcut --------------------------
    sealed class PostActBlockTwin : Module<Tensor, Tensor>
    {
        readonly Conv2d conv1; readonly BatchNorm2d bn1; readonly ReLU relu; readonly Conv2d conv2; readonly BatchNorm2d bn2;
        readonly Sequential? downsample;
        public PostActBlockTwin(long inChannels, long planes, long stride) : base("twin")
        {
            conv1 = Conv2d(inChannels, planes, 3, stride: stride, padding: 1, bias: false);
            bn1 = BatchNorm2d(planes);
            relu = ReLU();
            conv2 = Conv2d(planes, planes, 3, padding: 1, bias: false);
            bn2 = BatchNorm2d(planes);
            if (stride != 1 || inChannels != planes) downsample = Sequential(Conv2d(inChannels, planes, 1, stride: stride, bias: false), BatchNorm2d(planes));
            RegisterComponents();
        }
        public override Tensor forward(Tensor x)
        {
            var identity = downsample is null ? x : downsample.call(x);
            var y = bn2.call(conv2.call(relu.call(bn1.call(conv1.call(x)))));
            return relu.call(y + identity);
        }
    }

    sealed class PostActNetTwin : Module<Tensor, Tensor>
    {
        readonly Conv2d conv1; readonly BatchNorm2d bn1; readonly ReLU relu; readonly ModuleList<PostActBlockTwin> layer1;
        readonly AdaptiveAvgPool2d avgpool; readonly Linear fc;
        public PostActNetTwin() : base("twin")
        {
            conv1 = Conv2d(1, 4, 3, padding: 1, bias: false);
            bn1 = BatchNorm2d(4);
            relu = ReLU();
            layer1 = ModuleList(new PostActBlockTwin(4, 8, 2), new PostActBlockTwin(8, 8, 1));
            avgpool = AdaptiveAvgPool2d(1);
            fc = Linear(8, 3);
            RegisterComponents();
        }
        public override Tensor forward(Tensor x)
        {
            x = relu.call(bn1.call(conv1.call(x)));
            foreach (var block in layer1) x = block.call(x);
            return fc.call(avgpool.call(x).flatten(1));
        }
    }

    [Fact]
    public void Residual_net_with_projection_shortcut_equals_its_twin() =>
        AssertTwins(new PostActNet(), new PostActNetTwin(), new long[] { 6, 1, 8, 8 });

    // ---- residual without BatchNorm: biases on, projection without BatchNorm ----------------------
    sealed class NoBnBlockTwin : Module<Tensor, Tensor>
    {
        readonly Conv2d conv1; readonly ReLU relu; readonly Conv2d conv2; readonly Sequential? downsample;
        public NoBnBlockTwin(long inChannels, long planes, long stride) : base("twin")
        {
            conv1 = Conv2d(inChannels, planes, 3, stride: stride, padding: 1, bias: true);
            relu = ReLU();
            conv2 = Conv2d(planes, planes, 3, padding: 1, bias: true);
            if (stride != 1 || inChannels != planes) downsample = Sequential(Conv2d(inChannels, planes, 1, stride: stride, bias: true));
            RegisterComponents();
        }
        public override Tensor forward(Tensor x) =>
            relu.call(conv2.call(relu.call(conv1.call(x))) + (downsample is null ? x : downsample.call(x)));
    }

    sealed class NoBnNetTwin : Module<Tensor, Tensor>
    {
        readonly Conv2d conv1; readonly ReLU relu; readonly ModuleList<NoBnBlockTwin> layer1; readonly AdaptiveAvgPool2d avgpool; readonly Linear fc;
        public NoBnNetTwin() : base("twin")
        {
            conv1 = Conv2d(1, 4, 3, padding: 1, bias: true);
            relu = ReLU();
            layer1 = ModuleList(new NoBnBlockTwin(4, 8, 2), new NoBnBlockTwin(8, 8, 1));
            avgpool = AdaptiveAvgPool2d(1);
            fc = Linear(8, 3);
            RegisterComponents();
        }
        public override Tensor forward(Tensor x)
        {
            x = relu.call(conv1.call(x));
            foreach (var block in layer1) x = block.call(x);
            return fc.call(avgpool.call(x).flatten(1));
        }
    }

    [Fact]
    public void Residual_net_without_BatchNorm_equals_its_twin() =>
        AssertTwins(new NoBnNet(), new NoBnNetTwin(), new long[] { 6, 1, 8, 8 });

    // ---- full pre-activation (He et al. 2016), zero-padding shortcut -----------------------------
    sealed class PreActZeroPadBlockTwin : Module<Tensor, Tensor>
    {
        readonly BatchNorm2d bn1; readonly ReLU relu; readonly Conv2d conv1; readonly BatchNorm2d bn2; readonly Conv2d conv2;
        readonly long stride, inChannels, planes;
        public PreActZeroPadBlockTwin(long inChannels, long planes, long stride) : base("twin")
        {
            (this.inChannels, this.planes, this.stride) = (inChannels, planes, stride);
            bn1 = BatchNorm2d(inChannels);
            relu = ReLU();
            conv1 = Conv2d(inChannels, planes, 3, stride: stride, padding: 1, bias: false);
            bn2 = BatchNorm2d(planes);
            conv2 = Conv2d(planes, planes, 3, padding: 1, bias: false);
            RegisterComponents();
        }
        public override Tensor forward(Tensor x)
        {
            var y = conv2.call(relu.call(bn2.call(conv1.call(relu.call(bn1.call(x))))));
            if (stride == 1 && inChannels == planes) return y + x;
            // option A written out: x[:, :, ::2, ::2] with the new channels zero on both sides
            var sub = x[TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(null, null, stride), TensorIndex.Slice(null, null, stride)];
            long pad = planes - inChannels;
            var zerosBefore = zeros(sub.shape[0], pad / 2, sub.shape[2], sub.shape[3]);
            var zerosAfter = zeros(sub.shape[0], pad - pad / 2, sub.shape[2], sub.shape[3]);
            return y + cat(new[] { zerosBefore, sub, zerosAfter }, 1);
        }
    }

    sealed class PreActNetTwin : Module<Tensor, Tensor>
    {
        readonly Conv2d conv1; readonly ModuleList<PreActZeroPadBlockTwin> layer1; readonly AdaptiveAvgPool2d avgpool; readonly Linear fc;
        public PreActNetTwin() : base("twin")
        {
            conv1 = Conv2d(1, 4, 3, padding: 1, bias: true);
            layer1 = ModuleList(new PreActZeroPadBlockTwin(4, 8, 2), new PreActZeroPadBlockTwin(8, 8, 1));
            avgpool = AdaptiveAvgPool2d(1);
            fc = Linear(8, 3);
            RegisterComponents();
        }
        public override Tensor forward(Tensor x)
        {
            x = conv1.call(x);
            foreach (var block in layer1) x = block.call(x);
            return fc.call(avgpool.call(x).flatten(1));
        }
    }

    [Fact]
    public void Full_preactivation_net_with_zero_padding_shortcut_equals_its_twin() =>
        AssertTwins(new PreActNet(), new PreActNetTwin(), new long[] { 6, 1, 8, 8 });

    // ---- residual MLP with BatchNorm1d, tanh and a branch scale (Balduzzi et al. 2017) -----------
    sealed class ScaledResidualMlpBlockTwin : Module<Tensor, Tensor>
    {
        readonly Linear fc1; readonly BatchNorm1d bn1; readonly Tanh tanh; readonly Linear fc2; readonly BatchNorm1d bn2;
        public ScaledResidualMlpBlockTwin(long width) : base("twin")
        {
            fc1 = Linear(width, width, hasBias: false);
            bn1 = BatchNorm1d(width);
            tanh = Tanh();
            fc2 = Linear(width, width, hasBias: false);
            bn2 = BatchNorm1d(width);
            RegisterComponents();
        }
        static readonly Scalar BranchScale = 0.1.ToScalar();
        public override Tensor forward(Tensor x) => tanh.call(bn2.call(fc2.call(tanh.call(bn1.call(fc1.call(x))))).mul(BranchScale) + x);
    }

    sealed class ResidualMlpTwin : Module<Tensor, Tensor>
    {
        readonly Linear fc_in; readonly BatchNorm1d bn_fc_in; readonly Tanh tanh; readonly ModuleList<ScaledResidualMlpBlockTwin> layers; readonly Linear fc_out;
        public ResidualMlpTwin() : base("twin")
        {
            fc_in = Linear(5, 6, hasBias: false);
            bn_fc_in = BatchNorm1d(6);
            tanh = Tanh();
            layers = ModuleList(new ScaledResidualMlpBlockTwin(6), new ScaledResidualMlpBlockTwin(6), new ScaledResidualMlpBlockTwin(6));
            fc_out = Linear(6, 2);
            RegisterComponents();
        }
        public override Tensor forward(Tensor x)
        {
            x = tanh.call(bn_fc_in.call(fc_in.call(x)));
            foreach (var block in layers) x = block.call(x);
            return fc_out.call(x);
        }
    }

    [Fact]
    public void Residual_MLP_with_branch_scale_equals_its_twin() =>
        AssertTwins(new ResidualMlp(), new ResidualMlpTwin(), new long[] { 7, 5 });

    // ---- the other unit orders of He et al. 2016, Fig. 4 (b), (c), (d), on a vector ---------------
    sealed class OrderTwin : Module<Tensor, Tensor>
    {
        readonly Linear fc1; readonly BatchNorm1d bn1; readonly ReLU relu; readonly Linear fc2; readonly BatchNorm1d bn2;
        readonly string order;
        public OrderTwin(string order) : base("twin")
        {
            this.order = order;
            fc1 = Linear(6, 6, hasBias: false);
            bn1 = BatchNorm1d(6);
            relu = ReLU();
            fc2 = Linear(6, 6, hasBias: false); // (b): BatchNorm follows the addition, which makes a bias redundant too
            bn2 = BatchNorm1d(6);
            RegisterComponents();
        }
        public override Tensor forward(Tensor x) => order switch
        {
            "b" => relu.call(bn2.call(fc2.call(relu.call(bn1.call(fc1.call(x)))) + x)),
            "c" => relu.call(bn2.call(fc2.call(relu.call(bn1.call(fc1.call(x)))))) + x,
            _ => bn2.call(fc2.call(relu.call(bn1.call(fc1.call(relu.call(x)))))) + x,
        };
    }

    [Fact]
    public void BatchNorm_after_addition_unit_equals_its_twin() =>
        AssertTwins(new BnAfterAdditionBlock(6, 6), new OrderTwin("b"), new long[] { 7, 6 });

    [Fact]
    public void ReLU_before_addition_unit_equals_its_twin() =>
        AssertTwins(new ReluBeforeAdditionBlock(6, 6), new OrderTwin("c"), new long[] { 7, 6 });

    [Fact]
    public void ReLU_only_preactivation_unit_equals_its_twin() =>
        AssertTwins(new ReluOnlyPreActBlock(6, 6), new OrderTwin("d"), new long[] { 7, 6 });
}
