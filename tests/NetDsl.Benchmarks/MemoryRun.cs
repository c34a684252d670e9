using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using NetDsl.Examples;
using TorchSharp;
using static TorchSharp.torch;

namespace NetDsl.Benchmarks;

/// <summary>
/// Does a long training run leak? (<c>-- memory</c>.) Trains the generated ResNet-20 for 1,000 SGD steps
/// (batch 32, a fresh random batch each step, created inside the step's dispose scope as a data loader's
/// would be) and reports the resident set (VmRSS) and its peak (VmHWM, <see cref="Process.PeakWorkingSet64"/>)
/// and TorchSharp's count of live tensors on this thread (<see cref="DisposeScopeManager.Statistics"/>)
/// before training, at step 100 and at step 1,000. Goal: flat (after the first step, which adds SGD's momentum
/// buffers, no tensor left behind; the resident set at step 1,000 within 5% of step 100).
/// </summary>
public static class MemoryRun
{
    /// <summary>Runs the training loop and prints the checkpoints.</summary>
    /// <param name="steps">Training steps.</param>
    /// <param name="batch">Batch size (ResNet-20 at batch 128 takes about 0.3 s a step here; 32 keeps the run near two minutes).</param>
    public static void Run(int steps = 1000, int batch = 32)
    {
        var stats = DisposeScopeManager.Statistics.TensorStatistics;
        Console.WriteLine($"memory: generated ResNet-20, batch {batch}, 1x28x28, {steps} SGD steps (momentum 0.9), torch threads {get_num_threads()}, "
            + $"OMP_WAIT_POLICY={Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "(unset)"}");
        Console.WriteLine($"before the model: {Status()}, live tensors {stats.ThreadTotalLiveCount}");
        manual_seed(0);
        var net = new ResNet20();
        var opt = optim.SGD(net.parameters(), 0.01, momentum: 0.9);
        long liveBefore = stats.ThreadTotalLiveCount;
        int parameterTensors = net.parameters().Count();
        Console.WriteLine($"model and optimizer built: {Status()}, live tensors {liveBefore}");
        var load0 = MachineInfo.Read();
        var sw = Stopwatch.StartNew();
        long rss100 = 0, live100 = 0;
        for (int step = 1; step <= steps; step++)
        {
            Step(net, opt, batch);
            if (step is 1 or 10 || step % 100 == 0)
            {
                long live = stats.ThreadTotalLiveCount;
                Console.WriteLine($"step {step,5}: {Status()}, live tensors {live}, managed heap {GC.GetTotalMemory(false) / 1048576.0:F1} MiB, {sw.Elapsed.TotalSeconds:F0} s");
                if (step == 100) { rss100 = Read("VmRSS"); live100 = live; }
            }
        }
        long rssEnd = Read("VmRSS"), liveEnd = stats.ThreadTotalLiveCount;
        Console.WriteLine(MachineInfo.Describe(load0, MachineInfo.Read()));
        Console.WriteLine($"{steps / sw.Elapsed.TotalSeconds:F1} steps/s; peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:F1} MiB (Process.PeakWorkingSet64), VmHWM {Read("VmHWM") / 1024.0:F1} MiB");
        Console.WriteLine($"TorchSharp tensor statistics (this thread): {stats}");
        double growth = rss100 == 0 ? double.NaN : (double)(rssEnd - rss100) / rss100;
        // The first step adds one momentum buffer per parameter tensor (SGD's state, detached from that step's scope); nothing after it.
        bool flat = live100 == liveBefore + parameterTensors && liveEnd == live100 && Math.Abs(growth) <= 0.05;
        Console.WriteLine($"live tensors: {liveBefore} before training, {live100} at step 100 (+{parameterTensors} momentum buffers, one per parameter tensor), {liveEnd} at step {steps}; "
            + $"resident set step 100 -> {steps}: {rss100 / 1024.0:F1} -> {rssEnd / 1024.0:F1} MiB ({100 * growth:+0.0;-0.0}%): {(flat ? "flat (goal met)" : "NOT flat (goal missed)")}");
        opt.Dispose();
        net.Dispose();
    }

    static void Step(nn.Module<Tensor, Tensor> net, optim.Optimizer opt, int batch)
    {
        using var scope = NewDisposeScope();
        var x = randn(batch, 1, 28, 28);
        var y = randint(0, 10, new long[] { batch });
        opt.zero_grad();
        nn.functional.cross_entropy(net.call(x), y).backward();
        opt.step();
    }

    static string Status() => $"VmRSS {Read("VmRSS") / 1024.0:F1} MiB, VmHWM {Read("VmHWM") / 1024.0:F1} MiB";

    /// <summary>A field of <c>/proc/self/status</c> in KiB (the kernel writes "kB"; the working set on Linux); 0 elsewhere.</summary>
    static long Read(string field)
    {
        if (!File.Exists("/proc/self/status")) return 0;
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }
}
