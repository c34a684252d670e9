using System;
using System.Collections.Generic;
using System.Linq;
using NetDsl.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NetDsl.Instrumentation;

/// <summary>What to do when a tapped value is NaN or infinite.</summary>
public enum NonFinitePolicy
{
    /// <summary>Throw <see cref="NonFiniteException"/> naming the tap and the step (default): the run stops where it went wrong.</summary>
    Throw,
    /// <summary>Add a message to <see cref="Probe.NonFiniteEvents"/> and go on.</summary>
    Record,
}

/// <summary>What a <see cref="Probe"/> records.</summary>
public sealed record ProbeOptions
{
    /// <summary>Forward statistics at every tap (mean, std, min, max; ReLU and sigmoid/tanh fractions). Default on.</summary>
    public bool Activations { get; init; } = true;
    /// <summary>Gradient norms at every tap and the residual gradient split, in backward. Default on.</summary>
    public bool Gradients { get; init; } = true;
    /// <summary>
    /// Record the residual gradient split (default on). It taps a unit's input once per path; autograd then
    /// adds the two paths' gradients where the input is used, which is bit-identical except when residual units
    /// are nested inside residual units: there a sum of three gradients is associated differently (measured: at
    /// most 5.9e-7 of a gradient's largest entry in a small nested net). Turn it off for bit-identical gradients in such nets.
    /// </summary>
    public bool ResidualSplit { get; init; } = true;
    /// <summary>What to do on NaN or infinity. Default <see cref="NonFinitePolicy.Throw"/>.</summary>
    public NonFinitePolicy OnNonFinite { get; init; } = NonFinitePolicy.Throw;
    /// <summary>
    /// Compute forward statistics over the first this-many samples of the batch instead of all of it (null, the
    /// default: the whole batch). Forward statistics read every activation once (one fused pass for CPU float32
    /// tensors); a subsample reads less at the price of estimates (the unit fractions then count over the subsample).
    /// </summary>
    public int? ActivationSamples { get; init; }
    /// <summary>Compute forward statistics only on steps whose number is a multiple of this (default 1: every step); gradients are recorded on every step.</summary>
    public int ActivationEvery { get; init; } = 1;
    /// <summary>Keep every step's record in <see cref="Probe.History"/> (otherwise only <see cref="Probe.Current"/>). Default off.</summary>
    public bool KeepHistory { get; init; }
}

/// <summary>
/// Records what happens inside a generated module during training: activation statistics and gradient
/// norms at every named tap point, the gradient split of residual units (He et al. 2016), and parameter
/// gradient and update norms. Attach it, then per step call <see cref="BeginStep"/>, run forward and
/// backward, <see cref="CaptureGradients"/>, the optimizer step, and <see cref="CaptureUpdates"/>.
/// Recording never changes the computation: taps are identity functions whose backward passes the
/// gradient through unchanged, and statistics are computed on detached tensors.
/// </summary>
/// <example>
/// <code>
/// using var probe = Probe.Attach(model);
/// probe.BeginStep(step);
/// var loss = functional.cross_entropy(model.call(x), y);
/// loss.backward();
/// probe.CaptureGradients();
/// optimizer.step();
/// probe.CaptureUpdates();
/// var relu = probe.Current.Taps.Single(t =&gt; t.Name == "layer1.0.relu1");
/// </code>
/// </example>
public sealed class Probe : IDisposable
{
    readonly nn.Module module;
    // Each parameter before the optimizer step: on the host (Copy) when the fused kernels read it, else a tensor.
    readonly List<(string Name, Parameter Parameter, Tensor? Before, float[]? HostBefore)> snapshots = new();
    readonly Dictionary<string, SplitState> splits = new();
    readonly Dictionary<ResidualSplitRecord, int> splitOrder = new(ReferenceEqualityComparer.Instance);
    // Values of a phase (forward, CaptureGradients), read in one device-to-host copy at its end instead of one per tap. Each
    // entry is a 1-D float64 tensor (Values) or the values the fused kernel already computed on the host (Ready), and what
    // to do with them; they are applied in the order they were added.
    readonly List<(Tensor? Values, double[]? Ready, Action<double[]> Use)> pendingForward = new(), pendingBackward = new();
    // Tap outputs of this forward pass (the identity tensors handed back to the generated code), to recognise a
    // residual unit whose input is another tap's output: that tap's gradient is the unit's total, no extra norm.
    readonly Dictionary<Tensor, TapRecord> tapOutputs = new(ReferenceEqualityComparer.Instance);
    readonly Dictionary<string, (TapRecord Source, Tensor Input)> unitSources = new();
    readonly Dictionary<TapRecord, List<ResidualSplitRecord>> awaitingTotal = new(ReferenceEqualityComparer.Instance);
    // The last gradients seen in backward, kept alive so their storage cannot be reused: a gradient that arrives
    // again (autograd hands the same tensor through an identity tap chain and to both operands of a sum) shares its norm.
    readonly List<(IntPtr Data, long[] Shape, long[] Strides, Tensor Keep, (Tensor? Device, double[]? Host) Norm)> recentGradients = new();
    const int RecentGradients = 8;
    Action? removeHook;
    StepRecord current;
    bool attached;
    string? pendingNonFinite;
    Exception? pendingFailure;

