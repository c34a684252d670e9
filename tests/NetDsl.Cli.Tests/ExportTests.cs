using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using NetDsl.Experiments;
using NetDsl.Interop;
using NetDsl.Measurements;
using TorchSharp;
using TorchSharp.PyBridge;
using Xunit;
using static TorchSharp.torch;

namespace NetDsl.Cli.Tests;

/// <summary><c>netdsl export</c>: the files it writes, what PyTorch makes of them, and its errors.</summary>
[Collection("console")]
public sealed class ExportTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("netdsl-export-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    static (int Code, string Out, string Error) Run(params string[] args) => CommandLineTests.Run(args);

    static VariantInfo Variant(string name) => Catalog.AllVariants().Single(v => v.Name == name);

    [Fact]
    public void Export_writes_the_source_and_the_seeded_initialized_weights()
    {
        var py = Path.Combine(folder, "cifar.py");
        var pt = Path.Combine(folder, "cifar.pt");
        var (code, output, error) = Run("export", "cifarresnet.residual.depth3", "--pytorch", py, "--weights", pt, "--init", "HeFanIn", "--seed", "3");
        Assert.True(code == 0, error);
        var v = Variant("CifarResNet.Residual.Depth3");
        Assert.Equal(v.PyTorchSource, File.ReadAllText(py));
        Assert.Contains("class CifarResNet_Residual_Depth3(nn.Module):", v.PyTorchSource);
        Assert.Contains("zero_pad_shortcut", v.PyTorchSource); // He et al.'s option A
        Assert.Contains("wrote " + py + ": PyTorch source of CifarResNet.Residual.Depth3, class CifarResNet_Residual_Depth3 (269,434 parameters, input [N, 1, 28, 28])", output);
        Assert.Contains("HeFanIn initialization, seed 3", output);
        Assert.Contains("in Python: from cifar import CifarResNet_Residual_Depth3; model = CifarResNet_Residual_Depth3(); model.load_state_dict(torch.load(\"" + pt + "\"))", output);

        // The file holds exactly what --init HeFanIn --seed 3 gives.
        manual_seed(3);
        var expected = v.Create();
        Initialization.Apply(expected, InitScheme.HeFanIn);
        var loaded = v.Create();
        PyTorchWeights.Load(loaded, pt);
        foreach (var (key, t) in expected.state_dict()) Assert.True(t.equal(loaded.state_dict()[key]).all().item<bool>(), key);
    }

    [Fact]
    public void Only_the_source_or_only_the_weights()
    {
        var py = Path.Combine(folder, "net.py");
        var (code, output, _) = Run("export", "ScaledShatterNet.Depth2", "--pytorch", py);
        Assert.Equal(0, code);
        Assert.Contains("branch * 0.1 + shortcut", File.ReadAllText(py));
        Assert.DoesNotContain("load_state_dict", output);
        var pt = Path.Combine(folder, "only.pt");
        (code, output, _) = Run("export", "ScaledShatterNet.Depth2", "--weights", pt);
        Assert.Equal(0, code);
        Assert.True(File.Exists(pt));
        Assert.Contains("PyTorchDefault initialization, seed 0", output);
        Assert.DoesNotContain("in Python", output);
    }

    [SkippableFact]
    public void PyTorch_loads_the_export_strictly_and_computes_the_same_logits()
    {
        Skip.If(Python("-c", "import torch").Code != 0, "python3 with torch is not installed (Debian: apt-get install python3-torch)");
        var name = "OrderNet.PreAct";
        var py = Path.Combine(folder, "order_net.py");
        var pt = Path.Combine(folder, "order_net.pt");
        var (code, _, error) = Run("export", name, "--pytorch", py, "--weights", pt, "--seed", "7");
        Assert.True(code == 0, error);

        manual_seed(7);
        var model = Variant(name).Create();
        model.eval();
        var x = randn(3, 1, 28, 28);
        using (var stream = File.Create(Path.Combine(folder, "x.pt")))
            PyTorchPickler.PickleStateDict(stream, new Dictionary<string, Tensor> { ["x"] = x });
        var script = string.Join("\n",
            "import sys, torch",
            "sys.path.insert(0, sys.argv[1])",
            "from order_net import OrderNet_PreAct",
            "model = OrderNet_PreAct()",
            "model.load_state_dict(torch.load(sys.argv[1] + '/order_net.pt'), strict=True)",
            "model.eval()",
            "with torch.no_grad():",
            "    torch.save({'logits': model(torch.load(sys.argv[1] + '/x.pt')['x'])}, sys.argv[1] + '/logits.pt')",
            "print(sum(p.numel() for p in model.parameters()))");
        var (pyCode, text) = Python("-c", script, folder);
        Assert.True(pyCode == 0, text);
        Assert.Equal(Variant(name).Summary.TotalParameters, long.Parse(text.Trim(), System.Globalization.CultureInfo.InvariantCulture));
        Tensor theirs;
        using (var stream = File.OpenRead(Path.Combine(folder, "logits.pt")))
            theirs = (Tensor)PyTorchUnpickler.UnpickleStateDict(stream)["logits"]!;
        using var _ = no_grad();
        double diff = (model.call(x) - theirs).abs().max().item<float>();
        Assert.True(diff <= 1e-5, $"max |logit difference| {diff:E2}");
    }

    [Theory]
    [InlineData("no variant named 'Nope'; variants are named <network>.<settings>, from the networks DepthNet, VggNet", "Nope", "--pytorch", "{0}/a.py")]
    [InlineData("no variant named 'CifarResNet.Depth4'; did you mean: CifarResNet.Plain.Depth3,", "CifarResNet.Depth4", "--pytorch", "{0}/a.py")]
    [InlineData("nothing to export: give --pytorch out.py (the PyTorch source) and/or --weights out.pt", "OrderNet.PreAct")]
    [InlineData("cannot write '{0}/missing/a.py'", "OrderNet.PreAct", "--pytorch", "{0}/missing/a.py")]
    [InlineData("cannot write '{0}/missing/a.pt'", "OrderNet.PreAct", "--weights", "{0}/missing/a.pt")]
    [InlineData("cannot write '{0}'", "OrderNet.PreAct", "--pytorch", "{0}")]
    // One of two files cannot be written: neither is left (the source is not written before the weights fail, nor the reverse).
    [InlineData("cannot write '{0}/missing/a.pt'", "OrderNet.PreAct", "--pytorch", "{0}/a.py", "--weights", "{0}/missing/a.pt")]
    [InlineData("cannot write '{0}/missing/a.py'", "OrderNet.PreAct", "--pytorch", "{0}/missing/a.py", "--weights", "{0}/a.pt")]
    [InlineData("--pytorch and --weights both name '{0}/same'; give two files", "OrderNet.PreAct", "--pytorch", "{0}/same", "--weights", "{0}/same")]
    [InlineData("as an initialization: use HeFanIn, TorchvisionFanOut or PyTorchDefault", "OrderNet.PreAct", "--weights", "{0}/a.pt", "--init", "Xavier")]
    [InlineData("an empty file name", "OrderNet.PreAct", "--pytorch", "")]
    public void Bad_input_exits_2_with_a_one_line_message(string message, params string[] args)
    {
        var (code, _, error) = Run(["export", .. args.Select(a => string.Format(System.Globalization.CultureInfo.InvariantCulture, a, folder))]);
        Assert.Equal(2, code);
        Assert.StartsWith("error: ", error);
        Assert.Contains(string.Format(System.Globalization.CultureInfo.InvariantCulture, message, folder), error);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.DoesNotContain("System.", error);
        Assert.Empty(Directory.GetFiles(folder));
    }

    static (int Code, string Output) Python(params string[] args)
    {
        var start = new ProcessStartInfo(File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        try
        {
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(5))) { process.Kill(entireProcessTree: true); return (-1, "python3 did not finish in 5 minutes"); }
            return (process.ExitCode, stdout.Result + stderr.Result);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return (-1, "python3 not found");
        }
    }
}
