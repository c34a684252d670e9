using System;
using System.Collections.Generic;
using System.Linq;
using NetDsl.Tests.Generated.Constructs;
using NetDsl.Tests.Generated.Edges;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NetDsl.Tests.Generated;

/// <summary>
/// Every construct the DSL can generate that TwinTests and TorchvisionParityTests do not already run: each shortcut
/// kind, layer kind, per-layer attribute, block feature, nesting and every value of every variant axis, run forward
/// and backward in training and eval mode against a hand-written TorchSharp twin (see <see cref="TwinAssert"/>).
/// The definitions are in ConstructDefinitions.cs and EdgeDefinitions.cs.
/// </summary>
public class ConstructTwinTests
{
    static readonly long[] Maps = { 4, 3, 8, 8 }, Logits = { 4, 3 };

    // ---- building blocks of the twins ------------------------------------------------------------------------
    static Conv2d Conv(long cin, long cout, long k, long stride = 1, bool bias = false, long? padding = null) =>
        Conv2d(cin, cout, k, stride: stride, padding: padding ?? k / 2, bias: bias);
    static (string, Module) M(string name, Module module) => (name, module);
    static Tensor Run(Twin m, string stage, Tensor x) { foreach (var block in m.Stage(stage)) x = block.call(x); return x; }
    static ModuleList<Twin> Blocks(params Twin[] blocks) => ModuleList(blocks);
    static Tensor Head(Twin m, Tensor x) => m["fc"].call(m["avgpool"].call(x).flatten(1));

