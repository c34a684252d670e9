using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NetDsl.Benchmarks;

/// <summary>ResNet-20 (He et al. 2015, option A shortcuts) as a TorchSharp user would write it by hand.</summary>
public sealed class HandWrittenResNet20 : Module<Tensor, Tensor>
{
    sealed class Block : Module<Tensor, Tensor>
    {
        readonly Conv2d conv1; readonly BatchNorm2d bn1; readonly ReLU relu; readonly Conv2d conv2; readonly BatchNorm2d bn2;
        readonly long stride, pad;
        public Block(long inChannels, long planes, long stride) : base("block")
        {
            conv1 = Conv2d(inChannels, planes, 3, stride: stride, padding: 1, bias: false);
            bn1 = BatchNorm2d(planes);
            relu = ReLU();
            conv2 = Conv2d(planes, planes, 3, padding: 1, bias: false);
            bn2 = BatchNorm2d(planes);
            this.stride = stride;
            pad = planes - inChannels;
            RegisterComponents();
        }
        public override Tensor forward(Tensor x)
        {
            var y = bn2.call(conv2.call(relu.call(bn1.call(conv1.call(x)))));
            var shortcut = pad == 0 && stride == 1 ? x
                : functional.pad(x[TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(null, null, stride), TensorIndex.Slice(null, null, stride)], new[] { 0L, 0, 0, 0, pad / 2, pad - pad / 2 });
            return relu.call(y + shortcut);
        }
    }

    readonly Conv2d conv1; readonly BatchNorm2d bn1; readonly ReLU relu;
    readonly ModuleList<Block> layer1, layer2, layer3; readonly AdaptiveAvgPool2d avgpool; readonly Linear fc;

    public HandWrittenResNet20() : base("HandWrittenResNet20")
    {
        conv1 = Conv2d(1, 16, 3, padding: 1, bias: false);
        bn1 = BatchNorm2d(16);
        relu = ReLU();
        layer1 = ModuleList(new Block(16, 16, 1), new Block(16, 16, 1), new Block(16, 16, 1));
        layer2 = ModuleList(new Block(16, 32, 2), new Block(32, 32, 1), new Block(32, 32, 1));
        layer3 = ModuleList(new Block(32, 64, 2), new Block(64, 64, 1), new Block(64, 64, 1));
        avgpool = AdaptiveAvgPool2d(1);
        fc = Linear(64, 10);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        x = relu.call(bn1.call(conv1.call(x)));
        foreach (var b in layer1) x = b.call(x);
        foreach (var b in layer2) x = b.call(x);
        foreach (var b in layer3) x = b.call(x);
        return fc.call(avgpool.call(x).flatten(1));
    }
}

/// <summary>The 50-unit residual MLP of width 200 (DeepResidualMlp) written by hand.</summary>
public sealed class HandWrittenResidualMlp : Module<Tensor, Tensor>
{
    sealed class Unit : Module<Tensor, Tensor>
    {
        readonly Linear fc1; readonly BatchNorm1d bn1; readonly ReLU relu;
        public Unit(long width) : base("unit")
        {
            fc1 = Linear(width, width, hasBias: false);
            bn1 = BatchNorm1d(width);
            relu = ReLU();
            RegisterComponents();
        }
        public override Tensor forward(Tensor x) => relu.call(bn1.call(fc1.call(x)) + x);
    }

    readonly Linear fc_in; readonly BatchNorm1d bn_fc_in; readonly ReLU relu; readonly ModuleList<Unit> layers; readonly Linear fc_out;

    public HandWrittenResidualMlp() : base("HandWrittenResidualMlp")
    {
        fc_in = Linear(1, 200, hasBias: false);
        bn_fc_in = BatchNorm1d(200);
        relu = ReLU();
        layers = ModuleList(Enumerable.Range(0, 50).Select(_ => new Unit(200)).ToArray());
        fc_out = Linear(200, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        x = relu.call(bn_fc_in.call(fc_in.call(x)));
        foreach (var u in layers) x = u.call(x);
        return fc_out.call(x);
    }
}
