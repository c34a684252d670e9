using System.Collections.Generic;
using System.Linq;
using System.Threading;
using NetDsl.Generators.Diagnostics;
using NetDsl.Generators.Kinds.Layers;
using NetDsl.Generators.Kinds.Normalization;
using NetDsl.Generators.Model;

namespace NetDsl.Generators.Planning;

/// <summary>
/// Runs a network's forward pass on shapes at compile time: infers every layer's input size, checks
/// that each layer can run and each residual addition can add, and produces the summary rows
/// (output shape, parameters, multiply-accumulates) that the generated <c>Summary</c> holds.
/// A block is walked once per distinct (input shape, planes, stride): repeated blocks and nested stages
/// reuse that result, so the work grows with the number of distinct block uses, not with the number of
/// instances; rows are expanded only when their count is within <see cref="Limits.MaxExpandedLayers"/>.
/// </summary>
internal sealed class ShapeInference
{
    readonly string network;
    readonly CancellationToken ct;
    /// <summary>The Summary rows, expanded; empty when the walk failed or the count is over the bound.</summary>
    public List<SummaryRow> Rows { get; } = new();
    /// <summary>Expanded layers (Summary rows) of the network, counted without expanding (saturates at <see cref="long.MaxValue"/>).</summary>
    public long LayerCount { get; private set; }
    public List<DiagnosticInfo> Diagnostics { get; } = new();
    /// <summary>For each step of the network's own schedule: the size of dimension 0 of its input (channels or features).</summary>
    public List<long> StepInputs { get; } = new();
    /// <summary>For each step of the network's own schedule: the rank of its per-sample input (3 for maps, 1 for vectors).</summary>
    public List<int> StepRanks { get; } = new();
    System.Func<int, LocationInfo?> typeAt = _ => null;

    /// <summary>One walked unit: its output shape and its rows, names relative to the unit; stages hold their blocks' units.</summary>
    sealed class Unit
    {
        public long[] Output = System.Array.Empty<long>();
        public readonly List<object> Items = new(); // SummaryRow or StageRun
        public long Count;
    }

    sealed record StageRun(string Name, Unit[] Blocks);

    /// <summary>Walked blocks by block spec (by reference: one parse shares them) and (planes, stride, input shape).</summary>
    readonly Dictionary<BlockSpec, Dictionary<string, Unit>> memo = new(ReferenceComparer<BlockSpec>.Instance);
    readonly Dictionary<BlockSpec, UnitSchedule> schedules = new(ReferenceComparer<BlockSpec>.Instance);

    ShapeInference(string network, CancellationToken ct)
    {
        this.network = network;
        this.ct = ct;
    }

    static string Show(long[] s) => string.Join(", ", s);

    /// <summary>
    /// Infers shapes through a network; diagnostics point at the network's layer attributes. <paramref name="what"/>
    /// names the network in a too-many-layers message ("Network 'Net'", "Variant 'Net.Plain'").
    /// </summary>
    public static ShapeInference Run(NetworkSpec spec, IReadOnlyList<LocationInfo?> locations, IReadOnlyList<LocationInfo?> typeLocations, LocationInfo? classLocation,
        CancellationToken ct, string? what = null)
    {
        var inference = new ShapeInference(spec.Name, ct) { typeAt = i => typeLocations[i] };
        var schedule = UnitSchedule.Build(spec.Layers.ToList(), spec.Policy, isNetwork: true);
        var shape = spec.InputShape.Select(s => (long)s).ToArray();
        var unit = inference.Walk(schedule, "", shape, planes: 0, stride: 1, at: i => locations[i], useSite: null);
        if (unit is null) return inference;
        inference.LayerCount = unit.Count;
        if (unit.Count > Limits.MaxExpandedLayers)
        {
            inference.Report(DiagnosticDescriptors.TooManyLayers, classLocation, what ?? $"Network '{spec.Name}'", Expansion.Show(unit.Count), Expansion.Show(Limits.MaxExpandedLayers),
                "use fewer blocks per stage, fewer stages, or shallower nested stages");
            return inference;
        }
        inference.Expand(unit, "");
        try
        {
            _ = inference.Rows.Aggregate(0L, (a, r) => a + r.Parameters) + inference.Rows.Aggregate(0L, (a, r) => a + r.Macs); // overflow-checked build
        }
        catch (System.OverflowException)
        {
            inference.Rows.Clear();
            inference.Report(DiagnosticDescriptors.InvalidValue, classLocation, $"The size of '{spec.Name}'", "too large to count", "small enough that its parameters and multiply-accumulates fit in 64 bits");
        }
        return inference;
    }

    void Expand(Unit unit, string prefix)
    {
        foreach (var item in unit.Items)
        {
            ct.ThrowIfCancellationRequested();
            if (item is SummaryRow row) Rows.Add(row with { Name = prefix + row.Name });
            else if (item is StageRun stage)
                for (int b = 0; b < stage.Blocks.Length; b++) Expand(stage.Blocks[b], $"{prefix}{stage.Name}.{b}.");
        }
    }

