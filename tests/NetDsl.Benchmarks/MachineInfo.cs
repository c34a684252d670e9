using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;

namespace NetDsl.Benchmarks;

/// <summary>
/// What the machine can do and how busy it was: the clock and fp32 peak used for GFLOP/s fractions, and
/// the CPU time that processes other than the benchmark (and its PyTorch peer) took during a run (Linux
/// <c>/proc</c>; elsewhere the figures are reported as unknown).
/// </summary>
public static class MachineInfo
{
    /// <summary>The clock in MHz used for the peak, and where it was read.</summary>
    /// <returns>(MHz, source); (NaN, "unknown") when neither source exists.</returns>
    public static (double Mhz, string Source) Clock()
    {
        const string maxFreq = "/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq";
        if (File.Exists(maxFreq) && double.TryParse(File.ReadAllText(maxFreq).Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var khz))
            return (khz / 1000, maxFreq + " (maximum frequency)");
        if (File.Exists("/proc/cpuinfo"))
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("cpu MHz", StringComparison.Ordinal));
            if (line is not null && double.TryParse(line[(line.IndexOf(':') + 1)..].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var mhz))
                return (mhz, "/proc/cpuinfo 'cpu MHz' of cpu0 (no cpufreq under this hypervisor: the nominal clock, not a boost clock)");
        }
        return (double.NaN, "unknown");
    }

    /// <summary>
    /// fp32 FLOP per cycle per core from the CPU flags: 64 with AVX-512 (2 FMA units x 16 lanes x 2),
    /// 32 with AVX2 + FMA (2 FMA units x 8 lanes x 2, e.g. Zen 3), else 8 (SSE: 4 lanes, add + multiply).
    /// </summary>
    /// <returns>(FLOP per cycle per core, how it was decided).</returns>
    public static (int FlopPerCycle, string Why) FlopPerCycle()
    {
        var flags = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal))?.Split(' ') ?? []
            : [];
        if (flags.Contains("avx512f")) return (64, "AVX-512: 2 FMA units x 16 fp32 lanes x 2 FLOP");
        if (flags.Contains("avx2") && flags.Contains("fma")) return (32, "AVX2 + FMA: 2 FMA units x 8 fp32 lanes x 2 FLOP");
        return (8, "no AVX2 + FMA: 4 fp32 lanes x (add + multiply)");
    }

    /// <summary>The CPU model name from <c>/proc/cpuinfo</c>.</summary>
    public static string CpuModel() =>
        File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?"
            : "?";

    /// <summary>The 1-minute load average (<c>/proc/loadavg</c>), NaN elsewhere.</summary>
    public static double LoadAverage() =>
        File.Exists("/proc/loadavg") && double.TryParse(File.ReadAllText("/proc/loadavg").Split(' ')[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var l) ? l : double.NaN;

    /// <summary>A reading of the machine's CPU counters, to compare with a later one.</summary>
    /// <param name="Busy">Jiffies all CPUs spent running anything (user, nice, system, irq, softirq).</param>
    /// <param name="Total">Jiffies of all CPUs, idle included (steal excluded).</param>
    /// <param name="Steal">Jiffies the hypervisor gave to other guests.</param>
    /// <param name="Ours">Jiffies of this process and of <c>Child</c> (user + system).</param>
    public sealed record Snapshot(long Busy, long Total, long Steal, long Ours);

    /// <summary>Reads the counters; <paramref name="child"/> (the PyTorch peer) counts as ours.</summary>
    /// <param name="child">Another process of the benchmark, or null.</param>
    public static Snapshot? Read(Process? child = null)
    {
        if (!File.Exists("/proc/stat")) return null;
        var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
        // user nice system idle iowait irq softirq steal ...
        long busy = cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6];
        long total = busy + cpu[3] + cpu[4];
        long steal = cpu.Length > 7 ? cpu[7] : 0;
        return new Snapshot(busy, total, steal, ProcessJiffies("self") + (child is null || child.HasExited ? 0 : ProcessJiffies(child.Id.ToString(CultureInfo.InvariantCulture))));
    }

    /// <summary>Minor page faults of this process so far (<c>/proc/self/stat</c>, all threads); 0 elsewhere.</summary>
    public static long MinorFaults()
    {
        if (!File.Exists("/proc/self/stat")) return 0;
        var stat = File.ReadAllText("/proc/self/stat");
        return long.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[7], CultureInfo.InvariantCulture); // minflt, field 10
    }

    static long ProcessJiffies(string pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture); // utime, stime
    }

    /// <summary>
    /// How busy the machine was between two readings: the share of all cores' time taken by other
    /// processes, and by the benchmark itself.
    /// </summary>
    /// <param name="before">The earlier reading (a child's time must be read while it still runs).</param>
    /// <param name="after">The later reading.</param>
    public static string Describe(Snapshot? before, Snapshot? after)
    {
        if (before is null || after is null) return "machine load: unknown (no /proc/stat)";
        double total = after.Total - before.Total;
        double ours = after.Ours - before.Ours;
        double others = after.Busy - before.Busy - ours;
        double steal = after.Steal - before.Steal;
        return $"machine load during the run: this benchmark {100 * ours / total:F0}% of {Environment.ProcessorCount} cores, "
            + $"other processes {100 * Math.Max(0, others) / total:F0}%, hypervisor steal {100 * steal / (total + steal):F0}%, "
            + $"load average now {LoadAverage():F2}";
    }
}