    /// <summary>Share gradient norms between taps that receive the same gradient (on by default; tests compare both ways).</summary>
    internal bool ShareGradientNorms { get; set; } = true;

    /// <summary>Forward statistics of CPU float32 activations in one pass over their memory (<see cref="FusedStatistics"/>); off: LibTorch's reductions (tests compare the two).</summary>
    internal bool FuseStatistics { get; set; } = true;

    /// <summary>Gradient norms not computed because another tap's was shared, since attaching (for tests).</summary>
    internal int SharedNorms { get; private set; }

    Probe(nn.Module module, ProbeOptions options)
    {
        this.module = module;
        Options = options;
        current = new StepRecord { Step = 0 };
    }

    /// <summary>What this probe records.</summary>
    public ProbeOptions Options { get; }

    /// <summary>
    /// The step being recorded. Values still on the device are read first, in one copy for all taps (forward statistics
    /// are read when the module's <c>call</c> returns; gradient norms when this is read after backward, or by <see cref="CaptureGradients"/>).
    /// </summary>
    /// <exception cref="NonFiniteException">A forward statistic read here is NaN or infinite (under <see cref="NonFinitePolicy.Throw"/>;
    /// only when the module ran through <c>forward</c> instead of <c>call</c>, which checks at the end of the pass).</exception>
    public StepRecord Current
    {
        get
        {
            ReadForward();
            ReadBackward();
            return current;
        }
    }

    /// <summary>Earlier steps, when <see cref="ProbeOptions.KeepHistory"/> is on.</summary>
    public List<StepRecord> History { get; } = new();

    /// <summary>Non-finite values seen under <see cref="NonFinitePolicy.Record"/>.</summary>
    public List<string> NonFiniteEvents { get; } = new();

    /// <summary>Attaches a probe to a generated module and all its sub-modules.</summary>
    /// <param name="module">A module generated by NetDsl (it implements <see cref="IInstrumented"/>).</param>
    /// <param name="options">What to record; defaults to everything.</param>
    /// <returns>The attached probe; dispose it (or call <see cref="Detach"/>) to detach.</returns>
    /// <exception cref="ArgumentException"><paramref name="module"/> is not a NetDsl-generated module.</exception>
    /// <exception cref="InvalidOperationException">Another probe is attached to <paramref name="module"/>.</exception>
    public static Probe Attach(nn.Module module, ProbeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (module is not IInstrumented instrumented)
            throw new ArgumentException($"'{module.GetType().Name}' has no NetDsl tap points; attach probes to modules generated from [Network] or [Block] classes", nameof(module));
        lock (Owners)
        {
            if (Owners.TryGetValue(module, out var owner) && owner.attached)
                throw new InvalidOperationException($"'{module.GetType().Name}' already has a probe attached; dispose or detach it first (one probe per module)");
            var probe = new Probe(module, options ?? new ProbeOptions());
            instrumented.AttachProbe(probe, "");
            // At the end of the root's forward pass (through call), read the pass's statistics in one copy and
            // raise a non-finite activation there, before the loss is formed.
            if (module is nn.Module<Tensor, Tensor> root)
            {
                var remover = root.register_forward_hook((_, _, output) => { probe.ReadForward(); return output; });
                probe.removeHook = remover.remove;
            }
            probe.attached = true;
            Owners.AddOrUpdate(module, probe);
            return probe;
        }
    }

