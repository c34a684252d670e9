using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using NetDsl.Examples;
using TorchSharp;
using static TorchSharp.torch;

namespace NetDsl.Benchmarks;

/// <summary>
/// A generated NetDsl module's training step vs the same architecture in PyTorch (Debian's python3-torch),
/// run with <c>-- vs-pytorch</c>. The C# side exports the generated module's <c>state_dict</c> and the batch
/// (<see cref="TensorExport"/>); <c>pytorch/training_step.py</c> loads them (strict key and shape check),
/// so both sides start from identical weights; the first three training steps must agree (initial loss and logits
/// and those after one SGD update to 1e-4, after two to 1e-2, see <see cref="Tolerances"/>) or the run stops. The PyTorch process is started once per
/// model and driven over stdin/stdout; rounds alternate between the two sides (<see cref="Interleaved"/>).
/// Also reports achieved GFLOP/s against the machine's fp32 peak. Goal: ratio NetDsl / PyTorch &lt;= 1.00.
/// </summary>
public static class VsPyTorch
{
    /// <summary>
    /// Agreement required of the first three training steps: 1e-4 for the initial forward pass and for the step after
    /// one SGD update; 1e-2 after two, because rounding differences grow with each update in the 50-unit MLP (PyTorch
    /// differs from itself by 3e-3 in that loss when only its BLAS library changes). Relative above 1, absolute below.
    /// </summary>
    static readonly double[] Tolerances = [1e-4, 1e-4, 1e-2];

