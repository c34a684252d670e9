using System.Collections.Generic;
using System.Linq;
using NetDsl.Generators.Model;

namespace NetDsl.Generators.Planning;

internal enum StepKind
{
    /// <summary>Run the declared layer <see cref="Step.Layer"/>.</summary>
    Layer,
    /// <summary>Run the implied BatchNorm of weight layer <see cref="Step.Layer"/>.</summary>
    Norm,
    /// <summary>Run the activation policy of weight layer <see cref="Step.Layer"/>.</summary>
    Act,
    /// <summary>Flatten <c>[N, C, 1, 1]</c> to <c>[N, C]</c> before a Linear that follows global pooling.</summary>
    Flatten,
    /// <summary>The residual addition: everything before it is the branch, everything after it acts on the sum.</summary>
    Add,
    /// <summary>A learnable scalar <see cref="Step.Scalar"/> added to (or, <see cref="Step.Multiply"/>, multiplying) the current tensor: Fixup's biases and multiplier, SkipInit's alpha.</summary>
    Scalar,
}

/// <summary>One step of a forward pass.</summary>
/// <param name="Kind">What the step does.</param>
/// <param name="Layer">Index into the class's layers (the weight layer owning a Norm or Act).</param>
/// <param name="NormOnInput">A pre-activation BatchNorm, which normalizes the weight layer's input, not its output.</param>
/// <param name="Scalar">A Scalar step's parameter name (<c>bias1a</c>, <c>scale</c>, <c>alpha</c>).</param>
/// <param name="Multiply">A Scalar step multiplies (initial value 1, or 0 for SkipInit's alpha) instead of adding (initial value 0).</param>
/// <param name="Module">The member the step runs, by <see cref="UnitSchedule.NameSteps"/>'s rule: its sub-module (state_dict prefix and Summary row name) or scalar parameter; null for Flatten and Add.</param>
/// <param name="Tap">The step's tap name (what a probe records), by the same rule; null for steps without their own tap (Flatten, Add, scalars, stages).</param>
internal sealed record Step(StepKind Kind, int Layer, bool NormOnInput = false, string? Scalar = null, bool Multiply = false, string? Module = null, string? Tap = null);

/// <summary>
/// The order in which a block's or network's layers, implied BatchNorms, activations and residual
/// addition run. The emitter and shape inference both walk it, so the code and the summary agree.
/// </summary>
internal sealed class UnitSchedule
{
    public IReadOnlyList<LayerSpec> Layers { get; init; } = null!;
    public IReadOnlyList<Step> Steps { get; init; } = null!;
    /// <summary>Per weight layer: the BatchNorm policy that applies (disabled = none).</summary>
    public IReadOnlyDictionary<int, NormPolicy> Norms { get; init; } = null!;
    /// <summary>Per weight layer: the activation that applies.</summary>
    public IReadOnlyDictionary<int, ActivationPolicy> Activations { get; init; } = null!;
    /// <summary>Per weight layer with a BatchNorm: its field name (<c>bn1</c> for <c>conv1</c>).</summary>
    public IReadOnlyDictionary<int, string> NormNames { get; init; } = null!;
    /// <summary>The residual policy, or null for a plain unit.</summary>
    public ResidualPolicy? Residual { get; init; }
    /// <summary>Index of the layer taking a block's stride (a convolution, else the first nested stage), or -1.</summary>
    public int StridedLayer { get; init; } = -1;
    /// <summary>Index of the last layer that sets the channel count (a weight layer or a stage): a block's output size comes from it.</summary>
    public int LastChannelLayer { get; init; } = -1;
    /// <summary>The initialization the unit states (null: none); Fixup and SkipInit add <see cref="StepKind.Scalar"/> steps.</summary>
    public InitKind? Init { get; init; }
    /// <summary>Fixup: the scalar bias added to the unit's input before the first weight layer (its projection shortcut sees it too, as in the reference code), or null.</summary>
    public string? FirstInputBias { get; init; }
    /// <summary>Whether the unit exposes its residual branch to the initialization family (<c>NetDsl.IResidualUnit</c>): a residual unit stating ZeroGamma, Fixup or SkipInit.</summary>
    public bool ExposesBranch => Residual is not null && Init is InitKind.ZeroGamma or InitKind.Fixup or InitKind.SkipInit;
    /// <summary>The member holding the normalization that ends the residual branch (zero-gamma's target), or null.</summary>
    public string? BranchEndNorm { get; init; }
    /// <summary>The names of the unit's scalar parameters, in the order they are created.</summary>
    public IEnumerable<string> Scalars => Steps.Where(t => t.Kind == StepKind.Scalar).Select(t => t.Scalar!).Distinct();