    /// <summary>Detaches from the module; its tap points go back to a null check.</summary>
    public void Detach()
    {
        if (!attached) return;
        ((IInstrumented)module).AttachProbe(null, "");
        removeHook?.Invoke();
        removeHook = null;
        attached = false;
        lock (Owners) Owners.Remove(module);
    }

    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<nn.Module, Probe> Owners = new();

    /// <summary>Starts recording step <paramref name="step"/> (the previous step goes to <see cref="History"/> when kept).</summary>
    /// <param name="step">The step number, reported in records and errors.</param>
    /// <exception cref="NonFiniteException">The previous step's forward statistics, not read yet, hold NaN or infinity (see <see cref="Current"/>).</exception>
    public void BeginStep(int step)
    {
        try
        {
            ReadForward();
            ReadBackward();
        }
        finally
        {
            if (Options.KeepHistory && current.Taps.Count + current.Parameters.Count > 0) History.Add(current);
            current = new StepRecord { Step = step };
            pendingNonFinite = null;
            pendingFailure = null;
            DisposePending();
            ClearStep();
            DisposeSnapshots();
        }
    }

    void DisposePending()
    {
        foreach (var list in new[] { pendingForward, pendingBackward })
        {
            foreach (var t in list.Where(p => p.Values is not null).Select(p => p.Values).Distinct(ReferenceEqualityComparer.Instance)) ((Tensor)t!).Dispose();
            list.Clear();
        }
    }

    void ClearStep()
    {
        foreach (var state in splits.Values) state.First?.Dispose();
        splits.Clear();
        splitOrder.Clear();
        tapOutputs.Clear();
        unitSources.Clear();
        awaitingTotal.Clear();
        ClearRecentGradients();
    }

    void ClearRecentGradients()
    {
        foreach (var g in recentGradients) g.Keep.Dispose();
        recentGradients.Clear();
    }

    /// <summary>
    /// Called by generated code at each tap point. Records forward statistics of <paramref name="x"/> and,
    /// when <paramref name="x"/> takes part in autograd, returns an identity of it that records the gradient
    /// in backward; otherwise returns <paramref name="x"/> itself.
    /// </summary>
    /// <param name="name">The tap's full name (<c>layer2.0.conv1</c>).</param>
    /// <param name="x">The tapped tensor <c>[N, ...]</c>.</param>
    /// <param name="kind">What the tap sees.</param>
    /// <returns>A tensor equal to <paramref name="x"/>, bit for bit.</returns>
    /// <exception cref="NonFiniteException">Not thrown here: a NaN or infinity in <paramref name="x"/> is raised when the root module's
    /// <c>call</c> returns (under <see cref="NonFinitePolicy.Throw"/>), or when <see cref="Current"/> is next read.</exception>
    public Tensor Tap(string name, Tensor x, TapKind kind)
    {
        var record = new TapRecord { Name = name, Kind = kind, Shape = x.shape };
        current.Taps.Add(record);
        if (Options.Activations && current.Step % Math.Max(1, Options.ActivationEvery) == 0) Measure(record, x);
        if (!Options.Gradients || !x.requires_grad) return x;
        if (record.Kind is TapKind.BranchInput or TapKind.ShortcutInput)
        {
            if (!Options.ResidualSplit) return x;
            NoteUnitSource(record, x);
        }
        var y = TapFunction.apply(x, new Sink(this, record));
        if (ShareGradientNorms) tapOutputs[y] = record;
        return y;
    }