    /// <summary>The activation module a generated class holds for <paramref name="kind"/>, under its torchvision-style name.</summary>
    static (string Name, Module<Tensor, Tensor> Module) Act(Nonlinearity kind, double slope) => kind switch
    {
        Nonlinearity.ReLU => ("relu", ReLU()),
        Nonlinearity.LeakyReLU => ("leaky_relu", LeakyReLU(slope)),
        Nonlinearity.Sigmoid => ("sigmoid", Sigmoid()),
        Nonlinearity.Tanh => ("tanh", Tanh()),
        Nonlinearity.GELU => ("gelu", GELU()),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    // ---- shortcuts -------------------------------------------------------------------------------------------
    /// <summary>Option C: relu(F(x) + downsample(x)) with a projection on every unit; BatchNorm in the branch and the projection or nowhere.</summary>
    static Twin ProjectionUnit(long cin, long planes, long stride, bool bn) => bn
        ? new Twin((m, x) => m["relu"].call(m["bn2"].call(m["conv2"].call(m["relu"].call(m["bn1"].call(m["conv1"].call(x))))) + m["downsample"].call(x)),
            M("conv1", Conv(cin, planes, 3, stride)), M("bn1", BatchNorm2d(planes)), M("relu", ReLU()), M("conv2", Conv(planes, planes, 3)), M("bn2", BatchNorm2d(planes)),
            M("downsample", Sequential(Conv(cin, planes, 1, stride), BatchNorm2d(planes))))
        : new Twin((m, x) => m["relu"].call(m["conv2"].call(m["relu"].call(m["conv1"].call(x))) + m["downsample"].call(x)),
            M("conv1", Conv(cin, planes, 3, stride, bias: true)), M("relu", ReLU()), M("conv2", Conv(planes, planes, 3, bias: true)),
            M("downsample", Sequential(Conv(cin, planes, 1, stride, bias: true))));

    static Twin ProjectionNetTwin(bool bn) => bn
        ? new Twin((m, x) => Head(m, Run(m, "layer2", Run(m, "layer1", m["relu"].call(m["bn1"].call(m["conv1"].call(x)))))),
            M("conv1", Conv(3, 4, 3)), M("bn1", BatchNorm2d(4)), M("relu", ReLU()),
            M("layer1", Blocks(ProjectionUnit(4, 4, 1, true))), M("layer2", Blocks(ProjectionUnit(4, 8, 2, true))),
            M("avgpool", AdaptiveAvgPool2d(1)), M("fc", Linear(8, 3)))
        : new Twin((m, x) => Head(m, Run(m, "layer2", Run(m, "layer1", m["relu"].call(m["conv1"].call(x))))),
            M("conv1", Conv(3, 4, 3, bias: true)), M("relu", ReLU()),
            M("layer1", Blocks(ProjectionUnit(4, 4, 1, false))), M("layer2", Blocks(ProjectionUnit(4, 8, 2, false))),
            M("avgpool", AdaptiveAvgPool2d(1)), M("fc", Linear(8, 3)));

    static Twin IdentityUnit(long channels) =>
        new((m, x) => m["relu"].call(m["bn2"].call(m["conv2"].call(m["relu"].call(m["bn1"].call(m["conv1"].call(x))))) + x),
            M("conv1", Conv(channels, channels, 3)), M("bn1", BatchNorm2d(channels)), M("relu", ReLU()), M("conv2", Conv(channels, channels, 3)), M("bn2", BatchNorm2d(channels)));

    static Twin IdentityNetTwin() =>
        new((m, x) => Head(m, Run(m, "layer1", m["relu"].call(m["bn1"].call(m["conv1"].call(x))))),
            M("conv1", Conv(3, 4, 3)), M("bn1", BatchNorm2d(4)), M("relu", ReLU()), M("layer1", Blocks(IdentityUnit(4), IdentityUnit(4))),
            M("avgpool", AdaptiveAvgPool2d(1)), M("fc", Linear(4, 3)));

    /// <summary>A fully connected unit; <paramref name="shortcut"/> maps x to the shortcut (the twin's own module or a hand-written zero padding).</summary>
    static Twin DenseUnit(long fin, long width, Func<Twin, Tensor, Tensor> shortcut, params (string, Module)[] extra) =>
        new((m, x) => m["relu"].call(m["bn2"].call(m["fc2"].call(m["relu"].call(m["bn1"].call(m["fc1"].call(x))))) + shortcut(m, x)),
            new[] { M("fc1", Linear(fin, width, hasBias: false)), M("bn1", BatchNorm1d(width)), M("relu", ReLU()), M("fc2", Linear(width, width, hasBias: false)), M("bn2", BatchNorm1d(width)) }
                .Concat(extra).ToArray());

    /// <summary>Option A on vectors written out: one zero feature before x and two after (6 -> 9).</summary>
    static Tensor PadSixToNine(Tensor x) => cat(new[] { zeros(x.shape[0], 1), x, zeros(x.shape[0], 2) }, 1);

    static Twin PooledDenseNetTwin() =>
        new((m, x) => m["fc"].call(Run(m, "layer2", Run(m, "layer1", m["avgpool"].call(m["relu"].call(m["bn1"].call(m["conv1"].call(x)))).flatten(1)))),
            M("conv1", Conv(3, 4, 3)), M("bn1", BatchNorm2d(4)), M("relu", ReLU()), M("avgpool", AdaptiveAvgPool2d(1)),
            M("layer1", Blocks(
                DenseUnit(4, 6, (m, x) => m["downsample"].call(x), M("downsample", Sequential(Linear(4, 6, hasBias: false), BatchNorm1d(6)))),
                DenseUnit(6, 6, (_, x) => x))),
            M("layer2", Blocks(DenseUnit(6, 9, (_, x) => PadSixToNine(x)))),
            M("fc", Linear(9, 3)));

    // ---- layer kinds -----------------------------------------------------------------------------------------
    static Twin MapLayersNetTwin() =>
        new((m, x) =>
            {
                x = m["leaky_relu"].call(m["bn1"].call(m["conv1"].call(x)));
                x = m["maxpool"].call(x);
                x = m["leaky_relu"].call(m["bn2"].call(m["conv2"].call(x)));
                x = m["bn3"].call(m["sigmoid"].call(m["conv3"].call(x)));
                x = m["gelu"].call(m["bn"].call(m["avgpool"].call(x)));
                x = m["pool"].call(m["tanh"].call(m["conv4"].call(x)));
                return m["fc"].call(m["flatten"].call(x));
            },
            M("conv1", Conv(3, 4, 3, padding: 0)), M("bn1", BatchNorm2d(4, eps: 1e-3, momentum: 0.3)), M("leaky_relu", LeakyReLU(0.2)),
            M("maxpool", MaxPool2d(3, stride: 1, padding: 1)),
            M("conv2", Conv(4, 6, 1, stride: 2, bias: true)), M("bn2", BatchNorm2d(6, eps: 1e-3, momentum: 0.3)),
            // the field's [BatchNorm(After = Activation)] replaces the class policy, Eps and Momentum included
            M("conv3", Conv(6, 6, 3, bias: true)), M("sigmoid", Sigmoid()), M("bn3", BatchNorm2d(6)),
            M("avgpool", AvgPool2d(2, stride: 1, padding: 1)), M("bn", BatchNorm2d(6, eps: 0.1)), M("gelu", GELU()),
            M("conv4", Conv(6, 5, 2, bias: true, padding: 0)), M("tanh", Tanh()), M("pool", MaxPool2d(2, stride: 2)),
            M("flatten", Flatten()), M("fc", Linear(5, 3)));

    static Twin DenseLayersNetTwin() =>
        new((m, x) =>
            {
                x = m["dropout"].call(m["tanh"].call(m["bn1"].call(m["fc1"].call(x))));
                x = m["bn"].call(m["relu"].call(m["fc2"].call(x)));
                x = m["tanh"].call(m["fc3"].call(x));
                return m["sigmoid"].call(m["fc4"].call(x));
            },
            M("fc1", Linear(10, 8, hasBias: false)), M("bn1", BatchNorm1d(8)), M("tanh", Tanh()), M("dropout", Dropout(0.5)),
            M("fc2", Linear(8, 6)), M("relu", ReLU()), M("bn", BatchNorm1d(6, momentum: 0.5)),
            M("fc3", Linear(6, 7, hasBias: false)), M("fc4", Linear(7, 3)), M("sigmoid", Sigmoid()));

    // ---- blocks: expansion, Strided, branch scale ------------------------------------------------------------
    static Twin Bottleneck(long cin, long planes, long stride)
    {
        var modules = new List<(string, Module)>
        {
            M("conv1", Conv(cin, planes, 1)), M("bn1", BatchNorm2d(planes)), M("relu", ReLU()),
            M("conv2", Conv(planes, planes, 3, stride)), M("bn2", BatchNorm2d(planes)),   // v1.5: the stride on the 3x3
            M("conv3", Conv(planes, planes * 4, 1)), M("bn3", BatchNorm2d(planes * 4)),
        };
        if (stride != 1 || cin != planes * 4) modules.Add(M("downsample", Sequential(Conv(cin, planes * 4, 1, stride), BatchNorm2d(planes * 4))));
        return new Twin((m, x) =>
        {
            var y = m["relu"].call(m["bn1"].call(m["conv1"].call(x)));
            y = m["relu"].call(m["bn2"].call(m["conv2"].call(y)));
            y = m["bn3"].call(m["conv3"].call(y));
            return m["relu"].call(y + (m.Has("downsample") ? m["downsample"].call(x) : x));
        }, modules.ToArray());
    }

    static readonly Scalar Half = 0.5.ToScalar(); // a kept Scalar, not a temporary one (NDA0001)

    static Twin StridedFirst(long cin, long planes, long stride) =>
        new((m, x) => m["relu"].call(m["bn2"].call(m["conv2"].call(m["relu"].call(m["bn1"].call(m["conv1"].call(x))))).mul(Half) + m["downsample"].call(x)),
            M("conv1", Conv(cin, planes, 1, stride)), M("bn1", BatchNorm2d(planes)), M("relu", ReLU()),     // Strided: the 1x1 takes the stride
            M("conv2", Conv(planes, planes, 3)), M("bn2", BatchNorm2d(planes)),
            M("downsample", Sequential(Conv(cin, planes, 1, stride), BatchNorm2d(planes))));

    static Twin BottleneckNetTwin() =>
        new((m, x) => Head(m, Run(m, "layer2", Run(m, "layer1", m["relu"].call(m["bn1"].call(m["conv1"].call(x)))))),
            M("conv1", Conv(3, 4, 3)), M("bn1", BatchNorm2d(4)), M("relu", ReLU()),
            M("layer1", Blocks(Bottleneck(4, 2, 2), Bottleneck(8, 2, 1))), M("layer2", Blocks(StridedFirst(8, 6, 2))),
            M("avgpool", AdaptiveAvgPool2d(1)), M("fc", Linear(6, 3)));

    // ---- nesting (EdgeDefinitions.cs) ------------------------------------------------------------------------
    static Twin Inner(long cin, long planes, long stride) =>
        new((m, x) => m["relu"].call(m["bn1"].call(m["conv1"].call(x))),
            M("conv1", Conv(cin, planes, 3, stride)), M("bn1", BatchNorm2d(planes)), M("relu", ReLU()));

    /// <summary>A residual unit around a nested stage; the unit has no BatchNorm of its own, so its projection keeps a bias.</summary>
    static Twin StageOnly(long cin, long planes, long stride)
    {
        var modules = new List<(string, Module)> { M("inner", Blocks(Inner(cin, planes, stride), Inner(planes, planes, 1))) };
        if (stride != 1 || cin != planes) modules.Add(M("downsample", Sequential(Conv(cin, planes, 1, stride, bias: true))));
        return new Twin((m, x) => Run(m, "inner", x) + (m.Has("downsample") ? m["downsample"].call(x) : x), modules.ToArray());
    }

    static Twin ConvThenStage(long cin, long planes, long stride) =>
        new((m, x) => Run(m, "inner", m["relu"].call(m["bn1"].call(m["conv1"].call(x)))),
            M("conv1", Conv(cin, planes, 1, stride)), M("bn1", BatchNorm2d(planes)), M("relu", ReLU()), M("inner", Blocks(Inner(planes, planes, 1))));

    static Twin NestedStageNetTwin() =>
        new((m, x) => Head(m, Run(m, "layer2", Run(m, "layer1", x))),
            M("layer1", Blocks(StageOnly(4, 6, 2), StageOnly(6, 6, 1))), M("layer2", Blocks(ConvThenStage(6, 8, 2), ConvThenStage(8, 8, 1))),
            M("avgpool", AdaptiveAvgPool2d(1)), M("fc", Linear(8, 3)));

    static Twin OnePixelNetTwin() =>
        new((m, x) => m["fc"].call(m["flatten"].call(Run(m, "layer1", x))),
            M("layer1", Blocks(new Twin((m, x) => m["relu"].call(m["bn2"].call(m["conv2"].call(m["relu"].call(m["bn1"].call(m["conv1"].call(x))))) + m["downsample"].call(x)),
                M("conv1", Conv(4, 4, 3, 2)), M("bn1", BatchNorm2d(4)), M("relu", ReLU()), M("conv2", Conv(4, 4, 3)), M("bn2", BatchNorm2d(4)),
                M("downsample", Sequential(Conv(4, 4, 1, 2), BatchNorm2d(4)))))),
            M("flatten", Flatten()), M("fc", Linear(4, 2)));

    /// <summary>BatchNorm2d on maps, BatchNorm1d after the flatten; the names clash (conv1 and fc1 would both give bn1), so both take the long form.</summary>
    static Twin CnnWithDenseHeadTwin() =>
        new((m, x) =>
            {
                x = m["flatten"].call(m["pool"].call(m["relu"].call(m["bn_conv1"].call(m["conv1"].call(x)))));
                return m["fc2"].call(m["dropout"].call(m["relu"].call(m["bn_fc1"].call(m["fc1"].call(x)))));
            },
            M("conv1", Conv(1, 4, 3)), M("bn_conv1", BatchNorm2d(4)), M("relu", ReLU()), M("pool", MaxPool2d(2, stride: 2)), M("flatten", Flatten()),
            M("fc1", Linear(36, 16, hasBias: false)), M("bn_fc1", BatchNorm1d(16)), M("dropout", Dropout(0.1)), M("fc2", Linear(16, 3)));

    // ---- the normalization family ----------------------------------------------------------------------------
    /// <summary>A basic unit with <paramref name="norm"/> (a module for C channels; null: none) after each convolution and in the projection.</summary>
    static Twin NormUnit(long cin, long planes, long stride, Func<long, Module<Tensor, Tensor>>? norm)
    {
        bool n = norm is not null, project = stride != 1 || cin != planes;
        var modules = new List<(string, Module)> { M("conv1", Conv(cin, planes, 3, stride, bias: !n)) };
        if (n) modules.Add(M("bn1", norm!(planes)));
        modules.Add(M("relu", ReLU()));
        modules.Add(M("conv2", Conv(planes, planes, 3, bias: !n)));
        if (n) modules.Add(M("bn2", norm!(planes)));
        if (project) modules.Add(M("downsample", n ? Sequential(Conv(cin, planes, 1, stride), norm!(planes)) : Sequential(Conv(cin, planes, 1, stride, bias: true))));
        Tensor N(Twin m, string name, Tensor t) => n ? m[name].call(t) : t;
        return new Twin((m, x) => m["relu"].call(N(m, "bn2", m["conv2"].call(m["relu"].call(N(m, "bn1", m["conv1"].call(x))))) + (project ? m["downsample"].call(x) : x)),
            modules.ToArray());
    }

    static Twin InstanceNormNetTwin() =>
        new((m, x) => Head(m, m["inorm"].call(m["relu"].call(m["bn2"].call(m["conv2"].call(m["relu"].call(m["bn1"].call(m["conv1"].call(x)))))))),
            M("conv1", Conv(3, 4, 3)), M("bn1", InstanceNorm2d(4)), M("relu", ReLU()), M("conv2", Conv(4, 6, 3, 2)), M("bn2", InstanceNorm2d(6)),
            M("inorm", InstanceNorm2d(6, eps: 1e-3)), M("avgpool", AdaptiveAvgPool2d(1)), M("fc", Linear(6, 3)));

    static Twin ZeroPadNetTwin() =>
        new((m, x) => Head(m, m["relu"].call(m["bn2"].call(m["conv2"].call(m["pad2"].call(m["pool"].call(m["relu"].call(m["bn1"].call(m["conv1"].call(m["pad1"].call(x)))))))))),
            M("pad1", ZeroPad2d(2)), M("conv1", Conv(3, 4, 5, padding: 0)), M("bn1", BatchNorm2d(4)), M("relu", ReLU()), M("pool", MaxPool2d(2, stride: 2)),
            M("pad2", ZeroPad2d(1)), M("conv2", Conv(4, 6, 3, 2, padding: 0)), M("bn2", BatchNorm2d(6)), M("avgpool", AdaptiveAvgPool2d(1)), M("fc", Linear(6, 3)));

    static Twin NormFamilyNetTwin() =>
        new((m, x) =>
            {
                x = m["relu"].call(m["bn1"].call(m["conv1"].call(x)));
                x = m["relu"].call(m["bn2"].call(m["conv2"].call(x)));
                x = m["gn"].call(Run(m, "layer2", Run(m, "layer1", x)));
                x = m["bn3"].call(m["relu"].call(m["fc3"].call(m["avgpool"].call(x).flatten(1))));
                return m["fc"].call(m["ln"].call(x));
            },
            M("conv1", Conv(3, 4, 3)), M("bn1", GroupNorm(2, 4, eps: 1e-3)), M("relu", ReLU()),
            M("conv2", Conv(4, 4, 3)), M("bn2", GroupNorm(1, 4)),                       // [LayerNorm] on maps: statistics over [C, H, W]
            M("layer1", Blocks(NormUnit(4, 4, 1, c => GroupNorm(2, c)))), M("layer2", Blocks(NormUnit(4, 8, 2, c => GroupNorm(2, c)))),
            M("gn", GroupNorm(4, 8)), M("avgpool", AdaptiveAvgPool2d(1)),
            M("fc3", Linear(8, 6)), M("bn3", LayerNorm(6)),                                // after the activation: fc3 keeps its bias
            M("ln", LayerNorm(6, eps: 1e-4)), M("fc", Linear(6, 3)));

    /// <summary>NormMatrixNet under one Normalization value: <paramref name="norm"/> builds it for C channels (null: none).</summary>
    static Twin NormMatrixTwin(Func<long, Module<Tensor, Tensor>>? norm)
    {
        bool n = norm is not null;
        var modules = new List<(string, Module)> { M("conv1", Conv(3, 4, 3, bias: !n)) };
        if (n) modules.Add(M("bn1", norm!(4)));
        modules.Add(M("relu", ReLU()));
        modules.Add(M("layer1", Blocks(NormUnit(4, 4, 1, norm))));
        modules.Add(M("layer2", Blocks(NormUnit(4, 6, 2, norm))));
        if (n) modules.Add(M("bn", norm!(6)));                                           // the explicit BatchNorm layer, of the axis kind
        modules.Add(M("avgpool", AdaptiveAvgPool2d(1)));
        modules.Add(M("fc", Linear(6, 3)));
        return new Twin((m, x) =>
        {
            x = m["conv1"].call(x);
            if (n) x = m["bn1"].call(x);
            x = Run(m, "layer2", Run(m, "layer1", m["relu"].call(x)));
            if (n) x = m["bn"].call(x);
            return Head(m, x);
        }, modules.ToArray());
    }

    static readonly Dictionary<string, (Func<long, Module<Tensor, Tensor>>? Norm, long Parameters)> NormVariants = new()
    {
        // 108 + 8; 144 + 8 + 144 + 8; 216 + 12 + 324 + 12 + projection 24 + 12; explicit 12; fc 21 (every kind has 2C parameters)
        ["NormMatrixNet.BatchNorm"] = (c => BatchNorm2d(c), 1053),
        ["NormMatrixNet.GroupNorm"] = (c => GroupNorm(2, c), 1053),
        ["NormMatrixNet.LayerNorm"] = (c => GroupNorm(1, c), 1053),
        // no parameters in any norm: 1,053 less 8 + 16 + 36 + 12
        ["NormMatrixNet.InstanceNorm"] = (c => InstanceNorm2d(c), 981),
        // every convolution with its bias: 112; 148 + 148; 222 + 330 + projection 24 + 6; fc 21
        ["NormMatrixNet.NoNorm"] = (null, 1011),
    };

    [Fact]
    public void The_normalization_axis_lists_each_kind_and_none_with_its_setting()
    {
        Assert.Equal(NormVariants.Keys, NormMatrixNet.Variants.All.Select(v => v.Name));
        Assert.Equal(new[] { "BatchNorm", "GroupNorm", "LayerNorm", "InstanceNorm", "NoNorm" }, NormMatrixNet.Variants.All.Select(v => v.Settings["Normalization"]));
        Assert.All(NormMatrixNet.Variants.All, v => Assert.Single(v.Settings));
    }

    [Theory]
    [InlineData("NormMatrixNet.BatchNorm")]
    [InlineData("NormMatrixNet.GroupNorm")]
    [InlineData("NormMatrixNet.LayerNorm")]
    [InlineData("NormMatrixNet.InstanceNorm")]
    [InlineData("NormMatrixNet.NoNorm")]
    public void Normalization_variant_equals_its_twin(string name)
    {
        var v = NormMatrixNet.Variants.All.Single(x => x.Name == name);
        var (norm, parameters) = NormVariants[name];
        manual_seed(0);
        var generated = v.Create();
        Assert.Equal(parameters, v.Summary.TotalParameters);
        TwinAssert.Equal(generated, NormMatrixTwin(norm), Maps, Logits, parameters);
    }

    // ---- the initialization family ---------------------------------------------------------------------------
    /// <summary>
    /// The generated module with every parameter drawn from N(0, 0.3^2): Fixup and SkipInit start with zero layers and scalars,
    /// which would leave most gradients zero and untested (TwinAssert wants each non-zero).
    /// </summary>
    static Module<Tensor, Tensor> Randomized(Module<Tensor, Tensor> module)
    {
        using (no_grad())
            foreach (var p in module.parameters()) p.normal_(0, 0.3);
        return module;
    }

    /// <summary>The reference FixupBasicBlock (hongyi-zhang/Fixup): conv(x + b1a) + b1b, relu, conv(. + b2a) * scale + b2b, + shortcut, relu.</summary>
    static Twin FixupUnitTwin(long cin, long planes, long stride)
    {
        bool project = stride != 1 || cin != planes;
        var modules = new List<(string, Module)> { M("conv1", Conv(cin, planes, 3, stride)), M("relu", ReLU()), M("conv2", Conv(planes, planes, 3)) };
        if (project) modules.Add(M("downsample", Sequential(Conv(cin, planes, 1, stride))));
        return new Twin((m, x) =>
            {
                var y = m["relu"].call(m["conv1"].call(x + m.S("bias1a")) + m.S("bias1b"));
                y = m["conv2"].call(y + m.S("bias2a")) * m.S("scale") + m.S("bias2b");
                return m["relu"].call(y + (project ? m["downsample"].call(x + m.S("bias1a")) : x));
            }, modules.ToArray()).WithScalars("bias1a", "bias1b", "bias2a", "scale", "bias2b");
    }

    static Twin FixupNetTwin() =>
        new Twin((m, x) =>
            {
                x = m["relu"].call(m["conv1"].call(x) + m.S("bias1b"));   // the stem sees the image itself, as the reference's relu(conv1(x) + bias1)
                x = Run(m, "layer2", Run(m, "layer1", x));
                return m["fc"].call(m["avgpool"].call(x).flatten(1) + m.S("bias_fc_a"));
            },
            M("conv1", Conv(3, 4, 3)), M("relu", ReLU()),
            M("layer1", Blocks(FixupUnitTwin(4, 4, 1), FixupUnitTwin(4, 4, 1))), M("layer2", Blocks(FixupUnitTwin(4, 6, 2))),
            M("avgpool", AdaptiveAvgPool2d(1)), M("fc", Linear(6, 3))).WithScalars("bias1b", "bias_fc_a");

    /// <summary>SkipInit (De &amp; Smith 2020): relu(alpha * F(x) + shortcut(x)) with F the BatchNorm basic branch.</summary>
    static Twin SkipInitUnitTwin(long cin, long planes, long stride)
    {
        bool project = stride != 1 || cin != planes;
        var modules = new List<(string, Module)> { M("conv1", Conv(cin, planes, 3, stride)), M("bn1", BatchNorm2d(planes)), M("relu", ReLU()), M("conv2", Conv(planes, planes, 3)), M("bn2", BatchNorm2d(planes)) };
        if (project) modules.Add(M("downsample", Sequential(Conv(cin, planes, 1, stride), BatchNorm2d(planes))));
        return new Twin((m, x) =>
                m["relu"].call(m["bn2"].call(m["conv2"].call(m["relu"].call(m["bn1"].call(m["conv1"].call(x))))) * m.S("alpha") + (project ? m["downsample"].call(x) : x)),
            modules.ToArray()).WithScalars("alpha");
    }

    static Twin SkipInitNetTwin() =>
        new((m, x) => Head(m, Run(m, "layer2", Run(m, "layer1", m["relu"].call(m["bn1"].call(m["conv1"].call(x)))))),
            M("conv1", Conv(3, 4, 3)), M("bn1", BatchNorm2d(4)), M("relu", ReLU()),
            M("layer1", Blocks(SkipInitUnitTwin(4, 4, 1), SkipInitUnitTwin(4, 4, 1))), M("layer2", Blocks(SkipInitUnitTwin(4, 6, 2))),
            M("avgpool", AdaptiveAvgPool2d(1)), M("fc", Linear(6, 3)));

    // ---- the table -------------------------------------------------------------------------------------------
    sealed record Case(Func<Module<Tensor, Tensor>> Generated, Func<Module<Tensor, Tensor>> Twin, long[] Input, long[] Output, long Parameters, ModelSummary Summary);

    static readonly Dictionary<string, Case> Cases = new()
    {
        // stem 108 + 8; layer1.0 144 + 8 + 144 + 8 + projection 16 + 8; layer2.0 288 + 16 + 576 + 16 + projection 32 + 16; fc 27
        ["Projection shortcut with BatchNorm, also where shapes match"] = new(() => new ProjectionNet(), () => ProjectionNetTwin(true), Maps, Logits, 1415, ProjectionNet.Summary),
        // every convolution with its bias: 112; 148 + 148 + 20; 296 + 584 + 40; 27
        ["Projection shortcut without BatchNorm, no taps"] = new(() => new ProjectionNoBnNet(), () => ProjectionNetTwin(false), Maps, Logits, 1375, ProjectionNoBnNet.Summary),
        // 108 + 8; 2 x (144 + 8 + 144 + 8); 15
        ["Identity shortcut"] = new(() => new IdentityNet(), IdentityNetTwin, Maps, Logits, 739, IdentityNet.Summary),
        // 108 + 8; (24 + 12 + 36 + 12 + projection 24 + 12) + (36 + 12 + 36 + 12); 54 + 18 + 81 + 18; 30
        ["Fully connected units: projection and zero padding, after global pooling"] = new(() => new PooledDenseNet(), PooledDenseNetTwin, Maps, Logits, 533, PooledDenseNet.Summary),
        // 108 + 8 + 30 + 12 + 330 + 12 + 12 + 125 + 18
        ["Map layers: pools, explicit BatchNorm2d and activation, overrides, BatchNorm settings"] = new(() => new MapLayersNet(), MapLayersNetTwin, Maps, Logits, 655, MapLayersNet.Summary),
        // 80 + 16 + 54 + 12 + 42 + 24
        ["Vector layers: BatchNorm1d, Dropout, bias switches, activation on the head"] = new(() => new DenseLayersNet(), DenseLayersNetTwin, new long[] { 8, 10 }, new long[] { 8, 3 }, 228, DenseLayersNet.Summary),
        // 108 + 8; (8 + 4 + 36 + 4 + 16 + 16 + 32 + 16) + (16 + 4 + 36 + 4 + 16 + 16); 48 + 12 + 324 + 12 + 48 + 12; 21
        ["Bottleneck (expansion 4), Strided 1x1, branch scale"] = new(() => new BottleneckNet(), BottleneckNetTwin, Maps, Logits, 817, BottleneckNet.Summary),
        // (216 + 12 + 324 + 12 + 30) + (336 + 336); (48 + 16 + 592) + (64 + 16 + 592); 27
        ["Nested stages: a residual unit around a stage, a stage after a convolution"] = new(() => new NestedStageNet(), NestedStageNetTwin, new long[] { 4, 4, 8, 8 }, Logits, 2621, NestedStageNet.Summary),
        // 144 + 8 + 144 + 8 + 16 + 8; 10
        ["Strided unit on a 1x1 map"] = new(() => new OnePixelNet(), OnePixelNetTwin, new long[] { 4, 4, 1, 1 }, new long[] { 4, 2 }, 338, OnePixelNet.Summary),
        // 36 + 8 + 576 + 32 + 51
        // conv1 108 + 8, conv2 144 + 8; layer1 144 + 8 + 144 + 8; layer2 288 + 16 + 576 + 16 + projection 32 + 16; gn 16; fc3 54 + bn3 12; ln 12; fc 21
        ["GroupNorm and LayerNorm: policies, field overrides, projection, explicit layers on maps and vectors"] = new(() => new NormFamilyNet(), NormFamilyNetTwin, Maps, Logits, 1631, NormFamilyNet.Summary),
        // conv1 108 + bias1b; layer1 2 x (144 + 144 + 5 scalars); layer2 216 + 324 + 5 + projection 24 (no biases); fc 21 + bias_fc_a
        ["Fixup: scalar biases and multiplier, bias-free convolutions, the projection on x + bias1a"] = new(() => Randomized(new FixupNet()), FixupNetTwin, Maps, Logits, 1286, FixupNet.Summary),
        // 108 + 8; 2 x (144 + 8 + 144 + 8 + alpha); 216 + 12 + 324 + 12 + alpha + projection 24 + 12; 21
        ["SkipInit: alpha at the end of each residual branch"] = new(() => Randomized(new SkipInitNet()), SkipInitNetTwin, Maps, Logits, 1348, SkipInitNet.Summary),
        // conv1 108, conv2 216 (no biases: a norm follows), no parameters in the InstanceNorms; fc 21
        ["InstanceNorm: policy and explicit layer, no parameters"] = new(() => new InstanceNormNet(), InstanceNormNetTwin, Maps, Logits, 345, InstanceNormNet.Summary),
        // conv1 300 + bn1 8, conv2 216 + bn2 12 (no biases: a BatchNorm follows), no parameters in the paddings; fc 21
        ["ZeroPad: before a convolution without padding and after pooling"] = new(() => new ZeroPadNet(), ZeroPadNetTwin, Maps, Logits, 557, ZeroPadNet.Summary),
        ["CNN with a dense head: BatchNorm2d then BatchNorm1d, MaxPool, Flatten, Dropout"] = new(() => new CnnWithDenseHead(), CnnWithDenseHeadTwin, new long[] { 4, 1, 6, 6 }, Logits, 703, CnnWithDenseHead.Summary),
    };

    public static IEnumerable<object[]> CaseNames() => Cases.Keys.Select(k => new object[] { k });

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Construct_equals_its_twin(string construct)
    {
        var c = Cases[construct];
        manual_seed(0);
        var generated = c.Generated();
        Assert.Equal(c.Parameters, c.Summary.TotalParameters);
        Assert.Equal(c.Output.Skip(1), c.Summary.OutputShape);
        TwinAssert.Equal(generated, c.Twin(), c.Input, c.Output, c.Parameters);
    }

    // ---- variant matrices: every value of every axis ---------------------------------------------------------
    /// <summary>
    /// The twin of a MatrixUnit under a variant's settings, each unit order written out as in He et al. 2016, Fig. 4.
    /// <paramref name="bn"/> is the BatchNorm axis value, <paramref name="act"/> the activation (null: none).
    /// </summary>
    static Twin Unit(long cin, long planes, long stride, bool residual, string bn, UnitOrder order, (string Name, Module<Tensor, Tensor> Module)? act)
    {
        bool norm = bn != "NoBn", afterConv = bn == "BnAfterConv";
        bool project = residual && (stride != 1 || cin != planes);
        string a = act?.Name ?? "";
        Tensor A(Twin m, Tensor t) => act is null ? t : m[a].call(t);
        Tensor N(Twin m, string name, Tensor t) => norm ? m[name].call(t) : t;
        var modules = new List<(string, Module)>();
        void Add(string name, Module module) => modules.Add(M(name, module));
        void AddAct() { if (act is { } x && !modules.Any(m => m.Item1 == a)) Add(a, x.Module); }
        void AddNorm(string name, long features) { if (norm) Add(name, BatchNorm2d(features)); }
        void AddProjection() { if (project) Add("downsample", norm ? Sequential(Conv(cin, planes, 1, stride), BatchNorm2d(planes)) : Sequential(Conv(cin, planes, 1, stride, bias: true))); }
        Tensor S(Twin m, Tensor x) => project ? m["downsample"].call(x) : x;
        Func<Twin, Tensor, Tensor> forward;

        if (order == UnitOrder.FullPreActivation)
        {
            // (e) BN, act, weight, BN, act, weight, addition; the BatchNorms see the unit's input and conv1's output
            AddNorm("bn1", cin); AddAct(); Add("conv1", Conv(cin, planes, 3, stride)); AddNorm("bn2", planes); Add("conv2", Conv(planes, planes, 3)); AddProjection();
            forward = (m, x) => m["conv2"].call(A(m, N(m, "bn2", m["conv1"].call(A(m, N(m, "bn1", x)))))) + S(m, x);
        }
        else
        {
            bool bias = !afterConv; // a convolution has a bias unless a BatchNorm directly follows it
            if (order == UnitOrder.ReluOnlyPreActivation) AddAct();
            Add("conv1", Conv(cin, planes, 3, stride, bias));
            if (afterConv) { AddNorm("bn1", planes); AddAct(); } else { AddAct(); AddNorm("bn1", planes); }
            Add("conv2", Conv(planes, planes, 3, bias: bias));
            Tensor First(Twin m, Tensor x) => afterConv || !norm ? A(m, N(m, "bn1", m["conv1"].call(x))) : m["bn1"].call(A(m, m["conv1"].call(x)));
            switch (order)
            {
                case UnitOrder.Original when !residual:
                    AddNorm("bn2", planes);
                    forward = afterConv || !norm ? (m, x) => A(m, N(m, "bn2", m["conv2"].call(First(m, x)))) : (m, x) => m["bn2"].call(A(m, m["conv2"].call(First(m, x))));
                    break;
                case UnitOrder.Original when afterConv || !norm:
                    // (a) weight, BN, act, weight, BN, addition, act
                    AddNorm("bn2", planes); AddProjection();
                    forward = (m, x) => A(m, N(m, "bn2", m["conv2"].call(First(m, x))) + S(m, x));
                    break;
                case UnitOrder.Original:
                    // BatchNorm after the activation: the last BN follows the activation after the sum
                    AddProjection(); Add("bn2", BatchNorm2d(planes));
                    forward = (m, x) => m["bn2"].call(A(m, m["conv2"].call(First(m, x)) + S(m, x)));
                    break;
                case UnitOrder.BnAfterAddition:
                    // (b) weight, BN, act, weight, addition, BN, act
                    AddProjection(); AddNorm("bn2", planes);
                    forward = (m, x) => A(m, N(m, "bn2", m["conv2"].call(First(m, x)) + S(m, x)));
                    break;
                case UnitOrder.ReluBeforeAddition:
                    // (c) weight, BN, act, weight, BN, act, addition
                    AddNorm("bn2", planes); AddProjection();
                    forward = (m, x) => A(m, N(m, "bn2", m["conv2"].call(First(m, x)))) + S(m, x);
                    break;
                default:
                    // (d) act, weight, BN, act, weight, BN, addition
                    AddNorm("bn2", planes); AddProjection();
                    forward = (m, x) => N(m, "bn2", m["conv2"].call(First(m, A(m, x)))) + S(m, x);
                    break;
            }
        }
        return new Twin(forward, modules.ToArray());
    }

    /// <summary>The twin of a variant: stem, stages of units, (pre-activation: final BN and act), explicit activation, head.</summary>
    static Twin VariantTwin(long[] channels, bool residual, string bn, UnitOrder order, Nonlinearity act, int depth, bool explicitAct = false, bool explicitBn = false)
    {
        bool norm = bn != "NoBn", afterConv = bn == "BnAfterConv", preAct = order == UnitOrder.FullPreActivation;
        (string Name, Module<Tensor, Tensor> Module)? NetAct() => act == Nonlinearity.None ? null : Act(act, 0.2);
        (string Name, Module<Tensor, Tensor> Module)? UnitAct() => act == Nonlinearity.None ? null : Act(act, 0.01);
        var modules = new List<(string, Module)>();
        var stem = NetAct();
        // The stem: conv1 with BN and activation, none of them before pre-activation units (He et al. 2016).
        modules.Add(M("conv1", Conv(3, 4, 3, bias: preAct || !afterConv)));
        if (!preAct)
        {
            if (afterConv) modules.Add(M("bn1", BatchNorm2d(4)));
            if (stem is { } s) modules.Add(M(s.Name, s.Module));
            if (norm && !afterConv) modules.Add(M("bn1", BatchNorm2d(4)));
        }
        long cin = 4;
        for (int i = 0; i < channels.Length; i++)
        {
            var units = new List<Twin>();
            for (int k = 0; k < depth; k++)
            {
                units.Add(Unit(k == 0 ? cin : channels[i], channels[i], k == 0 && i == channels.Length - 1 ? 2 : 1, residual, bn, order, UnitAct()));
            }
            modules.Add(M($"layer{i + 1}", ModuleList(units.ToArray())));
            cin = channels[i];
        }
        if (preAct)
        {
            modules.Add(M("bn_final", BatchNorm2d(cin)));
            modules.Add(M("relu_final", ReLU()));
        }
        if (explicitBn && norm) modules.Add(M("bn", BatchNorm2d(cin))); // an explicit BatchNorm layer: gone without BatchNorm
        if (explicitAct) modules.Add(M("act", act == Nonlinearity.None ? ReLU() : Act(act, 0.01).Module));
        modules.Add(M("avgpool", AdaptiveAvgPool2d(1)));
        modules.Add(M("fc", Linear(cin, 3)));
        return new Twin((m, x) =>
        {
            x = m["conv1"].call(x);
            if (!preAct)
            {
                if (afterConv) x = m["bn1"].call(x);
                if (stem is { } s) x = m[s.Name].call(x);
                if (norm && !afterConv) x = m["bn1"].call(x);
            }
            for (int i = 0; i < channels.Length; i++) x = Run(m, $"layer{i + 1}", x);
            if (preAct) x = m["relu_final"].call(m["bn_final"].call(x));
            if (explicitBn && norm) x = m["bn"].call(x);
            if (explicitAct) x = m["act"].call(x);
            return Head(m, x);
        }, modules.ToArray());
    }

    static readonly IReadOnlyList<VariantInfo> Variants =
        BnMatrixNet.Variants.All.Concat(OrderMatrixNet.Variants.All).Concat(ActivationMatrixNet.Variants.All).ToList();

    public static IEnumerable<object[]> VariantNames() => Variants.Select(v => new object[] { v.Name });

    // Parameter counts by hand (see the comments of Cases for the per-layer sums):
    //  BnMatrixNet   Residual: BnAfterConv 116 + 304 + 600 + 12 + 21, BnAfterActivation (convolutions with biases) 120 + 312 + 612 + 12 + 21,
    //                NoBn 112 + 296 + 582 + 21 (no explicit bn); Plain: the same without the projection (36, 36, 30)
    //  OrderMatrixNet  post-activation stems 116, units (4 -> 6, stride 2) 600, (6 -> 6) 672, fc 21;
    //                pre-activation: stem with bias 112, first unit 596 (bn1 over 4 channels), bn_final 12
    //  ActivationMatrixNet  116 + 600 + 21 for every activation
    static readonly Dictionary<string, long> VariantParameters = new()
    {
        ["BnMatrixNet.Residual.BnAfterConv"] = 1053, ["BnMatrixNet.Residual.BnAfterActivation"] = 1077, ["BnMatrixNet.Residual.NoBn"] = 1011,
        ["BnMatrixNet.Plain.BnAfterConv"] = 1017, ["BnMatrixNet.Plain.BnAfterActivation"] = 1041, ["BnMatrixNet.Plain.NoBn"] = 981,
        ["OrderMatrixNet.PostAct.Depth1"] = 737, ["OrderMatrixNet.PostAct.Depth2"] = 1409,
        ["OrderMatrixNet.BnAfterAddition.Depth1"] = 737, ["OrderMatrixNet.BnAfterAddition.Depth2"] = 1409,
        ["OrderMatrixNet.ReluBeforeAddition.Depth1"] = 737, ["OrderMatrixNet.ReluBeforeAddition.Depth2"] = 1409,
        ["OrderMatrixNet.ReluOnlyPreAct.Depth1"] = 737, ["OrderMatrixNet.ReluOnlyPreAct.Depth2"] = 1409,
        ["OrderMatrixNet.PreAct.Depth1"] = 741, ["OrderMatrixNet.PreAct.Depth2"] = 1413,
        ["ActivationMatrixNet.ReLU"] = 737, ["ActivationMatrixNet.LeakyReLU"] = 737, ["ActivationMatrixNet.Sigmoid"] = 737,
        ["ActivationMatrixNet.Tanh"] = 737, ["ActivationMatrixNet.GELU"] = 737, ["ActivationMatrixNet.None"] = 737,
    };

    [Fact]
    public void The_matrices_list_every_axis_value()
    {
        Assert.Equal(VariantParameters.Keys.OrderBy(k => k, StringComparer.Ordinal), Variants.Select(v => v.Name).OrderBy(k => k, StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(VariantNames))]
    public void Variant_equals_its_twin(string name)
    {
        var v = Variants.Single(x => x.Name == name);
        var s = v.Settings;
        Twin twin = name.Split('.')[0] switch
        {
            "BnMatrixNet" => VariantTwin(new long[] { 4, 6 }, s["Residual"] == "on", s["BatchNorm"], UnitOrder.Original, Nonlinearity.ReLU, 1, explicitBn: true),
            "OrderMatrixNet" => VariantTwin(new long[] { 6 }, true, "BnAfterConv", Enum.Parse<UnitOrder>(s["Order"]), Nonlinearity.ReLU, int.Parse(s["Depth"], System.Globalization.CultureInfo.InvariantCulture)),
            _ => VariantTwin(new long[] { 6 }, true, "BnAfterConv", UnitOrder.Original, Enum.Parse<Nonlinearity>(s["Activation"]), 1, explicitAct: true),
        };
        manual_seed(0);
        var generated = v.Create();
        Assert.Equal(VariantParameters[name], v.Summary.TotalParameters);
        TwinAssert.Equal(generated, twin, Maps, Logits, VariantParameters[name]);
    }
}