    /// <summary>
    /// Whether weight layer <paramref name="i"/> has a bias: explicit, or off when a normalization directly follows it; under
    /// Fixup a convolution has none (its scalar biases take the place, as in the reference code's <c>bias=False</c>).
    /// </summary>
    public bool Bias(int i) => Layers[i].Bias ?? (Init == InitKind.Fixup ? Layers[i].Kind != Kinds.Layers.LayerCatalog.Conv : !(Norms[i].Enabled && Norms[i].After == BnAfter.Convolution));

    /// <summary>The normalization of the projection shortcut (<c>downsample.1</c>): the unit's first enabled one, or null.</summary>
    public NormPolicy? ProjectionNorm => Norms.Values.FirstOrDefault(n => n.Enabled);

    /// <summary>Whether the projection's convolution or linear layer has a bias: without a normalization after it, except under Fixup.</summary>
    public bool ProjectionBias => ProjectionNorm is null && Init != InitKind.Fixup;

    /// <summary>The distinct activation modules the unit needs, in a stable order.</summary>
    public IEnumerable<ActivationPolicy> ActivationModules() =>
        Steps.Where(s => s.Kind == StepKind.Act).Select(s => Activations[s.Layer]).Distinct().OrderBy(a => a.Kind);

    public static UnitSchedule Build(IReadOnlyList<LayerSpec> layers, Policy policy, bool isNetwork)
    {
        var weights = Enumerable.Range(0, layers.Count).Where(i => layers[i].IsWeight).ToList();
        var norms = new Dictionary<int, NormPolicy>();
        var acts = new Dictionary<int, ActivationPolicy>();
        foreach (var i in weights)
        {
            norms[i] = layers[i].Norm ?? policy.Norm;
            acts[i] = layers[i].Activation ?? policy.Activation;
        }

        // A network's head (its last weight layer, with no stage after it) gets no implied BatchNorm or
        // activation: logits stay linear, as in torchvision's fc.
        if (isNetwork && weights.Count > 0)
        {
            int head = weights[weights.Count - 1];
            if (!layers.Skip(head + 1).Any(l => l.Kind == Kinds.Layers.LayerCatalog.Stage))
            {
                if (layers[head].Norm is null) norms[head] = NormPolicy.None;
                if (layers[head].Activation is null) acts[head] = ActivationPolicy.None;
            }
        }

        var residual = !isNetwork && policy.Residual.Enabled ? policy.Residual : null;
        var order = isNetwork ? UnitOrder.Original : policy.Residual.Order;
        // The residual addition follows the last layer that sets the channels (a weight layer or a nested stage).
        int last = Enumerable.Range(0, layers.Count).Where(i => layers[i].IsWeight || layers[i].Kind == Kinds.Layers.LayerCatalog.Stage).DefaultIfEmpty(-1).Last();
        var steps = new List<Step>();

        void Post(int i)
        {
            bool norm = norms[i].Enabled, act = acts[i].Kind != Nonlinearity.None;
            if (norm && norms[i].After == BnAfter.Convolution) steps.Add(new Step(StepKind.Norm, i));
            if (act) steps.Add(new Step(StepKind.Act, i));
            if (norm && norms[i].After == BnAfter.Activation) steps.Add(new Step(StepKind.Norm, i));
        }

        bool pooled = false;
        if (order == UnitOrder.ReluOnlyPreActivation && weights.Count > 0 && acts[weights[0]].Kind != Nonlinearity.None)
            steps.Add(new Step(StepKind.Act, weights[0]));
        for (int i = 0; i < layers.Count; i++)
        {
            var l = layers[i];
            var kind = l.Kind;
            // After global pooling ([N, C, 1, 1]), a Linear or a stage of fully connected blocks sees [N, C] (torchvision's flatten).
            if (pooled && (kind.IsWeight || kind.Composite) && kind.TakesMaps(l) == false)
            {
                steps.Add(new Step(StepKind.Flatten, i));
                pooled = false;
            }
            // Global pooling leaves [N, C, 1, 1]; a layer that changes the map (or a stage) ends that.
            var size = kind.Size(l, l.Stride);
            if (size is { ToOne: true }) pooled = true;
            else if (size is not null || kind.Composite) pooled = false;
            if (!l.IsWeight)
            {
                steps.Add(new Step(StepKind.Layer, i));
                if (residual is not null && i == last) steps.Add(new Step(StepKind.Add, -1));
                continue;
            }
            if (order == UnitOrder.FullPreActivation)
            {
                if (norms[i].Enabled) steps.Add(new Step(StepKind.Norm, i, NormOnInput: true));
                if (acts[i].Kind != Nonlinearity.None) steps.Add(new Step(StepKind.Act, i));
                steps.Add(new Step(StepKind.Layer, i));
                if (residual is not null && i == last) steps.Add(new Step(StepKind.Add, -1));
                continue;
            }
            steps.Add(new Step(StepKind.Layer, i));
            if (residual is null || i != last)
            {
                Post(i);
                continue;
            }
            bool norm = norms[i].Enabled, act = acts[i].Kind != Nonlinearity.None;
            switch (order)
            {
                case UnitOrder.Original:
                    if (norm && norms[i].After == BnAfter.Convolution) steps.Add(new Step(StepKind.Norm, i));
                    steps.Add(new Step(StepKind.Add, -1));
                    if (act) steps.Add(new Step(StepKind.Act, i));
                    if (norm && norms[i].After == BnAfter.Activation) steps.Add(new Step(StepKind.Norm, i));
                    break;
                case UnitOrder.BnAfterAddition:
                    steps.Add(new Step(StepKind.Add, -1));
                    if (norm) steps.Add(new Step(StepKind.Norm, i));
                    if (act) steps.Add(new Step(StepKind.Act, i));
                    break;
                case UnitOrder.ReluBeforeAddition:
                    Post(i);
                    steps.Add(new Step(StepKind.Add, -1));
                    break;
                default: // ReluOnlyPreActivation
                    if (norm) steps.Add(new Step(StepKind.Norm, i));
                    steps.Add(new Step(StepKind.Add, -1));
                    break;
            }
        }

        var init = policy.Init;
        string? firstInputBias = null;
        if (init == InitKind.Fixup) steps = FixupSteps(steps, layers, weights, isNetwork, out firstInputBias);
        if (init == InitKind.SkipInit && residual is not null)
            steps.Insert(steps.FindIndex(t => t.Kind == StepKind.Add), new Step(StepKind.Scalar, -1, Scalar: "alpha", Multiply: true));
        var normNames = Name(layers, weights.Where(i => norms[i].Enabled), _ => "bn");

        var activationNames = Name(layers, weights.Where(i => acts[i].Kind != Nonlinearity.None), i => Kinds.Layers.Activation.Field(acts[i].Kind));
        return new UnitSchedule
        {
            Layers = layers,
            Steps = NameSteps(steps, layers, normNames, acts, activationNames),
            Init = init,
            FirstInputBias = firstInputBias,
            BranchEndNorm = residual is null ? null : EndNorm(steps, layers, normNames),
            Norms = norms,
            Activations = acts,
            NormNames = normNames,
            Residual = residual,
            StridedLayer = isNetwork ? -1 : FindStrided(layers),
            LastChannelLayer = last,
        };
    }

