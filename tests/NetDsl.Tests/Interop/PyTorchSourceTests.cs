using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using NetDsl.Examples;
using NetDsl.Interop;
using NetDsl.Tests.Generated.Edges;
using NetDsl.Tests.Interop.PyTorchSource;
using TorchSharp;
using TorchSharp.PyBridge;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace NetDsl.Tests.Interop;

/// <summary>
/// The generated <c>PyTorchSource</c> of each network, run in Debian's PyTorch (tests/crosscheck/pytorch_source.py): it
/// builds, has the C# module's parameter count and state_dict keys (in order), loads the C# weights strictly, and on one
/// batch gives the same logits, the same gradient of every parameter, the same BatchNorm statistics after the pass and the
/// same eval-mode logits.
/// </summary>
public sealed class PyTorchSourceTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>Max |logit difference| allowed (the issue's bound).</summary>
    const double LogitTolerance = 1e-5;

    /// <summary>
    /// Max |gradient difference| of a parameter: this share of the parameter's largest |gradient| entry, plus
    /// <see cref="GradientFloor"/> times the network's largest |gradient| entry (float32 sums in another order).
    /// </summary>
    const double GradientTolerance = 1e-4;

    /// <summary>The absolute part of the gradient bound, relative to the network's largest gradient entry.</summary>
    const double GradientFloor = 1e-5;

    /// <summary>Max difference of a state_dict entry after the pass (running statistics), relative to max(1, its largest |entry|).</summary>
    const double StateTolerance = 1e-5;

    readonly string folder = Directory.CreateTempSubdirectory("netdsl-pysource-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    static (int Code, string Output) Python(params string[] args) =>
        TestSupport.Run(File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3", null, args);

    static string Script => Path.Combine(TestSupport.RepoRoot(), "tests", "crosscheck", "pytorch_source.py");

    /// <summary>A network to check: its source, a factory, the batch it runs, the mode, and its parameter count where known by hand.</summary>
    sealed record Case(string Name, string Source, Func<nn.Module<Tensor, Tensor>> Create, long[] Input, bool Train, long? Parameters = null, bool Float64 = false);

    static IEnumerable<Case> Variants(IEnumerable<VariantInfo> all, int batch) =>
        all.Select(v => new Case(v.Name, v.PyTorchSource, v.Create, new long[] { batch }.Concat(v.Summary.InputShape).ToArray(), Train: true));

    /// <summary>
    /// The networks. ResNet-50 (2 x 64 x 64: BatchNorm over 8 values per channel in its last stage) and the 50-unit MLP
    /// (a scalar input: fc_in's 200 features are one feature scaled, so its BatchNorm sees 8 copies of one column) are
    /// ill-conditioned in training mode: float32 rounding differences of 1e-7 grow to 1e-4 in their logits. They run in float64,
    /// where only the structure can make a difference; the rest run in float32.
    /// </summary>
    static List<Case> Cases() => new List<Case>
    {
        new("ResNet18", ResNet18.PyTorchSource, () => new ResNet18(), new long[] { 2, 3, 224, 224 }, true, 11_689_512),
        new("ResNet50", ResNet50.PyTorchSource, () => new ResNet50(), new long[] { 1, 3, 224, 224 }, true, 25_557_032, Float64: true),
        new("ResNet20", ResNet20.PyTorchSource, () => new ResNet20(), new long[] { 4, 1, 28, 28 }, true, 269_434),
        new("ResNet20OptionB", ResNet20OptionB.PyTorchSource, () => new ResNet20OptionB(), new long[] { 4, 1, 28, 28 }, true, 272_186),
        new("PreActResNet20", PreActResNet20.PyTorchSource, () => new PreActResNet20(), new long[] { 4, 1, 28, 28 }, true),
        new("ScaledResidualMlp", ScaledResidualMlp.PyTorchSource, () => new ScaledResidualMlp(), new long[] { 8, 20 }, true),
        new("DeepResidualMlp", DeepResidualMlp.PyTorchSource, () => new DeepResidualMlp(), new long[] { 8, 1 }, true, Float64: true),
        new("NestedStageNet", NestedStageNet.PyTorchSource, () => new NestedStageNet(), new long[] { 4, 4, 8, 8 }, true),
        new("KindsNet", KindsNet.PyTorchSource, () => new KindsNet(), new long[] { 4, 3, 16, 16 }, false), // dropout: eval
        // GroupNorm and LayerNorm (policies, overrides, projection, explicit layers on maps and vectors): 1,631 parameters by hand.
        // Fixup's scalars (and bias-free convolutions, the projection on x + bias1a) and SkipInit's alpha: 1,286 and 1,348 by hand.
        new("FixupNet", Generated.Constructs.FixupNet.PyTorchSource, () => new Generated.Constructs.FixupNet(), new long[] { 4, 3, 8, 8 }, true, 1286),
        new("SkipInitNet", Generated.Constructs.SkipInitNet.PyTorchSource, () => new Generated.Constructs.SkipInitNet(), new long[] { 4, 3, 8, 8 }, true, 1348),
        new("InstanceNormNet", Generated.Constructs.InstanceNormNet.PyTorchSource, () => new Generated.Constructs.InstanceNormNet(), new long[] { 4, 3, 8, 8 }, true, 345),
        new("ZeroPadNet", Generated.Constructs.ZeroPadNet.PyTorchSource, () => new Generated.Constructs.ZeroPadNet(), new long[] { 4, 3, 8, 8 }, true, 557),
        new("NormFamilyNet", Generated.Constructs.NormFamilyNet.PyTorchSource, () => new Generated.Constructs.NormFamilyNet(), new long[] { 4, 3, 8, 8 }, true, 1631),
    }
    .Concat(Variants(BnResidualMatrix.Variants.All, 4))
    .Concat(Variants(PreActMatrix.Variants.All, 4))
    .Concat(Variants(OrderMatrix.Variants.All, 4))
    .Concat(Variants(Generated.Constructs.NormMatrixNet.Variants.All, 4))
    .Concat(Variants(Generated.Constructs.InitMatrixNet.Variants.All, 4))
    .ToList();

    [Fact]
    public void The_source_needs_only_torch_and_names_sub_modules_as_the_CSharp_does()
    {
        foreach (var c in Cases())
        {
            var imports = c.Source.Split('\n').Where(l => Regex.IsMatch(l, @"^\s*(import|from)\s")).ToList();
            Assert.Equal(new[] { "import torch", "from torch import nn" }, imports);
        }
        // torchvision's layout and a Python keyword: the block class is renamed, the layer keeps its name.
        Assert.Contains("self.downsample = nn.Sequential(nn.Conv2d(in_channels, planes, kernel_size=1, stride=stride, bias=False), nn.BatchNorm2d(planes))", ResNet18.PyTorchSource);
        Assert.Contains("self.layer2 = nn.Sequential(BasicBlock(64, 128, 2), BasicBlock(128, 128, 1))", ResNet18.PyTorchSource);
        Assert.Contains("class None_(nn.Module):", OrderMatrix.Variants.All[0].PyTorchSource);
        Assert.Contains("self.add_module(\"class\", nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False))", OrderMatrix.Variants.All[0].PyTorchSource);
        Assert.Contains("getattr(self, \"class\")(branch)", OrderMatrix.Variants.All[0].PyTorchSource);
        Assert.Contains("out = branch * 0.1 + shortcut", ScaledResidualMlp.PyTorchSource);
        Assert.Contains("nn.Sequential(ScaledDense(64, 64), *(ScaledDense(64, 64) for _ in range(5)))", ScaledResidualMlp.PyTorchSource);
        Assert.Equal(OrderMatrix.Variants.All.Select(v => v.PyTorchSource), OrderMatrix.Variants.All.Select(v => v.Create().GetType().GetField("PyTorchSource")!.GetValue(null)));
    }

    [SkippableFact]
    public void Every_network_runs_in_PyTorch_with_the_same_keys_parameters_logits_and_gradients()
    {
        Skip.If(Python("-c", "import torch").Code != 0, "python3 with torch is not installed (Debian: apt-get install python3-torch)");
        var cases = Cases();
        var ours = new Dictionary<string, (List<string> Keys, List<string> ParameterKeys, long Parameters, Dictionary<string, Tensor> Results)>();
        for (int k = 0; k < cases.Count; k++)
        {
            var c = cases[k];
            var file = FileName(c.Name);
            File.WriteAllText(Path.Combine(folder, file + ".py"), c.Source);
            manual_seed(k);
            var model = c.Create();
            if (c.Float64) model.to(ScalarType.Float64);
            PyTorchWeights.Save(model, Path.Combine(folder, file + ".pt"));
            var x = randn(c.Input, c.Float64 ? ScalarType.Float64 : ScalarType.Float32);
            model.train(c.Train);
            var logits = model.call(x);
            var w = randn(logits.shape, logits.dtype);
            using (var stream = File.Create(Path.Combine(folder, file + ".in.pt")))
                PyTorchPickler.PickleStateDict(stream, new Dictionary<string, Tensor> { ["x"] = x, ["w"] = w, ["train"] = tensor(c.Train ? 1L : 0L) });
            (logits * w).sum().backward();
            var results = new Dictionary<string, Tensor> { ["logits"] = logits.detach() };
            foreach (var (name, p) in model.named_parameters()) results["grad." + name] = p.grad!.clone();
            foreach (var (name, t) in model.state_dict()) results["state." + name] = t.clone();
            model.eval();
            using (no_grad()) results["eval_logits"] = model.call(x);
            ours[c.Name] = (model.state_dict().Keys.ToList(), model.named_parameters().Select(p => p.name).ToList(), model.parameters().Sum(p => p.numel()), results);
        }

        var (code, text) = Python(new[] { Script, folder }.Concat(cases.Select(c => FileName(c.Name))).ToArray());
        Assert.True(code == 0, text);

        var failures = new List<string>();
        output.WriteLine($"{"network",-44} {"type",3} {"mode",5} {"parameters",12} {"|dlogit|",10} {"eval",10} {"|dgrad|",10} {"max|grad|",9} {"worst rel",9} (parameter)");
        foreach (var c in cases)
        {
            var file = FileName(c.Name);
            var (keys, parameterKeys, parameters, results) = ours[c.Name];
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, file + ".json")));
            var theirKeys = json.RootElement.GetProperty("keys").EnumerateArray().Select(e => e.GetString()!).ToList();
            long theirParameters = json.RootElement.GetProperty("parameters").GetInt64();
            // TorchSharp lists all parameters, then all buffers; PyTorch interleaves them module by module: compare the sets,
            // and the parameters in order.
            var theirParameterKeys = json.RootElement.GetProperty("parameter_keys").EnumerateArray().Select(e => e.GetString()!).ToList();
            if (!keys.ToHashSet().SetEquals(theirKeys))
                failures.Add($"{c.Name}: state_dict keys differ; C# only: {string.Join(", ", keys.Except(theirKeys))}; PyTorch only: {string.Join(", ", theirKeys.Except(keys))}");
            if (!parameterKeys.SequenceEqual(theirParameterKeys))
                failures.Add($"{c.Name}: parameters in another order: C# {string.Join(" ", parameterKeys.Take(6))}..., PyTorch {string.Join(" ", theirParameterKeys.Take(6))}...");
            if (theirParameters != parameters) failures.Add($"{c.Name}: {theirParameters} parameters in PyTorch, {parameters} in C#");
            long summaryParameters = c.Create().parameters().Sum(p => p.numel());
            if (c.Parameters is { } expected && (parameters != expected || summaryParameters != expected)) failures.Add($"{c.Name}: {parameters} parameters, expected {expected}");

            Dictionary<string, Tensor> theirs;
            using (var stream = File.OpenRead(Path.Combine(folder, file + ".out.pt")))
                theirs = PyTorchUnpickler.UnpickleStateDict(stream).Cast<System.Collections.DictionaryEntry>().ToDictionary(e => (string)e.Key, e => (Tensor)e.Value!);
            double logit = MaxAbs(results["logits"], theirs["logits"]);
            double evalLogit = MaxAbs(results["eval_logits"], theirs["eval_logits"]);
            if (!(logit <= LogitTolerance)) failures.Add($"{c.Name}: max |logit difference| {logit:E2} > {LogitTolerance:E0}");
            if (!(evalLogit <= LogitTolerance)) failures.Add($"{c.Name}: max |eval logit difference| {evalLogit:E2} > {LogitTolerance:E0}");
            // The network's largest gradient entry: the absolute floor for parameters whose true gradient is 0 (a bias before a
            // BatchNorm in training mode gets only rounding noise, on both sides).
            double largest = theirs.Where(kv => kv.Key.StartsWith("grad.", StringComparison.Ordinal)).Max(kv => Largest(kv.Value));
            double worstGradient = 0, worstRelative = 0;
            string worstName = "";
            foreach (var key in results.Keys.Where(k => k.StartsWith("grad.", StringComparison.Ordinal) || k.StartsWith("state.", StringComparison.Ordinal)))
            {
                if (!theirs.TryGetValue(key, out var t)) { failures.Add($"{c.Name}: PyTorch has no {key}"); continue; }
                var mine = results[key];
                if (!mine.shape.SequenceEqual(t.shape)) { failures.Add($"{c.Name}: {key} is [{string.Join(", ", mine.shape)}] in C#, [{string.Join(", ", t.shape)}] in PyTorch"); continue; }
                double diff = MaxAbs(mine, t), scale = Largest(t);
                bool gradient = key.StartsWith("grad.", StringComparison.Ordinal);
                double allowed = gradient ? GradientTolerance * scale + GradientFloor * largest : StateTolerance * Math.Max(scale, 1);
                // The table's relative column leaves out gradients that are 0 up to rounding (under 1e-3 of the largest).
                if (gradient && scale >= 1e-3 * largest && diff / scale > worstRelative) (worstRelative, worstName) = (diff / scale, key);
                if (gradient) worstGradient = Math.Max(worstGradient, diff);
                if (!(diff <= allowed)) failures.Add($"{c.Name}: {key} differs by {diff:E2} (largest |value| {scale:E2}, allowed {allowed:E2})");
            }
            output.WriteLine($"{c.Name,-44} {(c.Float64 ? "f64" : "f32")} {(c.Train ? "train" : "eval "),5} {parameters,12:N0} {logit,10:E2} {evalLogit,10:E2} {worstGradient,10:E2} {largest,9:E2} {worstRelative,9:E2} {worstName}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    static string FileName(string name) => name.Replace('.', '_');

    static double Largest(Tensor t) => t.numel() == 0 ? 0 : t.to_type(ScalarType.Float64).abs().max().item<double>();

    static double MaxAbs(Tensor a, Tensor b) =>
        (a.to_type(ScalarType.Float64) - b.to_type(ScalarType.Float64)).abs().max().item<double>();
}