    /// <summary>Runs both comparisons and prints the table.</summary>
    /// <param name="rounds">Timed rounds per model (one training step per side per round).</param>
    /// <param name="warmup">Untimed rounds first.</param>
    /// <param name="resnetOnly">Skip the residual MLP.</param>
    public static void Run(int rounds = 40, int warmup = 5, bool resnetOnly = false)
    {
        var (mhz, clockSource) = MachineInfo.Clock();
        var (flopPerCycle, why) = MachineInfo.FlopPerCycle();
        int cores = Environment.ProcessorCount;
        double peak = cores * flopPerCycle * mhz / 1000; // GFLOP/s
        Console.WriteLine($"CPU: {MachineInfo.CpuModel()}, {cores} cores; clock {mhz:F0} MHz from {clockSource}");
        Console.WriteLine($"fp32 peak: {cores} cores x {flopPerCycle} FLOP/cycle ({why}) x {mhz:F0} MHz = {peak:F1} GFLOP/s");
        Console.WriteLine($"NetDsl side: TorchSharp {typeof(torch).Assembly.GetName().Version}, torch threads {get_num_threads()}, interop threads {get_num_interop_threads()}, "
            + $"OMP_WAIT_POLICY={Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "(unset)"}");
        Console.WriteLine("FLOP convention: forward = 2 x multiply-accumulates (Summary.TotalMultiplyAccumulates x batch, convolutions and linear layers only); "
            + "training step = 3 x forward (backward = 2 x forward: gradients of inputs and of weights).");

        var rows = new List<string>();
        manual_seed(0);
        var resnet = new ResNet20();
        using (var x = randn(128, 1, 28, 28))
        using (var y = randint(0, 10, new long[] { 128 }))
            rows.Add(Compare("ResNet-20, batch 128, 1x28x28", resnet, ResNet20.Summary, x, y, classify: true, lr: 0.01, rounds, warmup, peak));
        // lr 1e-4: at TrainingStepBenchmarks' 0.01 this 50-unit MLP diverges (loss 17, 3.5e4, 4.8e8, then inf and NaN
        // from the fifth step), which amplifies rounding differences past any tolerance; a step's work does not depend on lr.
        manual_seed(0);
        var mlp = new DeepResidualMlp();
        using (var x = randn(256, 1))
        using (var y = randn(256, 1))
            if (!resnetOnly) rows.Add(Compare("residual MLP (50 units, width 200), batch 256", mlp, DeepResidualMlp.Summary, x, y, classify: false, lr: 1e-4, rounds, warmup, peak));

        // The probe goal in the same run: all probes attached (recording everything) vs detached, ResNet-20 training step.
        var probes = new ProbeBenchmarks();
        probes.Setup();
        var probeSw = new Stopwatch();
        double Time(Action step)
        {
            probeSw.Restart();
            step();
            return probeSw.Elapsed.TotalMilliseconds;
        }
        var probe = Interleaved.Compare(() => Time(probes.Attached), () => Time(probes.Detached), rounds, warmup);
        Console.WriteLine($"ResNet-20 training step, all probes attached vs detached: {probe}");
        rows.Add($"| ResNet-20, training step: probes attached vs detached (NetDsl alone; goal <= 1.10) | {probe.Ours:F1} ms | {probe.Reference:F1} ms (detached) | **{probe.Ratio:F3}** ({probe.Q1:F3} to {probe.Q3:F3}) | | |");

        // What the in-place training path (ReLU and residual sums in place, the default) saves against the tapped path.
        double Tapped()
        {
            NetDsl.Inference.InPlaceTraining.Enabled = false;
            try { return Time(probes.Detached); }
            finally { NetDsl.Inference.InPlaceTraining.Enabled = true; }
        }
        var inPlace = Interleaved.Compare(() => Time(probes.Detached), Tapped, rounds, warmup);
        Console.WriteLine($"ResNet-20 training step, in place vs tapped path: {inPlace}");
        rows.Add($"| ResNet-20, training step: in-place path (default) vs tapped path (NetDsl alone) | {inPlace.Ours:F1} ms | {inPlace.Reference:F1} ms (tapped) | **{inPlace.Ratio:F3}** ({inPlace.Q1:F3} to {inPlace.Q3:F3}) | | |");

        Console.WriteLine();
        Console.WriteLine("| model | NetDsl | PyTorch | ratio NetDsl/PyTorch (IQR) | NetDsl GFLOP/s (of peak) | PyTorch GFLOP/s (of peak) |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
        foreach (var r in rows) Console.WriteLine(r);
    }

    static string Compare(string what, nn.Module<Tensor, Tensor> net, ModelSummary summary, Tensor x, Tensor y, bool classify,
        double lr, int rounds, int warmup, double peak)
    {
        Console.WriteLine();
        Console.WriteLine($"== {what}");
        var dir = Path.Combine(Path.GetTempPath(), $"netdsl-vs-pytorch-{Environment.ProcessId}-{summary.Name}");
        const double momentum = 0.9;
        var tensors = net.state_dict().Select(kv => ("state." + kv.Key, kv.Value)).Append(("input", x)).Append(("target", y));
        TensorExport.Write(dir, tensors, new Dictionary<string, object>
        {
            ["model"] = summary.Name, ["loss"] = classify ? "cross_entropy" : "mse", ["lr"] = lr, ["momentum"] = momentum, ["threads"] = get_num_threads(),
        });
        var opt = optim.SGD(net.parameters(), lr, momentum: momentum);
        using var peer = new PythonPeer(dir);
        try
        {
            var hello = peer.Hello;
            Console.WriteLine($"PyTorch side: torch {hello.GetProperty("torch")}, threads {hello.GetProperty("threads")}, interop threads {hello.GetProperty("interop_threads")}, "
                + $"OMP_WAIT_POLICY={hello.GetProperty("omp_wait_policy")}, oneDNN {hello.GetProperty("mkldnn")}, CPU capability {hello.GetProperty("cpu_capability")}, "
                + $"BLAS {hello.GetProperty("blas")}, malloc {(PeerKeepsFreedMemory ? "MALLOC_MMAP_THRESHOLD_=32 MiB, MALLOC_TRIM_THRESHOLD_=1 GiB (as NetDsl)" : "glibc defaults")}");
            long parameters = net.parameters().Sum(p => p.numel());
            if (hello.GetProperty("parameters").GetInt64() != parameters)
                throw new InvalidOperationException($"parameter counts differ: NetDsl {parameters}, PyTorch {hello.GetProperty("parameters")}");

            // Sanity: same weights, same batch => the same logits and loss, step after step (forward, backward and SGD with momentum agree).
            for (int i = 0; i < 3; i++)
            {
                var (loss, logits) = TrainingStepBenchmarks.Step(net, opt, x, y, classify, read: true);
                var reply = peer.Ask("check");
                double pyLoss = reply.GetProperty("loss").GetDouble();
                var pyLogits = reply.GetProperty("logits").EnumerateArray().Select(e => e.GetDouble()).ToArray();
                if (pyLogits.Length != logits.Length) throw new InvalidOperationException("output sizes differ");
                double maxDiff = logits.Zip(pyLogits, (a, b) => Math.Abs(a - b)).Max();
                double tolerance = Tolerances[i];
                bool ok = Math.Abs(loss - pyLoss) <= tolerance * Math.Max(1, Math.Abs(pyLoss))
                    && maxDiff <= tolerance * Math.Max(1, pyLogits.Max(Math.Abs));
                Console.WriteLine($"check, training step {i + 1} ({(i == 0 ? "initial weights" : $"after {i} SGD update{(i > 1 ? "s" : "")}")}): "
                    + $"loss NetDsl {loss:F6}, PyTorch {pyLoss:F6}, |difference| {Math.Abs(loss - pyLoss):E1}; largest |logit difference| {maxDiff:E1} "
                    + (ok ? $"(OK, tolerance {tolerance:E0} x max(1, |value|))" : $"(MISMATCH, tolerance {tolerance:E0} x max(1, |value|))"));
                if (!ok) throw new InvalidOperationException("NetDsl and PyTorch disagree: the timing would not compare the same computation");
            }

            // Eval logits are checked now, while both sides hold the same weights; eval passes are timed after the training
            // rounds (by then every method the eval pass calls is past .NET's tiered compilation, whose background compiler
            // otherwise takes a core during the first rounds).
            var evalTiming = classify ? CheckEval(net, x, peer) : null;

            var sw = new Stopwatch();
            var cpuOurs = new List<double>();
            var cpuTheirs = new List<double>();
            var faultsOurs = new List<double>();
            var faultsTheirs = new List<double>();
            using var self = Process.GetCurrentProcess();
            var before = MachineInfo.Read(peer.Process);
            var result = Interleaved.Compare(
                () =>
                {
                    self.Refresh();
                    var cpu = self.TotalProcessorTime;
                    long faults = MachineInfo.MinorFaults();
                    sw.Restart();
                    TrainingStepBenchmarks.Step(net, opt, x, y, classify);
                    double ms = sw.Elapsed.TotalMilliseconds;
                    self.Refresh();
                    cpuOurs.Add((self.TotalProcessorTime - cpu).TotalMilliseconds);
                    faultsOurs.Add(MachineInfo.MinorFaults() - faults);
                    return ms;
                },
                () =>
                {
                    var reply = peer.Ask("steps 1");
                    cpuTheirs.Add(reply.GetProperty("cpu_ms").GetDouble());
                    faultsTheirs.Add(reply.GetProperty("minor_faults").GetDouble());
                    return reply.GetProperty("ms").GetDouble();
                },
                rounds, warmup);
            var after = MachineInfo.Read(peer.Process);
            Console.WriteLine($"NetDsl vs PyTorch training step: {result}");
            // CPU time of the whole process (both LibTorch threads; on the .NET side also the runtime's own threads) per step:
            // the work done, whereas wall time also counts waiting for the other core.
            double cpuO = Interleaved.Median(cpuOurs.Skip(warmup).ToList()), cpuT = Interleaved.Median(cpuTheirs.Skip(warmup).ToList());
            Console.WriteLine($"CPU time per step (median): NetDsl {cpuO:F1} ms ({cpuO / result.Ours:F2} cores busy), PyTorch {cpuT:F1} ms ({cpuT / result.Reference:F2} cores busy)");
            Console.WriteLine($"minor page faults per step (median; first touches of freshly mapped memory, zeroed by the kernel): "
                + $"NetDsl {Interleaved.Median(faultsOurs.Skip(warmup).ToList()):F0}, PyTorch {Interleaved.Median(faultsTheirs.Skip(warmup).ToList()):F0}");
            Console.WriteLine(MachineInfo.Describe(before, after));

            Console.WriteLine(Phases(net, opt, x, y, classify, peer, rounds));

            double gflop = 3 * 2 * (double)summary.TotalMultiplyAccumulates * x.shape[0] / 1e9;
            double ours = gflop / (result.Ours / 1000), theirs = gflop / (result.Reference / 1000);
            Console.WriteLine($"FLOP per training step: 3 x 2 x {summary.TotalMultiplyAccumulates:N0} MACs x {x.shape[0]} = {gflop:F2} GFLOP; "
                + $"NetDsl {ours:F1} GFLOP/s ({100 * ours / peak:F1}% of peak), PyTorch {theirs:F1} GFLOP/s ({100 * theirs / peak:F1}% of peak)");
            string evalRow = evalTiming is null ? "" : evalTiming(what, summary, rounds, warmup, peak);
            return evalRow + $"| {what}, training step | {result.Ours:F1} ms | {result.Reference:F1} ms | **{result.Ratio:F3}** ({result.Q1:F3} to {result.Q3:F3}) "
                + $"| {ours:F1} ({100 * ours / peak:F1}%) | {theirs:F1} ({100 * theirs / peak:F1}%) |";
        }
        finally
        {
            opt.Dispose();
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// Where a training step's time goes on each side: zero_grad, forward and loss; backward (LibTorch's autograd engine on
    /// both sides, no generated code); the optimizer step. Medians of <paramref name="rounds"/> alternating steps.
    /// </summary>
    static string Phases(nn.Module<Tensor, Tensor> net, optim.Optimizer opt, Tensor x, Tensor y, bool classify, PythonPeer peer, int rounds)
    {
        var ours = new List<double>[] { new(), new(), new() };
        var theirs = new List<double>[] { new(), new(), new() };
        var phases = new double[3];
        for (int r = 0; r < rounds; r++)
        {
            TrainingStepBenchmarks.Step(net, opt, x, y, classify, phases: phases);
            for (int i = 0; i < 3; i++) ours[i].Add(phases[i]);
            var reply = peer.Ask("phase");
            theirs[0].Add(reply.GetProperty("forward_ms").GetDouble());
            theirs[1].Add(reply.GetProperty("backward_ms").GetDouble());
            theirs[2].Add(reply.GetProperty("update_ms").GetDouble());
        }
        string Line(List<double>[] l) => $"forward {Interleaved.Median(l[0]):F1} ms, backward {Interleaved.Median(l[1]):F1} ms, update {Interleaved.Median(l[2]):F1} ms";
        return $"training step phases (medians of {rounds} alternating steps): NetDsl {Line(ours)}; PyTorch {Line(theirs)}";
    }

    /// <summary>
    /// Eval mode under <c>no_grad</c>, batch as in training: NetDsl's generated eval path (BatchNorm folded into the
    /// convolutions, no taps) vs PyTorch's eager eval (goal &lt;= 0.8), and NetDsl's own unfused eval pass
    /// (<see cref="NetDsl.Inference.BatchNormFolding.Enabled"/> off) vs the folded one, interleaved. The logits must agree to 1e-4 first.
    /// </summary>
    /// <returns>Two table rows.</returns>
    static Func<string, ModelSummary, int, int, double, string> CheckEval(nn.Module<Tensor, Tensor> net, Tensor x, PythonPeer peer)
    {
        double[] Logits()
        {
            net.eval();
            try
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                return net.call(x).to_type(ScalarType.Float64).cpu().data<double>().ToArray();
            }
            finally { net.train(); }
        }
        var ours = Logits();
        var theirs = peer.Ask("evalcheck").GetProperty("logits").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        double maxDiff = ours.Zip(theirs, (a, b) => Math.Abs(a - b)).Max();
        bool ok = maxDiff <= 1e-4 * Math.Max(1, theirs.Max(Math.Abs));
        Console.WriteLine($"check, eval pass (BatchNorm folded on the NetDsl side): largest |logit difference| {maxDiff:E1} ({(ok ? "OK" : "MISMATCH")}, tolerance 1e-4 x max(1, |value|))");
        if (!ok) throw new InvalidOperationException("NetDsl's folded eval pass and PyTorch's eval pass disagree");
        return (what, summary, rounds, warmup, peak) => TimeEval(net, x, peer, what, summary, rounds, warmup, peak);
    }

    static string TimeEval(nn.Module<Tensor, Tensor> net, Tensor x, PythonPeer peer, string what, ModelSummary summary, int rounds, int warmup, double peak)
    {
        var sw = new Stopwatch();
        double Eval()
        {
            net.eval();
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            sw.Restart();
            net.call(x);
            double ms = sw.Elapsed.TotalMilliseconds;
            net.train();
            return ms;
        }
        double Unfused()
        {
            NetDsl.Inference.BatchNormFolding.Enabled = false;
            try { return Eval(); }
            finally { NetDsl.Inference.BatchNormFolding.Enabled = true; }
        }
        var vsPyTorch = Interleaved.Compare(Eval, () => peer.Ask("evals 1").GetProperty("ms").GetDouble(), rounds, warmup);
        Console.WriteLine($"NetDsl eval (folded) vs PyTorch eval: {vsPyTorch}");
        var vsUnfused = Interleaved.Compare(Eval, Unfused, rounds, warmup);
        Console.WriteLine($"NetDsl eval folded vs NetDsl eval unfused: {vsUnfused}");
        double gflop = 2 * (double)summary.TotalMultiplyAccumulates * x.shape[0] / 1e9;
        double o = gflop / (vsPyTorch.Ours / 1000), t = gflop / (vsPyTorch.Reference / 1000);
        return $"| {what}, eval (NetDsl folded vs PyTorch eager, no_grad) | {vsPyTorch.Ours:F1} ms | {vsPyTorch.Reference:F1} ms | **{vsPyTorch.Ratio:F3}** ({vsPyTorch.Q1:F3} to {vsPyTorch.Q3:F3}) "
            + $"| {o:F1} ({100 * o / peak:F1}%) | {t:F1} ({100 * t / peak:F1}%) |\n"
            + $"| {what}, eval: NetDsl folded vs NetDsl unfused | {vsUnfused.Ours:F1} ms | {vsUnfused.Reference:F1} ms | {vsUnfused.Ratio:F3} ({vsUnfused.Q1:F3} to {vsUnfused.Q3:F3}) | | |\n";
    }

    /// <summary>Whether the PyTorch process gets NetDsl's kept-memory malloc thresholds: when this process has them, unless
    /// <c>NETDSL_PYTORCH_MALLOC=default</c>.</summary>
    static bool PeerKeepsFreedMemory =>
        NetDsl.Native.TorchSharpRuntime.FreedMemoryPolicy == NetDsl.Native.FreedMemory.Kept
        && Environment.GetEnvironmentVariable("NETDSL_PYTORCH_MALLOC") != "default";

    /// <summary>The PyTorch process: one JSON line per command (see <c>pytorch/training_step.py</c>).</summary>
    sealed class PythonPeer : IDisposable
    {
        readonly StringBuilder stderr = new();

        public PythonPeer(string exportDirectory)
        {
            var script = Path.Combine(AppContext.BaseDirectory, "pytorch", "training_step.py");
            // Debian's python3-torch installs for the system interpreter, which may not be the first python3 on PATH.
            var start = new ProcessStartInfo(File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3")
            {
                RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            // Debian's python3-torch calls the reference (netlib) BLAS through libblas.so.3; an optimized one can be put
            // in front for the peer alone (docs/benchmarks.md), without touching the system's alternatives or LibTorch's MKL.
            var blas = Environment.GetEnvironmentVariable("NETDSL_PYTORCH_BLAS");
            if (!string.IsNullOrEmpty(blas)) start.Environment["LD_LIBRARY_PATH"] = blas;
            // The same malloc settings as this process (glibc reads these variables at start): PyTorch's page faults per step
            // otherwise swing between 0 and 26,000 with the heap's layout (measured 2026-12-01). NETDSL_PYTORCH_MALLOC=default
            // leaves glibc's defaults to the peer.
            if (PeerKeepsFreedMemory)
            {
                start.Environment["MALLOC_MMAP_THRESHOLD_"] = NetDsl.Native.TorchSharpRuntime.KeptMmapThreshold.ToString(System.Globalization.CultureInfo.InvariantCulture);
                start.Environment["MALLOC_TRIM_THRESHOLD_"] = NetDsl.Native.TorchSharpRuntime.KeptTrimThreshold.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            start.ArgumentList.Add(script);
            start.ArgumentList.Add(exportDirectory);
            Process = Process.Start(start) ?? throw new InvalidOperationException("could not start python3");
            Process.ErrorDataReceived += (_, e) => { lock (stderr) stderr.AppendLine(e.Data); };
            Process.BeginErrorReadLine();
            Hello = ReadReply();
        }

        public Process Process { get; }

        public JsonElement Hello { get; }

        public JsonElement Ask(string command)
        {
            Process.StandardInput.WriteLine(command);
            Process.StandardInput.Flush();
            return ReadReply();
        }

        JsonElement ReadReply()
        {
            var line = Process.StandardOutput.ReadLine();
            if (line is null)
            {
                Process.WaitForExit();
                lock (stderr) throw new InvalidOperationException($"the PyTorch peer exited ({Process.ExitCode}): {stderr}");
            }
            var reply = JsonDocument.Parse(line).RootElement.Clone();
            if (reply.TryGetProperty("error", out var error)) throw new InvalidOperationException($"the PyTorch peer: {error}");
            return reply;
        }

        public void Dispose()
        {
            if (!Process.HasExited)
            {
                Process.StandardInput.WriteLine("quit");
                Process.StandardInput.Flush();
                if (!Process.WaitForExit(10_000)) Process.Kill();
            }
            Process.Dispose();
        }
    }
}
