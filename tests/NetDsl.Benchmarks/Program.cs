using System;
using System.Linq;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Microsoft.CodeAnalysis;
using NetDsl.Benchmarks;
using NetDsl.Generators;

// The library's default keeps freed tensor memory (TorchSharpRuntime.EnsureLoaded); NETDSL_KEEP_FREED_MEMORY=0 leaves glibc's
// defaults (process-wide, so per run).
NetDsl.Native.TorchSharpRuntime.EnsureLoaded();
Console.WriteLine($"malloc: {(NetDsl.Native.TorchSharpRuntime.FreedMemoryPolicy == NetDsl.Native.FreedMemory.Kept ? "freed memory kept, the library's default (mmap threshold 32 MiB, trim threshold 1 GiB)" : $"glibc's settings ({NetDsl.Native.TorchSharpRuntime.FreedMemoryPolicy})")}");

// A memory run measures this process's peak working set: it starts before the generator check below, whose Roslyn compilation would count.
if (args.Length > 0 && args[0] == "memory")
{
    Console.WriteLine($"threads: OMP_WAIT_POLICY={Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "(unset)"}, torch threads={TorchConfig.Threads}");
    TorchConfig.ApplyThreads();
    MemoryRun.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1000, args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 32);
    return;
}

// Before the timed runs: how many outputs does a keystroke in an unrelated file regenerate? (goal 0)
var compilation = GeneratorBenchmarks.BuildCompilation();
var driver = GeneratorBenchmarks.Driver().RunGenerators(compilation);
var first = driver.GetRunResult();
driver = driver.RunGenerators(GeneratorBenchmarks.Keystroke(compilation));
var steps = driver.GetRunResult().Results.Single().TrackedSteps;
var outputs = steps.Where(s => s.Key is NetworkGenerator.TrackingNames.Networks or NetworkGenerator.TrackingNames.Blocks)
    .SelectMany(s => s.Value).SelectMany(s => s.Outputs).ToList();
Console.WriteLine($"generator: {first.GeneratedTrees.Length} generated files; after an unrelated keystroke, "
    + $"{outputs.Count(o => o.Reason is IncrementalStepRunReason.Modified or IncrementalStepRunReason.New)} of {outputs.Count} models changed (goal 0)");
Console.WriteLine($"threads: OMP_WAIT_POLICY={Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "(unset)"}, torch threads={TorchConfig.Threads}");

if (args.Length > 0 && args[0] == "probe-profile")
{
    TorchConfig.ApplyThreads();
    ProbeProfile.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 15);
    return;
}
if (args.Length > 0 && args[0] == "interleaved")
{
    TorchConfig.ApplyThreads();
    Interleaved.Run(args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 40, 5, args.Length > 1 ? args[1] : null);
    return;
}
if (args.Length > 0 && args[0] == "forward-checks")
{
    TorchConfig.ApplyThreads();
    ForwardCheckCost.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 30);
    return;
}
if (args.Length > 0 && args[0] == "fold-cost")
{
    TorchConfig.ApplyThreads();
    FoldCost.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 40);
    return;
}
if (args.Length > 0 && args[0] == "tap-cost")
{
    TapCost.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 200);
    return;
}
if (args.Length > 0 && args[0] == "fused-stats")
{
    TorchConfig.ApplyThreads();
    FusedStatisticsCost.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 200, 20);
    return;
}
if (args.Length > 0 && args[0] == "memory-format")
{
    TorchConfig.ApplyThreads();
    MemoryFormat.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 30, 5);
    return;
}
if (args.Length > 0 && args[0] == "vs-pytorch")
{
    TorchConfig.ApplyThreads();
    VsPyTorch.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 40, 5, args.Length > 2 && args[2] == "resnet");
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(TrainingStepBenchmarks).Assembly).Run(args);

namespace NetDsl.Benchmarks
{
    /// <summary>Benchmarks of TorchSharp code: explicit thread settings (see docs/benchmarks.md), few long iterations.</summary>
    public sealed class TorchConfig : ManualConfig
    {
        public static int Threads => int.TryParse(Environment.GetEnvironmentVariable("NETDSL_THREADS"), out var t) ? t : 2;

        public static void ApplyThreads() => TorchSharp.torch.set_num_threads(Threads);

        public TorchConfig()
        {
            // In process: LibTorch reads OMP_WAIT_POLICY when it loads, so it must be set for this process (docs/benchmarks.md).
            AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance)
                .WithWarmupCount(3).WithIterationCount(15).WithInvocationCount(4).WithUnrollFactor(1));
            AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByCategory);
        }
    }

    /// <summary>The generator benchmarks run in-process on the managed heap: the default job.</summary>
    public sealed class GeneratorConfig : ManualConfig
    {
        public GeneratorConfig() => AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(3).WithIterationCount(10));
    }
}