    /// <summary>
    /// Walks one unit (the network, or a block at one use). Block sizes come from <paramref name="planes"/>
    /// and <paramref name="stride"/>; <paramref name="useSite"/> is where a block's problems are reported, and
    /// <paramref name="prefix"/> names the instance in them. Returns the unit, or null when the walk stopped at an error.
    /// </summary>
    Unit? Walk(UnitSchedule s, string prefix, long[] input, long planes, long stride, System.Func<int, LocationInfo?> at, (string Block, LocationInfo? Location)? useSite, int expansion = 1)
    {
        var layers = s.Layers;
        int lastChannel = s.LastChannelLayer;
        var unit = new Unit();
        long[] x = input;
        foreach (var step in s.Steps)
        {
            ct.ThrowIfCancellationRequested();
            var l = step.Layer >= 0 ? layers[step.Layer] : null;
            LocationInfo? where = useSite?.Location ?? (step.Layer >= 0 ? at(step.Layer) : null);
            string name = useSite is { } u ? $"{prefix + l?.Name} in block {u.Block}" : l?.Name ?? "";
            try
            {
                // The project compiles with overflow checking: a size too large to count throws here.
                if (useSite is null)
                {
                    StepInputs.Add(step.Kind == StepKind.Flatten ? x.Aggregate(1L, (a, b) => a * b) : x[0]);
                    StepRanks.Add(step.Kind == StepKind.Flatten ? 1 : x.Length);
                }
                switch (step.Kind)
                {
                    case StepKind.Flatten:
                        x = new[] { x.Aggregate(1L, (a, b) => a * b) };
                        break;
                    case StepKind.Add:
                        // torchvision's order: the branch, then the shortcut (downsample), then the sum.
                        if (!Residual(s, prefix, input, x, stride, useSite!.Value, unit.Items)) return null;
                        break;
                    case StepKind.Norm:
                        if (!Normalizes(s.Norms[step.Layer], x[0], x.Length == 3, $"The {Norms.Of(s.Norms[step.Layer].Kind).Name} of {(name.Length > 0 ? name : network)}", where)) return null;
                        unit.Items.Add(NormRow(step.Module!, s.Norms[step.Layer], x));
                        break;
                    case StepKind.Scalar:
                        // Fixup's biases and multiplier, SkipInit's alpha: one parameter each, shape unchanged.
                        unit.Items.Add(new SummaryRow(step.Module!, "Parameter", Shape(x), 1, 0));
                        break;
                    case StepKind.Act:
                    {
                        var a = s.Activations[step.Layer];
                        unit.Items.Add(new SummaryRow(step.Module!, Activation.Module(a.Kind), Shape(x), 0, 0));
                        break;
                    }
                    default:
                    {
                        var next = Layer(s, step.Layer, step.Module!, prefix, x, planes, stride, step.Layer == lastChannel ? planes * expansion : planes, name, where, useSite is not null, unit.Items);
                        if (next is null) return null;
                        x = next;
                        break;
                    }
                }
            }
            catch (System.OverflowException)
            {
                Report(DiagnosticDescriptors.InvalidValue, where, $"The size of {(name.Length > 0 ? name : network)}", "too large to count", "small enough that its parameters and multiply-accumulates fit in 64 bits");
                return null;
            }
        }
        unit.Output = x;
        foreach (var item in unit.Items)
            unit.Count = Expansion.Add(unit.Count, item is StageRun stage ? stage.Blocks.Aggregate(0L, (c, b) => Expansion.Add(c, b.Count)) : 1);
        return unit;
    }

    long[]? Layer(UnitSchedule s, int index, string module, string prefix, long[] x, long planes, long blockStride, long outSize, string name, LocationInfo? where, bool inBlock, List<object> items)
    {
        var l = s.Layers[index];
        var kind = l.Kind;
        long stride = inBlock && index == s.StridedLayer ? blockStride : l.Stride;
        if (kind.Composite) return Stage(l, prefix, x, inBlock ? planes : l.Out, stride, where, items);
        var shape = new LayerShape(l, x, inBlock ? outSize : l.Out, stride, kind.IsWeight && s.Bias(index), name,
            (d, atType, args) => Report(d, atType && !inBlock ? typeAt(index) ?? where : where, args));
        if (kind.Infer(shape) is not { } output) return null;
        items.Add(new SummaryRow(module, kind.ModuleType(l, x.Length == 3), Shape(output.Shape), output.Parameters, output.Macs));
        return output.Shape;
    }