    /// <summary>
    /// Fixup's scalars (Zhang et al. 2019, section 3, rule 3): a bias before each weight layer (<c>bias1a</c> before <c>conv1</c>)
    /// and before each activation (<c>bias1b</c> after <c>conv1</c>), and a multiplier <c>scale</c> ending a residual branch,
    /// then the last layer's <c>b</c> bias when no activation inside the branch took it (it is the bias before the activation
    /// that follows the addition), named as the reference code names them.
    /// </summary>
    static List<Step> FixupSteps(List<Step> steps, IReadOnlyList<LayerSpec> layers, List<int> weights, bool isNetwork, out string? firstInputBias)
    {
        var names = Name(layers, weights, _ => "bias");
        string A(int i) => names[i] + (char.IsDigit(names[i][names[i].Length - 1]) ? "a" : "_a");
        string B(int i) => names[i] + (char.IsDigit(names[i][names[i].Length - 1]) ? "b" : "_b");
        // A network's first weight layer sees the input image itself: no bias before it (the reference's stem is relu(conv1(x) + bias1)).
        firstInputBias = weights.Count > 0 && !isNetwork ? A(weights[0]) : null;
        var result = new List<Step>();
        var usedB = new HashSet<int>();
        bool afterAdd = false;
        foreach (var step in steps)
        {
            if (step.Kind == StepKind.Layer && layers[step.Layer].IsWeight && !(isNetwork && step.Layer == weights[0])) result.Add(new Step(StepKind.Scalar, step.Layer, Scalar: A(step.Layer)));
            else if (step.Kind == StepKind.Act && !afterAdd && usedB.Add(step.Layer)) result.Add(new Step(StepKind.Scalar, step.Layer, Scalar: B(step.Layer)));
            else if (step.Kind == StepKind.Add)
            {
                result.Add(new Step(StepKind.Scalar, -1, Scalar: "scale", Multiply: true));
                int last = weights.Count > 0 ? weights[weights.Count - 1] : -1;
                if (last >= 0 && usedB.Add(last)) result.Add(new Step(StepKind.Scalar, last, Scalar: B(last)));
                afterAdd = true;
            }
            result.Add(step);
        }
        return result;
    }

