using System;
using System.IO;
using System.Linq;
using NetDsl.Examples;
using NetDsl.Interop;
using TorchSharp;
using TorchSharp.PyBridge;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace NetDsl.Tests.Interop;

/// <summary>Weights in PyTorch's file format, both ways, checked against torchvision in Debian's PyTorch where it is installed.</summary>
public sealed class PyTorchWeightsTests(ITestOutputHelper output) : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("netdsl-weights-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    static (int Code, string Output) Python(params string[] args) =>
        TestSupport.Run(File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3", null, args);

    static string Script => Path.Combine(TestSupport.RepoRoot(), "tests", "crosscheck", "torchvision_weights.py");

    static bool Same(nn.Module a, nn.Module b) =>
        a.state_dict().All(kv => kv.Value.equal(b.state_dict()[kv.Key]).all().item<bool>());

    [Fact]
    public void A_saved_generated_network_loads_back_bit_for_bit_with_its_buffers()
    {
        manual_seed(0);
        var source = new ResNet20();
        // Move the running statistics and num_batches_tracked away from their initial values.
        using (var x = randn(8, 1, 28, 28)) source.call(x).Dispose();
        var path = Path.Combine(folder, "resnet20.pt");
        PyTorchWeights.Save(source, path);
        manual_seed(1);
        var target = new ResNet20();
        Assert.False(Same(source, target));
        PyTorchWeights.Load(target, path);
        Assert.True(Same(source, target));
        Assert.Equal(1L, target.state_dict()["bn1.num_batches_tracked"].item<long>());
        Assert.DoesNotContain(Directory.GetFiles(folder), f => f.Contains(".tmp-", StringComparison.Ordinal)); // no temporary left behind
    }

    [Fact]
    public void Missing_unexpected_and_mis_shaped_keys_are_all_listed_and_nothing_is_loaded()
    {
        manual_seed(0);
        var source = new ResNet20();
        var state = source.state_dict();
        state["fc_renamed.weight"] = state["fc.weight"];   // unexpected
        state.Remove("fc.weight");                           // missing
        state.Remove("fc.bias");                             // missing
        state["conv1.weight"] = zeros(8, 1, 3, 3);           // 16 filters in the module
        var path = Path.Combine(folder, "edited.pt");
        using (var stream = File.Create(path)) PyTorchPickler.PickleStateDict(stream, state);

        manual_seed(1);
        var target = new ResNet20();
        var before = target.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var e = Assert.Throws<StateDictMismatchException>(() => PyTorchWeights.Load(target, path));
        output.WriteLine(e.Message);
        Assert.Equal(new[] { "fc.weight", "fc.bias" }, e.Missing);
        Assert.Equal(new[] { "fc_renamed.weight" }, e.Unexpected);
        var m = Assert.Single(e.Mismatched);
        Assert.Equal("conv1.weight", m.Key);
        Assert.Equal(new long[] { 8, 1, 3, 3 }, m.FileShape);
        Assert.Equal(new long[] { 16, 1, 3, 3 }, m.ModuleShape);
        Assert.Contains("size mismatch for conv1.weight: copying a param with shape [8, 1, 3, 3] from checkpoint, the shape in current model is [16, 1, 3, 3].", e.Message);
        Assert.Contains("Missing key(s) in state_dict: \"fc.weight\", \"fc.bias\".", e.Message);
        Assert.All(target.state_dict(), kv => Assert.True(kv.Value.equal(before[kv.Key]).all().item<bool>(), kv.Key + " changed"));
    }

    [Fact]
    public void Files_that_are_not_state_dicts_get_a_clear_error()
    {
        var net = new ResNet20();
        Assert.Throws<FileNotFoundException>(() => PyTorchWeights.Load(net, Path.Combine(folder, "nothing.pt")));
        var garbage = Path.Combine(folder, "garbage.pt");
        File.WriteAllBytes(garbage, Enumerable.Range(0, 1000).Select(i => (byte)(i * 7)).ToArray());
        var e = Assert.Throws<InvalidDataException>(() => PyTorchWeights.Load(net, garbage));
        Assert.Contains("not a PyTorch state dict", e.Message);
        Assert.Contains("torch.save(model.state_dict(), path)", e.Message);
    }

    [SkippableFact]
    public void A_torchvision_resnet18_file_loads_into_the_generated_ResNet18_and_back()
    {
        Skip.If(Python("-c", "import torchvision").Code != 0, "python3 with torchvision is not installed (Debian: apt-get install python3-torchvision)");
        var (code, text) = Python(Script, "export", folder);
        Assert.True(code == 0, text);

        // PyTorch -> NetDsl: the same logits as torchvision computed.
        var ours = new ResNet18();
        PyTorchWeights.Load(ours, Path.Combine(folder, "resnet18.pt"));
        ours.eval();
        var probe = Path.Combine(folder, "probe.pt");
        using var x = Tensor(probe, "x");
        using var theirs = Tensor(probe, "logits");
        using var logits = Forward(ours, x);
        double diff = (logits - theirs).abs().max().item<float>();
        output.WriteLine($"PyTorch -> NetDsl: max |logit difference| {diff:E2}");
        Assert.True(diff <= 1e-5, $"max |logit difference| = {diff:E3}");

        // NetDsl -> PyTorch: a trained-looking generated network (running statistics moved) loads strictly into torchvision.
        manual_seed(5);
        var mine = new ResNet18();
        using (var batch = randn(2, 3, 224, 224)) mine.call(batch).Dispose(); // [Input(3, 224, 224)]: generated networks take the declared size
        mine.eval();
        PyTorchWeights.Save(mine, Path.Combine(folder, "netdsl.pt"));
        (code, text) = Python(Script, "import", folder);
        Assert.True(code == 0, text);
        using var mineLogits = Forward(mine, x);
        using var back = Tensor(Path.Combine(folder, "netdsl_logits.pt"), "logits");
        diff = (mineLogits - back).abs().max().item<float>();
        output.WriteLine($"NetDsl -> PyTorch: max |logit difference| {diff:E2}");
        Assert.True(diff <= 1e-5, $"max |logit difference| = {diff:E3}");
    }

    [SkippableFact]
    public void A_checkpoint_dictionary_is_refused_with_the_fix()
    {
        Skip.If(Python("-c", "import torchvision").Code != 0, "python3 with torchvision is not installed (Debian: apt-get install python3-torchvision)");
        var (code, text) = Python(Script, "checkpoint", folder);
        Assert.True(code == 0, text);
        var e = Assert.Throws<InvalidDataException>(() => PyTorchWeights.Load(nn.Linear(3, 2), Path.Combine(folder, "checkpoint.pt")));
        output.WriteLine(e.Message);
        Assert.Contains("checkpoint['state_dict']", e.Message);
    }

    static Tensor Forward(nn.Module<Tensor, Tensor> net, Tensor x)
    {
        using var _ = no_grad();
        return net.call(x);
    }

    /// <summary>One tensor of a dictionary of tensors saved with torch.save.</summary>
    static Tensor Tensor(string path, string key)
    {
        using var stream = File.OpenRead(path);
        var table = PyTorchUnpickler.UnpickleStateDict(stream);
        return (Tensor)table[key]!;
    }
}