    long[]? Stage(LayerSpec stage, string prefix, long[] x, long planes, long firstStride, LocationInfo? where, List<object> items)
    {
        var block = stage.Block!;
        if (block.Spatial != (x.Length == 3))
        {
            if (block.Spatial) Report(DiagnosticDescriptors.NeedsSpatialMap, where, stage.Name, "a stage of " + block.Name, Show(x));
            else Report(DiagnosticDescriptors.LinearAfterSpatialMap, where, stage.Name, Show(x));
            return null;
        }
        if (!schedules.TryGetValue(block, out var schedule)) schedules[block] = schedule = UnitSchedule.Build(block.Layers.ToList(), block.Policy, isNetwork: false);
        if (!memo.TryGetValue(block, out var walked)) memo[block] = walked = new Dictionary<string, Unit>();
        var units = new Unit[stage.Blocks];
        for (int b = 0; b < stage.Blocks; b++)
        {
            ct.ThrowIfCancellationRequested();
            long stride = b == 0 ? firstStride : 1;
            var key = planes.ToString(System.Globalization.CultureInfo.InvariantCulture) + "/" + stride.ToString(System.Globalization.CultureInfo.InvariantCulture) + "/" + Show(x);
            if (!walked.TryGetValue(key, out var unit))
            {
                unit = Walk(schedule, $"{prefix}{stage.Name}.{b}.", x, planes, stride, _ => where, (block.Name, where), block.Expansion);
                if (unit is null) return null;
                walked[key] = unit;
            }
            units[b] = unit;
            x = unit.Output;
        }
        items.Add(new StageRun(stage.Name, units));
        return x;
    }

    bool Residual(UnitSchedule s, string prefix, long[] input, long[] branch, long stride, (string Block, LocationInfo? Location) site, List<object> items)
    {
        var policy = s.Residual!;
        bool spatial = input.Length == 3;
        long[] subsampled = spatial ? new[] { branch[0], Windows.Output(input[1], 1, (int)stride, 0), Windows.Output(input[2], 1, (int)stride, 0) } : new[] { branch[0] };
        // The same test the generated constructor makes at run time.
        bool shapeChanges = spatial ? stride != 1 || input[0] != branch[0] : input[0] != branch[0];
        var kind = policy.Shortcut;
        long[] shortcut;
        string fix;
        if (kind == ShortcutKind.Identity || !shapeChanges && kind != ShortcutKind.Projection)
        {
            shortcut = input;
            fix = kind == ShortcutKind.Identity
                ? "use Shortcut.Auto (projection when shapes change) or Shortcut.ZeroPad"
                : "the branch must keep the input's spatial size at stride 1; check the branch's kernels and padding";
        }
        else if (kind == ShortcutKind.ZeroPad)
        {
            shortcut = branch[0] < input[0] ? new[] { input[0] }.Concat(subsampled.Skip(1)).ToArray() : subsampled;
            fix = branch[0] < input[0] ? "zero padding cannot remove channels: use Shortcut.Auto (projection)" : "the branch's spatial size must equal the input subsampled by the stride; check the branch's kernels and padding";
        }
        else
        {
            var d = s.ProjectionNorm;
            shortcut = subsampled;
            long weights = branch[0] * input[0];
            items.Add(new SummaryRow("downsample.0", spatial ? "Conv2d" : "Linear", Shape(shortcut), weights + (s.ProjectionBias ? branch[0] : 0), weights * (spatial ? shortcut[1] * shortcut[2] : 1)));
            if (d is not null)
            {
                if (!Normalizes(d, branch[0], spatial, $"The shortcut projection's {Norms.Of(d.Kind).Name} in {prefix.TrimEnd('.')} ({site.Block})", site.Location)) return false;
                items.Add(NormRow("downsample.1", d, shortcut));
            }
            fix = "the branch's spatial size must equal the input subsampled by the stride; check the branch's kernels and padding";
        }
        if (!shortcut.SequenceEqual(branch))
        {
            string name = kind == ShortcutKind.Identity || !shapeChanges && kind != ShortcutKind.Projection ? "identity" : kind.ToString().ToLowerInvariant();
            Report(DiagnosticDescriptors.ResidualCannotAdd, site.Location, network, prefix.TrimEnd('.') + " (" + site.Block + ")", Show(branch), name, Show(shortcut), fix);
            return false;
        }
        return true;
    }

    static EquatableArray<long> Shape(long[] s) => new(s);

    /// <summary>The Summary row of a normalization layer on <paramref name="x"/> (its kind picks the module type and counts the parameters).</summary>
    static SummaryRow NormRow(string name, NormPolicy p, long[] x)
    {
        var kind = Norms.Of(p.Kind);
        return new SummaryRow(name, kind.ModuleType(x.Length == 3), Shape(x), kind.Parameters(x[0]), 0);
    }

    /// <summary>Whether the normalization can run on <paramref name="channels"/> channels; reports ND0041 with the kind's reason and fix when not (GroupNorm's groups must divide them).</summary>
    bool Normalizes(NormPolicy p, long channels, bool map, string what, LocationInfo? where)
    {
        if (Norms.Of(p.Kind).Problem(p, channels, map) is not { } problem) return true;
        Report(DiagnosticDescriptors.NormCannotRun, where, what, problem);
        return false;
    }

    void Report(Microsoft.CodeAnalysis.DiagnosticDescriptor d, LocationInfo? at, params string[] args) => Diagnostics.Add(DiagnosticInfo.Create(d, at, args));
}

/// <summary>Reference equality, for memo tables keyed by one parse's shared spec instances (value equality would walk them).</summary>
internal sealed class ReferenceComparer<T> : IEqualityComparer<T> where T : class
{
    public static readonly ReferenceComparer<T> Instance = new();
    public bool Equals(T? x, T? y) => ReferenceEquals(x, y);
    public int GetHashCode(T obj) => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj);
}
