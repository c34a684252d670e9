using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NetDsl.Experiments;

/// <summary>The summary of a hand-written module, measured by running it (generated networks carry theirs from compile time).</summary>
static class RuntimeSummary
{
    /// <summary>
    /// Every leaf module in call order (forward hooks, which fire for children called with <c>.call</c>) with its per-sample output
    /// shape, own parameters and multiply-accumulates (convolutions: output elements x in-channels / groups x kernel area; linear:
    /// in x out features), from one zero image of <paramref name="inputShape"/> in eval mode; a last row carries the network's
    /// output and any parameters no traced row owns, so the totals are the module's.
    /// </summary>
    /// <exception cref="UsageException">The module throws on the input shape.</exception>
    public static ModelSummary Of(string name, Func<nn.Module<Tensor, Tensor>> create, long[] inputShape)
    {
        var rows = new List<LayerSummary>();
        using var scope = NewDisposeScope();
        using var model = create();
        var handles = new List<Action>();
        foreach (var (path, module) in model.named_modules())
        {
            if (path.Length == 0 || module.named_children().Any() || module is not nn.Module<Tensor, Tensor> leaf) continue;
            var kind = module.GetType().Name;
            var own = module.parameters(recurse: false).Sum(p => p.numel());
            var handle = leaf.register_forward_hook((_, input, output) =>
            {
                var perSample = output.shape.Skip(1).ToArray();
                long macs = module switch
                {
                    Conv2d c => perSample.Aggregate(1L, (a, b) => a * b) * (input.shape[1] / c.groups) * c.weight!.shape[2] * c.weight.shape[3],
                    Linear l => l.weight!.shape[0] * l.weight.shape[1],
                    _ => 0,
                };
                rows.Add(new LayerSummary(path, kind, perSample, rows.Any(r => r.Name == path) ? 0 : own, macs));
                return output;
            });
            handles.Add(handle.remove);
        }
        long[] outputShape;
        try
        {
            model.eval();
            using (no_grad())
            using (var x = zeros(new long[] { 1 }.Concat(inputShape).ToArray()))
            using (var y = model.call(x))
                outputShape = y.shape.Skip(1).ToArray();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.Runtime.InteropServices.ExternalException)
        {
            throw new UsageException($"{name} does not run on images [{string.Join(", ", inputShape)}] ({e.Message.Split('\n')[0]}); give ComparisonVariant.Of the input shape the module takes, or fix the module");
        }
        finally
        {
            foreach (var remove in handles) remove();
        }
        var total = model.parameters().Sum(p => p.numel());
        var rest = total - rows.Sum(r => r.Parameters);
        rows.Add(new LayerSummary("(output)", model.GetType().Name, outputShape, rest, 0));
        return new ModelSummary(name, inputShape, rows);
    }
}
