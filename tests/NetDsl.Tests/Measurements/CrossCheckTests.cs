using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using NetDsl.Measurements;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace NetDsl.Tests.Measurements;

/// <summary>
/// The ACF and a Santurkar probe recomputed by PyTorch (Debian's python3-torch) on the same weights
/// (tests/crosscheck/crosscheck.py): they must agree to 1e-4. Skipped where python3 cannot import torch.
/// </summary>
public class CrossCheckTests(ITestOutputHelper output)
{
    // Debian's python3-torch installs for the system interpreter, which may not be the first python3 on PATH.
    static (int Code, string Output) Python(params string[] args) =>
        TestSupport.Run(File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3", null, args);

    [SkippableFact]
    public void ACF_and_Santurkar_probe_agree_with_PyTorch()
    {
        Skip.If(Python("-c", "import torch").Code != 0, "python3 with torch is not installed (Debian: apt-get install python3-torch)");

        manual_seed(8);
        var net = new CrossCheckMlp();
        var grid = ShatteredGradients.Grid();
        var g = ShatteredGradients.InputGradients(net, grid);
        var acf = ShatteredGradients.Autocorrelation(g, 8);
        using var bx = randn(32, 1);
        using var by = bx.sin();
        var etas = new[] { 0.05, 0.1, 0.2, 0.4 };
        var probe = Smoothness.Probe(net, () => nn.functional.mse_loss(net.call(bx), by), etas);

        double[][] Rows(Tensor t) => Enumerable.Range(0, (int)t.shape[0]).Select(i => t[i].to_type(ScalarType.Float64).data<double>().ToArray()).ToArray();
        var layers = new[] { "fc1", "fc2", "fc3" }.Select(n => new
        {
            weight = Rows(net.named_parameters().Single(p => p.name == n + ".weight").parameter.detach()),
            bias = net.named_parameters().Single(p => p.name == n + ".bias").parameter.detach().to_type(ScalarType.Float64).data<double>().ToArray(),
        });
        var json = JsonSerializer.Serialize(new
        {
            layers, grid, gradients = g, acf,
            batch_x = Rows(bx), batch_y = Rows(by), etas,
            losses = probe.Losses, gradient_changes = probe.GradientChanges, beta = probe.EffectiveBetaSmoothness,
        });
        var file = Path.Combine(Path.GetTempPath(), $"netdsl-crosscheck-{Environment.ProcessId}.json");
        File.WriteAllText(file, json);
        try
        {
            var (code, text) = Python(Path.Combine(TestSupport.RepoRoot(), "tests", "crosscheck", "crosscheck.py"), file);
            output.WriteLine(text);
            Assert.True(code == 0, text);
            Assert.Contains("OK", text);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
