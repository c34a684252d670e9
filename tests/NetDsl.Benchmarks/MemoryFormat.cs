using System;
using System.Diagnostics;
using System.Linq;
using NetDsl.Examples;
using TorchSharp;
using static TorchSharp.torch;

namespace NetDsl.Benchmarks;

/// <summary>
/// Channels-last (NHWC strides, PyTorch's <c>torch.channels_last</c>) against contiguous NCHW tensors for the generated
/// ResNet-20, same weights, interleaved: the eval pass (BatchNorm folded) and the training step. Run with <c>-- memory-format</c>.
/// TorchSharp 0.107 has no <c>memory_format</c> conversion, so a tensor is made channels-last by permuting to NHWC, copying,
/// and permuting back (the logical shape stays <c>[N, C, H, W]</c>; LibTorch reads the format from the strides).
/// </summary>
public static class MemoryFormat
{
    /// <summary>A copy of a 4-d tensor <c>[N, C, H, W]</c> with channels-last strides; other ranks unchanged.</summary>
    public static Tensor ChannelsLast(Tensor t) => t.dim() == 4 ? t.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2) : t;

    /// <summary>Whether a 4-d tensor has channels-last strides (C the fastest dimension).</summary>
    public static bool IsChannelsLast(Tensor t) => t.dim() == 4 && t.stride(1) == 1 && t.stride(3) == t.shape[1] && t.stride(2) == t.shape[1] * t.shape[3];

    /// <summary>Converts every 4-d parameter of <paramref name="module"/> (convolution weights) to channels-last in place.</summary>
    public static void ToChannelsLast(nn.Module module)
    {
        using var noGrad = no_grad();
        foreach (var p in module.parameters().Where(p => p.dim() == 4)) p.set_(ChannelsLast(p));
    }

    /// <summary>Prints the interleaved ratios channels-last / contiguous for the eval pass and the training step.</summary>
    /// <param name="rounds">Timed rounds per comparison.</param>
    /// <param name="warmup">Untimed rounds first.</param>
    public static void Run(int rounds, int warmup)
    {
        manual_seed(0);
        var a = new ResNet20();
        var b = new ResNet20();
        b.load_state_dict(a.state_dict());
        ToChannelsLast(b);
        var x = randn(128, 1, 28, 28);
        var xl = ChannelsLast(x);
        var y = randint(0, 10, new long[] { 128 });
        Console.WriteLine($"conv weights channels-last: {b.parameters().Count(p => p.dim() == 4 && IsChannelsLast(p))} of {b.parameters().Count(p => p.dim() == 4)}");
        a.eval(); b.eval();
        using (var check = NewDisposeScope())
        using (no_grad())
        {
            var oa = a.call(x); var ob = b.call(xl);
            Console.WriteLine($"eval logits, largest difference: {(oa - ob).abs().max().item<float>():E1}");
        }
        var sw = new Stopwatch();
        double Eval(nn.Module<Tensor, Tensor> m, Tensor input)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            sw.Restart();
            m.call(input);
            return sw.Elapsed.TotalMilliseconds;
        }
        Console.WriteLine($"eval (folded), channels-last vs contiguous: {Interleaved.Compare(() => Eval(b, xl), () => Eval(a, x), rounds, warmup)}");
        NetDsl.Inference.BatchNormFolding.Enabled = false;
        Console.WriteLine($"eval (unfused), channels-last vs contiguous: {Interleaved.Compare(() => Eval(b, xl), () => Eval(a, x), rounds, warmup)}");
        NetDsl.Inference.BatchNormFolding.Enabled = true;
        a.train(); b.train();
        var oa2 = optim.SGD(a.parameters(), 0.01, momentum: 0.9);
        var ob2 = optim.SGD(b.parameters(), 0.01, momentum: 0.9);
        var la = TrainingStepBenchmarks.Step(a, oa2, x, y, true, read: true);
        var lb = TrainingStepBenchmarks.Step(b, ob2, xl, y, true, read: true);
        Console.WriteLine($"first training step: loss {la.Loss:F6} vs {lb.Loss:F6}, logits within {la.Output.Zip(lb.Output, (p, q) => Math.Abs(p - q)).Max():E1}");
        double Train(nn.Module<Tensor, Tensor> m, optim.Optimizer o, Tensor input)
        {
            sw.Restart();
            TrainingStepBenchmarks.Step(m, o, input, y, true);
            return sw.Elapsed.TotalMilliseconds;
        }
        Console.WriteLine($"training step, channels-last vs contiguous: {Interleaved.Compare(() => Train(b, ob2, xl), () => Train(a, oa2, x), rounds, warmup)}");
        Console.WriteLine($"after training, conv weights channels-last: {b.parameters().Count(p => p.dim() == 4 && IsChannelsLast(p))}");
    }
}