    /// <summary>The member holding the normalization whose output ends the residual branch (activations after it skipped), or null.</summary>
    static string? EndNorm(List<Step> steps, IReadOnlyList<LayerSpec> layers, Dictionary<int, string> normNames)
    {
        int add = steps.FindIndex(t => t.Kind == StepKind.Add);
        for (int k = add - 1; k >= 0; k--)
        {
            var step = steps[k];
            if (step.Kind is StepKind.Act or StepKind.Scalar) continue;
            if (step.Kind == StepKind.Norm) return normNames[step.Layer];
            if (step.Kind == StepKind.Layer && layers[step.Layer].Kind == Kinds.Layers.LayerCatalog.Norm) return layers[step.Layer].Name;
            return null;
        }
        return null;
    }

    /// <summary>The convolution marked Strided, else the first with a kernel larger than 1, else the first (torchvision's BasicBlock and Bottleneck v1.5); without convolutions, the first nested stage.</summary>
    static int FindStrided(IReadOnlyList<LayerSpec> layers)
    {
        var convs = Enumerable.Range(0, layers.Count).Where(i => layers[i].Kind == Kinds.Layers.LayerCatalog.Conv).ToList();
        if (convs.Count == 0) return Enumerable.Range(0, layers.Count).Where(i => layers[i].Kind == Kinds.Layers.LayerCatalog.Stage).DefaultIfEmpty(-1).First();
        var marked = convs.Where(i => layers[i].Strided).ToList();
        if (marked.Count > 0) return marked[0];
        var wide = convs.Where(i => layers[i].Kernel > 1).ToList();
        return wide.Count > 0 ? wide[0] : convs[0];
    }

    /// <summary>
    /// The one naming rule of a unit's steps: the module name (what the generated class holds: state_dict keys, Summary rows,
    /// the PyTorch source) and the tap name (what a probe records).
    /// <list type="bullet">
    /// <item>A declared layer: its field name for both (<c>conv1</c>; a stage's blocks tap inside themselves).</item>
    /// <item>An implied normalization: <c>bn1</c> for <c>conv1</c> (<see cref="Name"/>), both.</item>
    /// <item>An implied activation: the module is the one shared module of its non-linearity (<c>relu</c>, as torchvision's
    /// BasicBlock reuses <c>self.relu</c>), so the Summary lists each use as <c>relu</c>; the tap is per use, named after the weight
    /// layer it follows (<c>relu1</c> after <c>conv1</c>), and a second use after the same layer (ReLU-only pre-activation runs
    /// the first layer's activation before and after it) appends <c>_out</c>.</item>
    /// <item>A scalar parameter (Fixup, SkipInit): its name is the module; it has no tap.</item>
    /// </list>
    /// </summary>
    internal static List<Step> NameSteps(List<Step> steps, IReadOnlyList<LayerSpec> layers, Dictionary<int, string> normNames,
        IReadOnlyDictionary<int, ActivationPolicy> acts, Dictionary<int, string> activationNames)
    {
        var taps = new HashSet<string>();
        return steps.Select(step => step.Kind switch
        {
            StepKind.Layer => step with { Module = layers[step.Layer].Name, Tap = layers[step.Layer].Kind == Kinds.Layers.LayerCatalog.Stage ? null : layers[step.Layer].Name },
            StepKind.Norm => step with { Module = normNames[step.Layer], Tap = normNames[step.Layer] },
            StepKind.Act => step with { Module = Kinds.Layers.Activation.Field(acts[step.Layer].Kind), Tap = taps.Add(activationNames[step.Layer]) ? activationNames[step.Layer] : activationNames[step.Layer] + "_out" },
            StepKind.Scalar => step with { Module = step.Scalar },
            _ => step,
        }).ToList();
    }

    /// <summary>
    /// <c>conv1</c> → <c>bn1</c> (torchvision) or <c>relu1</c>; names without a trailing number, or clashing ones,
    /// get the prefix, '_' and the layer name (<c>bn_fc_in</c>).
    /// </summary>
    static Dictionary<int, string> Name(IReadOnlyList<LayerSpec> layers, IEnumerable<int> indexes, System.Func<int, string> prefix)
    {
        var candidates = indexes.ToDictionary(i => i, i =>
        {
            var name = layers[i].Name;
            int k = name.Length;
            while (k > 0 && char.IsDigit(name[k - 1])) k--;
            return k < name.Length && k > 0 ? prefix(i) + name.Substring(k) : prefix(i) + "_" + name;
        });
        var clashes = new HashSet<string>(candidates.Values.GroupBy(n => n).Where(g => g.Count() > 1).Select(g => g.Key));
        return candidates.ToDictionary(kv => kv.Key, kv => clashes.Contains(kv.Value) ? prefix(kv.Key) + "_" + layers[kv.Key].Name : kv.Value);
    }
}