    // A unit's input is tapped twice (branch and shortcut), and in generated code used by nothing else: when it is
    // another tap's output, that tap's gradient is exactly the sum of the two paths' gradients (autograd adds them there).
    void NoteUnitSource(TapRecord record, Tensor x)
    {
        var unit = UnitOf(record.Name);
        if (record.Kind == TapKind.BranchInput)
        {
            if (ShareGradientNorms && tapOutputs.Remove(x, out var source)) unitSources[unit] = (source, x);
            else unitSources.Remove(unit);
        }
        else if (unitSources.TryGetValue(unit, out var s) && !ReferenceEquals(s.Input, x)) unitSources.Remove(unit); // both taps must see the same tensor
    }

    static string UnitOf(string name)
    {
        int dot = name.LastIndexOf('.');
        return dot < 0 ? "" : name.Substring(0, dot);
    }

    // Static, so never finalized during a native call (see NetDsl.Native.Scalars).
    static readonly Scalar SigmoidSaturation = 5.986876601124521.ToScalar();
    static readonly Scalar TanhSaturation = 2.993222846126381.ToScalar();
    const float SigmoidSaturationF = 5.986876601124521f, TanhSaturationF = 2.993222846126381f;

    void Measure(TapRecord record, Tensor x)
    {
        // These see a tensor another tap has already measured (the unit's input, the last branch layer's
        // output, the identity shortcut): only their gradients are new.
        if (record.Kind is TapKind.BranchInput or TapKind.ShortcutInput or TapKind.Branch or TapKind.Shortcut) return;
        if (x.numel() == 0) return; // an empty batch has no statistics (they stay 0)
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var d = x.detach();
        if (Options.ActivationSamples is int k && k > 0 && d.shape[0] > k) d = d.narrow(0, 0, k);
        if (FuseStatistics && FusedStatistics.Applies(d))
        {
            // One pass over the activation's memory on the host instead of LibTorch's separate reductions (see FusedStatistics).
            bool saturating = record.Kind is TapKind.SigmoidInput or TapKind.TanhInput;
            float high = record.Kind == TapKind.SigmoidInput ? SigmoidSaturationF : TanhSaturationF;
            bool perUnit = record.Kind == TapKind.ReluOutput && d.dim() > 0;
            var r = FusedStatistics.Compute(d, perUnit, saturating ? 1f : float.NaN, saturating ? high : float.NaN);
            double[] ready = perUnit ? [r.Sum, r.SumOfSquares, r.Min, r.Max, r.NeverActive, r.AlwaysActive]
                : saturating ? [r.Sum, r.SumOfSquares, r.Min, r.Max, r.Below, r.Above]
                : [r.Sum, r.SumOfSquares, r.Min, r.Max];
            double count = d.numel();
            pendingForward.Add((null, ready, v => UseStatistics(record, v, count)));
            return;
        }
        // Sum and sum of squares instead of std_mean: two vectorized passes cost a few percent of LibTorch's
        // std_mean on CPU (0.4 ms vs 10.8 ms on 1.6 M floats here); the variance is formed in double below.
        var flat = d.flatten();
        List<Tensor> stats;
        if (record.Kind == TapKind.ReluOutput && d.shape[0] > 0)
        {
            // Per unit, the largest and smallest value over the batch (one pass for both): a unit is never active
            // when its largest is 0, always active when its smallest is positive; the global extremes follow.
            var (lowest, highest) = d.aminmax(0, false);
            stats = new List<Tensor> { flat.sum(), flat.dot(flat), lowest.min(), highest.max() };
            stats.Add(highest.le(Scalars.Zero).to_type(ScalarType.Float32).mean()); // never active over the batch
            stats.Add(lowest.gt(Scalars.Zero).to_type(ScalarType.Float32).mean());  // always active
        }
        else
        {
            var (min, max) = d.aminmax(null, false);
            stats = new List<Tensor> { flat.sum(), flat.dot(flat), min, max };
        }
        if (record.Kind is TapKind.SigmoidInput or TapKind.TanhInput)
        {
            // Saturated: derivative below 1% of its maximum. sigmoid' = s(1 - s) < 0.0025 <=> |x| > 5.9869;
            // tanh' = 1 - tanh^2 < 0.01 <=> |x| > 2.9932.
            var threshold = record.Kind == TapKind.SigmoidInput ? SigmoidSaturation : TanhSaturation;
            var a = d.abs();
            stats.Add(a.lt(Scalars.One).to_type(ScalarType.Float32).mean());
            stats.Add(a.gt(threshold).to_type(ScalarType.Float32).mean());
        }
        double n = flat.shape[0];
        var values = stack(stats.Select(t => t.to_type(ScalarType.Float64)).ToArray()).DetachFromDisposeScope();
        pendingForward.Add((values, null, v => UseStatistics(record, v, n)));
    }

