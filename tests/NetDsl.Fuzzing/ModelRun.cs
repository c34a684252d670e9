using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using TorchSharp;
using NetDsl.Inference;
using static TorchSharp.torch;

namespace NetDsl.Fuzzing;

/// <summary>
/// The run half of the oracle: loads a compiled mutant into a collectible load context, builds every [Network] and
/// every variant of its registry, runs one forward and one backward pass on a random batch of its [Input] shape,
/// and compares what ran with the compile-time Summary.
/// </summary>
public static class ModelRun
{
    /// <summary>Batch size of the random input (2: BatchNorm in training mode needs more than one value per channel).</summary>
    public const int Batch = 2;

    /// <summary>Loads <paramref name="image"/> and checks every model in it; adds findings to <paramref name="outcome"/>.</summary>
    public static void Check(byte[] image, Outcome outcome)
    {
        var context = new AssemblyLoadContext("mutant", isCollectible: true);
        try
        {
            var assembly = context.LoadFromStream(new MemoryStream(image));
            foreach (var (name, summary, create) in Models(assembly))
            {
                if (summary.TotalParameters > Oracle.MaxRunParameters || summary.TotalMultiplyAccumulates > Oracle.MaxRunMacs)
                {
                    outcome.ModelsTooLarge++;
                    continue;
                }
                outcome.ModelsRun++;
                foreach (var problem in Compare(name, summary, create))
                    outcome.Findings.Add(new Finding(Findings.SummaryMismatch, $"{name}: {problem}"));
            }
        }
        finally
        {
            context.Unload();
            // Finalizers of this mutant's leftovers run here, not during the next mutant's native calls.
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    }

    /// <summary>Every network type (with its static Summary) and every variant of every Variants registry.</summary>
    static IEnumerable<(string Name, ModelSummary Summary, Func<nn.Module<Tensor, Tensor>> Create)> Models(Assembly assembly)
    {
        foreach (var type in assembly.GetTypes().Where(t => t.GetCustomAttribute<NetworkAttribute>() is not null).OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            var summary = (ModelSummary)type.GetProperty("Summary", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
            yield return (type.FullName!, summary, () => (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type)!);
            var registry = type.GetNestedType("Variants");
            if (registry?.GetProperty("All", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) is IReadOnlyList<VariantInfo> variants)
                foreach (var v in variants)
                    yield return (v.Name, v.Summary, v.Create);
        }
    }

    /// <summary>
    /// Builds the model, runs it forward on a random batch of its input shape and backward from the sum of its output,
    /// and lists every difference from <paramref name="summary"/>: parameters in total and per row, a row without its
    /// module or a module without its row, kinds, the order and per-sample shape of every module call, the output
    /// shape, a parameter without a gradient, or an exception on the way. Empty when the model is what its Summary says.
    /// </summary>
    public static List<string> Compare(string name, ModelSummary summary, Func<nn.Module<Tensor, Tensor>> create)
    {
        var problems = new List<string>();
        nn.Module<Tensor, Tensor> net;
        try
        {
            net = create();
        }
        catch (Exception e)
        {
            problems.Add("construction threw " + Unwrap(e));
            return problems;
        }
        using (net)
        {
            // Parameters: in total, and each summary row's own.
            long parameters = net.parameters().Sum(p => p.numel());
            if (parameters != summary.TotalParameters) problems.Add($"{parameters} parameters, Summary says {summary.TotalParameters}");
            var modules = net.named_modules().Where(m => !m.module.children().Any()).ToDictionary(m => m.name, m => m.module);
            var rowNames = new HashSet<string>(summary.Layers.Select(l => l.Name));
            var named = net.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach (var row in summary.Layers)
            {
                // A learnable scalar (Fixup's biases and multiplier, SkipInit's alpha) is a parameter of its unit, not a module.
                if (row.Kind == "Parameter")
                {
                    if (!named.TryGetValue(row.Name, out var scalar)) problems.Add($"Summary row '{row.Name}' (Parameter) has no parameter");
                    else if (scalar.numel() != row.Parameters) problems.Add($"'{row.Name}' has {scalar.numel()} elements, Summary says {row.Parameters}");
                    continue;
                }
                if (!modules.TryGetValue(row.Name, out var module)) { problems.Add($"Summary row '{row.Name}' ({row.Kind}) has no module"); continue; }
                if (module.GetType().Name != row.Kind) problems.Add($"'{row.Name}' is a {module.GetType().Name}, Summary says {row.Kind}");
                long own = module.parameters(recurse: false).Sum(p => p.numel());
                if (own != row.Parameters) problems.Add($"'{row.Name}' has {own} parameters, Summary says {row.Parameters}");
            }
            foreach (var extra in modules.Keys.Where(k => !rowNames.Contains(k)))
                problems.Add($"module '{extra}' ({modules[extra].GetType().Name}) is not in the Summary");
            // Init.ZeroGamma starts the norm ending each residual branch at scale 0 (Goyal et al. 2017): those start at 0, not 1.
            var zeroed = net is IDeclaresInit { Init: Init.ZeroGamma }
                ? new HashSet<object>(net.modules().OfType<IResidualUnit>().Select(u => u.BranchEndNorm).OfType<nn.Module>(), ReferenceEqualityComparer.Instance)
                : new HashSet<object>(ReferenceEqualityComparer.Instance);
            problems.AddRange(NormInitialization(modules, zeroed));

            // Forward: every module call in order with its per-sample shape, and the output shape.
            var calls = new List<(string Name, long[] Shape)>();
            var hooks = new List<Action>();
            foreach (var (moduleName, module) in modules)
                if (module is nn.Module<Tensor, Tensor> m)
                {
                    var handle = m.register_forward_hook((_, _, output) => { calls.Add((moduleName, output.shape.Skip(1).ToArray())); return output; });
                    hooks.Add(handle.remove);
                }
            // The tapped path (every layer through its module's call, so the hooks see each one), and then the in-place path.
            using var trainScope = NewDisposeScope();
            Tensor? xTrain = null, yTapped = null;
            Tensor?[]? gradients = null;
            try
            {
                InPlaceTraining.Enabled = false;
                net.train();
                var x = xTrain = randn(new long[] { Batch }.Concat(summary.InputShape).ToArray());
                var y = yTapped = net.call(x);
                var expected = new long[] { Batch }.Concat(summary.OutputShape).ToArray();
                if (!y.shape.SequenceEqual(expected)) problems.Add($"output [{string.Join(", ", y.shape)}], Summary says [{string.Join(", ", expected)}]");
                var traced = calls.Select(c => $"{c.Name} [{string.Join(", ", c.Shape)}]").ToList();
                var rows = summary.Layers.Where(l => l.Kind != "Parameter").Select(l => $"{l.Name} [{string.Join(", ", l.OutputShape)}]").ToList();
                if (!traced.SequenceEqual(rows))
                {
                    int i = 0;
                    while (i < traced.Count && i < rows.Count && traced[i] == rows[i]) i++;
                    problems.Add($"call {i}: ran {(i < traced.Count ? traced[i] : "(nothing)")}, Summary says {(i < rows.Count ? rows[i] : "(nothing)")} ({traced.Count} calls, {rows.Count} rows)");
                }
                y.sum().backward();
                var missing = net.named_parameters().Where(p => p.parameter.grad is null).Select(p => p.name).ToList();
                if (missing.Count > 0) problems.Add($"no gradient for {string.Join(", ", missing.Take(5))}");
                gradients = net.parameters().Select(p => p.grad?.clone()).ToArray();
            }
            catch (Exception e)
            {
                problems.Add("forward or backward threw " + Unwrap(e));
            }
            finally
            {
                InPlaceTraining.Enabled = true;
                foreach (var remove in hooks) remove();
            }

            // The in-place training path (no probe: ReLUs and residual sums written in place) on the same batch: the same output
            // and gradients bit for bit (a training-mode BatchNorm normalizes with the batch's statistics, so the running
            // statistics the first pass moved do not enter; Dropout draws new masks, so with Dropout only that it runs).
            if (xTrain is not null && gradients is not null)
                try
                {
                    net.zero_grad();
                    var y = net.call(xTrain);
                    y.sum().backward();
                    if (!modules.Values.Any(m => m.GetType().Name is "Dropout"))
                    {
                        if (!Same(y, yTapped!)) problems.Add($"training: the in-place path's output differs from the tapped path's by {Difference(y, yTapped!).Difference:E2}");
                        var after = net.parameters().Select(p => p.grad).ToArray();
                        for (int i = 0; i < after.Length; i++)
                            if (after[i] is null != gradients[i] is null || (after[i] is { } g && !Same(g, gradients[i]!)))
                            {
                                problems.Add($"training: the in-place path's gradient of parameter {i} differs from the tapped path's");
                                break;
                            }
                    }
                }
                catch (Exception e)
                {
                    problems.Add("the in-place training pass threw " + Unwrap(e));
                }

            // Eval mode (after the training step moved the running statistics): the generated folded path (each BatchNorm
            // folded into the layer before it, ReLU and the residual addition in place) gives what the unfused layers give,
            // and leaves its input alone.
            try
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                net.eval();
                var x = randn(new long[] { Batch }.Concat(summary.InputShape).ToArray());
                var input = x.clone();
                var (folded, unfused) = Eval(net, x);
                if (!x.equal(input).all().item<bool>()) problems.Add("the eval pass wrote into its input");
                // Without BatchNorm or Dropout (GroupNorm and LayerNorm have no running statistics) training and eval mode compute one function.
                bool modeFree = !modules.Values.Any(m => m.GetType().Name is "BatchNorm1d" or "BatchNorm2d" or "Dropout");
                var trained = modeFree ? Train(net, x) : null;
                if (unfused.isfinite().all().item<bool>())
                {
                    var foldedDifference = Difference(folded, unfused);
                    var modeDifference = trained is null ? default : Difference(trained, unfused);
                    bool foldedOff = !(foldedDifference.Difference <= 1e-4 * (1 + foldedDifference.Size));
                    bool modeOff = trained is not null && !(modeDifference.Difference <= 1e-4 * (1 + modeDifference.Size));
                    if (foldedOff || modeOff)
                    {
                        // A deep plain network with per-sample normalization (GroupNorm, LayerNorm) amplifies float32 rounding as it
                        // amplifies any change of its input (seen: 1e-6 noise on the input moves a 110-layer net's output by 6e-2): a
                        // difference that is rounding shrinks by about 1e-9 in float64, a wrong computation stays. Checked again in float64.
                        net.to(float64);
                        var x64 = x.to(float64);
                        var (folded64, unfused64) = Eval(net, x64);
                        var folded64Difference = Difference(folded64, unfused64);
                        if (foldedOff && !(folded64Difference.Difference <= 1e-6 * (1 + folded64Difference.Size)))
                            problems.Add($"eval: the folded path differs from the unfused layers by {foldedDifference.Difference:E2} (largest output {foldedDifference.Size:E2}), in float64 by {folded64Difference.Difference:E2}");
                        if (modeOff && Difference(Train(net, x64), unfused64) is var mode64 && !(mode64.Difference <= 1e-6 * (1 + mode64.Size)))
                            problems.Add($"eval: without BatchNorm or Dropout, training and eval mode differ by {modeDifference.Difference:E2} (largest output {modeDifference.Size:E2}), in float64 by {mode64.Difference:E2}");
                    }
                }
            }
            catch (Exception e)
            {
                problems.Add("the eval pass threw " + Unwrap(e));
            }
        }
        return problems;
    }

    /// <summary>Equal shapes and equal values, NaN equal to NaN (a mutant may overflow; both paths then overflow alike).</summary>
    static bool Same(Tensor a, Tensor b) =>
        a.shape.SequenceEqual(b.shape) && ((a == b) | (a.isnan() & b.isnan())).all().item<bool>();

    /// <summary>The eval-mode outputs of the generated folded path and of the unfused layers, for the same input.</summary>
    static (Tensor Folded, Tensor Unfused) Eval(nn.Module<Tensor, Tensor> net, Tensor x)
    {
        try
        {
            BatchNormFolding.Enabled = true;
            var folded = net.call(x);
            BatchNormFolding.Enabled = false;
            return (folded, net.call(x));
        }
        finally
        {
            BatchNormFolding.Enabled = true;
        }
    }

    /// <summary>The training-mode output for <paramref name="x"/>; the model is left in eval mode.</summary>
    static Tensor Train(nn.Module<Tensor, Tensor> net, Tensor x)
    {
        net.train();
        var y = net.call(x);
        net.eval();
        return y;
    }

    /// <summary>The largest absolute difference of two outputs, and the largest absolute value of <paramref name="reference"/>, in float64.</summary>
    static (double Difference, double Size) Difference(Tensor output, Tensor reference)
    {
        var r = reference.to(float64);
        return ((output.to(float64) - r).abs().max().item<double>(), r.abs().max().item<double>());
    }

    /// <summary>
    /// Every normalization layer starts as PyTorch starts it: scale (<c>weight</c>) 1 and shift (<c>bias</c>) 0 per channel
    /// (TorchSharp 0.107's GroupNorm leaves both uninitialized unless built by NetDsl.NormalizationLayers).
    /// </summary>
    static List<string> NormInitialization(Dictionary<string, nn.Module> modules, HashSet<object> zeroed)
    {
        var problems = new List<string>();
        using var scope = NewDisposeScope();
        foreach (var (name, module) in modules)
        {
            if (module.GetType().Name is not ("BatchNorm1d" or "BatchNorm2d" or "GroupNorm" or "LayerNorm")) continue;
            foreach (var (parameter, value) in module.named_parameters(recurse: false))
            {
                var actual = value.detach().to(float64);
                int start = parameter == "weight" && !zeroed.Contains(module) ? 1 : 0;
                var expected = start == 1 ? ones_like(actual) : zeros_like(actual);
                double difference = (actual - expected).abs().max().item<double>();
                if (difference != 0) problems.Add($"'{name}' ({module.GetType().Name}) starts with {parameter} != {start} (off by up to {difference:E2})");
            }
        }
        return problems;
    }

    static string Unwrap(Exception e)
    {
        while (e is TargetInvocationException { InnerException: { } inner }) e = inner;
        var message = e.Message.Split('\n')[0];
        return $"{e.GetType().Name}: {message}";
    }
}