    void UseStatistics(TapRecord record, double[] values, double n)
    {
        // NaN anywhere makes the sum NaN; infinity makes the min or max infinite: no separate pass needed.
        if (!double.IsFinite(values[0]) || !double.IsFinite(values[2]) || !double.IsFinite(values[3])) NonFinite(record.Name, "forward");
        double mean = values[0] / n;
        // Unbiased variance, as torch.std: (sum x^2 - (sum x)^2 / n) / (n - 1), never below 0 from rounding.
        double variance = n > 1 ? Math.Max(0, (values[1] - values[0] * values[0] / n) / (n - 1)) : double.NaN;
        (record.Mean, record.Std, record.Min, record.Max) = (mean, Math.Sqrt(variance), values[2], values[3]);
        if (record.Kind == TapKind.ReluOutput && values.Length == 6) (record.DeadFraction, record.AlwaysActiveFraction) = (values[4], values[5]);
        if (record.Kind is TapKind.SigmoidInput or TapKind.TanhInput) (record.NearLinearFraction, record.SaturatedFraction) = (values[4], values[5]);
    }

    /// <summary>Reads every pending value of <paramref name="pending"/> in one copy, frees them, then applies them in order.</summary>
    static void Read(List<(Tensor? Values, double[]? Ready, Action<double[]> Use)> pending)
    {
        if (pending.Count == 0) return;
        double[] all = [];
        var onDevice = pending.Where(p => p.Values is not null).Select(p => p.Values!).ToArray();
        var lengths = new int[pending.Count];
        try
        {
            for (int i = 0; i < pending.Count; i++) lengths[i] = pending[i].Values is { } v ? (int)v.shape[0] : 0;
            if (onDevice.Length > 0)
            {
                using var scope = NewDisposeScope();
                all = cat(onDevice, 0).cpu().data<double>().ToArray();
            }
        }
        finally
        {
            // A tensor can stand for several taps (a shared gradient norm): dispose each once.
            foreach (var t in onDevice.Distinct(ReferenceEqualityComparer.Instance)) ((Tensor)t!).Dispose();
        }
        var entries = pending.ToArray();
        pending.Clear();
        int offset = 0;
        for (int i = 0; i < entries.Length; i++)
        {
            if (entries[i].Ready is { } ready) { entries[i].Use(ready); continue; }
            entries[i].Use(all.AsSpan(offset, lengths[i]).ToArray());
            offset += lengths[i];
        }
    }

    void ReadForward() => Read(pendingForward);

    void ReadBackward() => Read(pendingBackward);

    // Runs inside LibTorch's backward: it must not throw (an exception cannot cross the native call).
    // A non-finite gradient is remembered and raised by CaptureGradients, right after backward.
    void OnGradient(TapRecord record, Tensor grad)
    {
        var norm = GradientNorm(grad);
        pendingBackward.Add((norm.Device, norm.Host, v =>
        {
            record.GradientNorm = v[0];
            // Any NaN or infinity in the gradient makes its norm NaN or infinite.
            if (!double.IsFinite(v[0]) && pendingNonFinite is null) pendingNonFinite = record.Name;
        }));
        if (awaitingTotal.Remove(record, out var units))
            foreach (var u in units) pendingBackward.Add((norm.Device, norm.Host, v => u.TotalGradientNorm = v[0]));
        if (record.Kind is not (TapKind.BranchInput or TapKind.ShortcutInput)) return;
        // The two paths of one unit's input: combine their gradients once both have arrived. A second
        // backward pass in the same step (gradient accumulation) leaves the first pass's split as it is.
        var unit = UnitOf(record.Name);
        bool shortcut = record.Kind == TapKind.ShortcutInput;
        if (!splits.TryGetValue(unit, out var split))
        {
            var r = new ResidualSplitRecord { Unit = unit };
            // Keep the records in forward order (backward reaches the last unit first).
            int position = current.Taps.IndexOf(record);
            int at = current.ResidualSplits.FindIndex(x => splitOrder[x] > position);
            if (at < 0) current.ResidualSplits.Add(r); else current.ResidualSplits.Insert(at, r);
            splitOrder[r] = position;
            split = new SplitState(r);
            splits[unit] = split;
            if (unitSources.TryGetValue(unit, out var link))
            {
                var source = link.Source;
                SharedNorms++;
                // The unit's input is another tap's output: its gradient, which reaches that tap later in this
                // pass, is the total (the sum of both paths, added by autograd), so no copy and no extra norm.
                if (!awaitingTotal.TryGetValue(source, out var list)) awaitingTotal[source] = list = new();
                list.Add(r);
            }
            else
            {
                using var noGrad = no_grad();
                split.First = grad.detach().clone().DetachFromDisposeScope();
            }
        }
        else if (split.Parts >= 2) return;
        split.Parts++;
        var rec = split.Record;
        pendingBackward.Add((norm.Device, norm.Host, v => { if (shortcut) rec.ShortcutGradientNorm = v[0]; else rec.BranchGradientNorm = v[0]; }));
        if (split.Parts == 2 && split.First is { } first)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            // The same kernel as the tap norms, so a total read from a shared norm and one summed here are equal bit for bit.
            var sum = first + grad;
            if (FuseStatistics && FusedStatistics.Applies(sum)) pendingBackward.Add((null, [Math.Sqrt(FusedStatistics.SumOfSquares(sum))], v => rec.TotalGradientNorm = v[0]));
            else pendingBackward.Add((sum.norm().to_type(ScalarType.Float64).reshape(1).DetachFromDisposeScope(), null, v => rec.TotalGradientNorm = v[0]));
            first.Dispose();
            split.First = null;
        }
    }

    /// <summary>
    /// The norm of <paramref name="grad"/>, computed on the host by the fused kernel (Host, one value) or as a 1-element float64
    /// tensor (Device), shared with an earlier tap that received
    /// the very same gradient (same storage, offset, shape and strides, kept alive so it cannot be another one).
    /// </summary>
    (Tensor? Device, double[]? Host) GradientNorm(Tensor grad)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        IntPtr data = IntPtr.Zero;
        long[] shape = grad.shape, strides = Array.Empty<long>();
        if (ShareGradientNorms && grad.dtype == ScalarType.Float32 && grad.numel() > 0)
        {
            using var storage = grad.storage<float>();
            data = storage.data_ptr() + (nint)(grad.storage_offset() * sizeof(float));
            strides = grad.stride();
            foreach (var g in recentGradients)
                if (g.Data == data && g.Shape.AsSpan().SequenceEqual(shape) && g.Strides.AsSpan().SequenceEqual(strides))
                {
                    SharedNorms++;
                    return g.Norm;
                }
        }
        (Tensor? Device, double[]? Host) norm = FuseStatistics && FusedStatistics.Applies(grad)
            ? (null, [Math.Sqrt(FusedStatistics.SumOfSquares(grad))])
            : (grad.norm().to_type(ScalarType.Float64).reshape(1).DetachFromDisposeScope(), null);
        if (data != IntPtr.Zero)
        {
            if (recentGradients.Count == RecentGradients)
            {
                recentGradients[0].Keep.Dispose();
                recentGradients.RemoveAt(0);
            }
            recentGradients.Add((data, shape, strides, grad.detach().DetachFromDisposeScope(), norm));
        }
        return norm;
    }

    sealed class SplitState(ResidualSplitRecord record)
    {
        public ResidualSplitRecord Record { get; } = record;
        public Tensor? First { get; set; }
        public int Parts { get; set; }
    }

    /// <summary>
    /// After backward, before the optimizer step: records every parameter's gradient norm and weight norm,
    /// and keeps a copy of the weights for <see cref="CaptureUpdates"/>. Every value of the step still on the
    /// device (tap gradient norms, the residual split, parameter norms, buffer checks) is read in one copy.
    /// </summary>
    /// <exception cref="NonFiniteException">A gradient at a tap point (seen during backward), a floating-point buffer (BatchNorm's
    /// running statistics, updated by this step's forward pass) or a parameter gradient holds NaN or infinity (under <see cref="NonFinitePolicy.Throw"/>).</exception>
    public void CaptureGradients()
    {
        ReadForward();
        ClearRecentGradients();
        DisposeSnapshots();
        current.Parameters.Clear();
        var parameters = module.named_parameters().ToList();
        var buffers = module.named_buffers().Where(b => b.buffer.is_floating_point() && b.buffer.numel() > 0).ToList();
        var gradientFinite = new bool[parameters.Count];
        string? badBuffer = null;
        using (no_grad())
        {
            // Buffers (BatchNorm's running mean and variance) are updated in forward and used by every later evaluation:
            // a NaN there (say, the variance of a batch of one) poisons every eval output silently.
            // On the host when the fused kernel reads a buffer, else one stacked device check for the rest.
            var onHost = buffers.ToLookup(b => FuseStatistics && FusedStatistics.Applies(b.buffer));
            var deviceBuffers = onHost[false].ToList();
            badBuffer = onHost[true].FirstOrDefault(b => !FusedStatistics.Compute(b.buffer, perUnit: false).Finite).name;
            if (deviceBuffers.Count > 0)
            {
                using var scope = NewDisposeScope();
                var finite = stack(deviceBuffers.Select(b => b.buffer.isfinite().all().to_type(ScalarType.Float64)).ToArray()).DetachFromDisposeScope();
                pendingBackward.Add((finite, null, v => { int bad = Array.IndexOf(v, 0.0); if (bad >= 0 && badBuffer is null) badBuffer = deviceBuffers[bad].name; }));
            }
            for (int i = 0; i < parameters.Count; i++)
            {
                using var scope = NewDisposeScope();
                var (name, p) = parameters[i];
                var record = new ParameterRecord { Name = name };
                current.Parameters.Add(record);
                int at = i;
                // [weight norm] or [weight norm, gradient finite (1/0), gradient norm].
                Action<double[]> use = v =>
                {
                    record.WeightNorm = v[0];
                    gradientFinite[at] = v.Length == 1 || v[1] != 0;
                    if (v.Length == 3) record.GradientNorm = v[2];
                };
                if (FuseStatistics && FusedStatistics.Applies(p) && (p.grad is null || FusedStatistics.Applies(p.grad)))
                {
                    // Host kernels: no tensor per norm.
                    double weight = Math.Sqrt(FusedStatistics.SumOfSquares(p));
                    var gs = p.grad is { } pg ? FusedStatistics.Compute(pg, perUnit: false, centered: false) : (FusedStatistics.Result?)null;
                    pendingBackward.Add((null, gs is { } r ? [weight, r.Finite ? 1 : 0, Math.Sqrt(r.SumOfSquares)] : [weight], use));
                    continue;
                }
                var norms = p.grad is { } g
                    ? stack(new[] { p.norm().to_type(ScalarType.Float64), g.isfinite().all().to_type(ScalarType.Float64), g.norm().to_type(ScalarType.Float64) })
                    : p.norm().to_type(ScalarType.Float64).reshape(1);
                pendingBackward.Add((norms.DetachFromDisposeScope(), null, use));
            }
        }
        ReadBackward();
        if (pendingFailure is { } failure)
        {
            pendingFailure = null;
            throw new InvalidOperationException("the probe failed while recording gradients in backward", failure);
        }
        if (pendingNonFinite is { } where)
        {
            pendingNonFinite = null;
            NonFinite(where, "backward");
        }
        if (badBuffer is not null) NonFinite(badBuffer, "buffer (running statistics)");
        for (int i = 0; i < parameters.Count; i++)
            if (!gradientFinite[i]) NonFinite(parameters[i].name, "parameter gradient");
        using (no_grad())
            foreach (var (name, p) in parameters)
                snapshots.Add(FuseStatistics && FusedStatistics.Applies(p)
                    ? (name, p, null, FusedStatistics.Copy(p))
                    : (name, p, p.detach().clone().DetachFromDisposeScope(), null));
    }

    /// <summary>After the optimizer step: records each parameter's relative update ||w_after - w_before|| / ||w_before|| (one device read for all).</summary>
    /// <exception cref="InvalidOperationException"><see cref="CaptureGradients"/> was not called in this step.</exception>
    public void CaptureUpdates()
    {
        if (snapshots.Count == 0) throw new InvalidOperationException("call CaptureGradients() after backward and before the optimizer step, then CaptureUpdates() after it");
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var onDevice = snapshots.Where(s => s.Before is not null).ToArray();
            var deviceUpdates = onDevice.Length == 0 ? []
                : stack(onDevice.Select(s => (s.Parameter - s.Before!).norm().to_type(ScalarType.Float64)).ToArray()).cpu().data<double>().ToArray();
            int next = 0;
            var updates = snapshots.Select(s => s.HostBefore is { } before ? Math.Sqrt(FusedStatistics.SquaredDistance(s.Parameter, before)) : deviceUpdates[next++]).ToArray();
            for (int i = 0; i < snapshots.Count; i++)
            {
                double denominator = current.Parameters[i].WeightNorm;
                current.Parameters[i].UpdateRatio = denominator == 0 ? double.NaN : updates[i] / denominator;
            }
        }
        DisposeSnapshots();
    }

    void NonFinite(string where, string pass)
    {
        if (Options.OnNonFinite == NonFinitePolicy.Throw) throw new NonFiniteException(where, pass, current.Step);
        NonFiniteEvents.Add($"step {current.Step}: {pass} at '{where}'");
    }

    void DisposeSnapshots()
    {
        foreach (var (_, _, before, _) in snapshots) before?.Dispose();
        snapshots.Clear();
    }

    /// <summary>Detaches and frees the copies the probe holds.</summary>
    public void Dispose()
    {
        Detach();
        DisposeSnapshots();
        DisposePending();
        ClearStep();
    }

    sealed record Sink(Probe Probe, TapRecord Record);

    /// <summary>Identity in forward; in backward, hands the incoming gradient to the probe and passes it on unchanged.</summary>
    sealed class TapFunction : autograd.SingleTensorFunction<TapFunction>
    {
        public override string Name => "NetDslTap";

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            ctx.save_data("sink", vars[1]);
            return ((Tensor)vars[0]).alias();
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
        {
            var sink = (Sink)ctx.get_data("sink");
            try
            {
                sink.Probe.OnGradient(sink.Record, grad_output);
            }
            catch (Exception e)
            {
                // An exception must not cross LibTorch's native backward (it would end the process): keep it for CaptureGradients.
                sink.Probe.pendingFailure ??= e;
            }
            return new List<Tensor> { grad_output, null! };
        }
    }
}
