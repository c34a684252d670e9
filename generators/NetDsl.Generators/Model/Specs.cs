namespace NetDsl.Generators.Model;

// Mirrors of the runtime library's enums (the generator does not reference it); values must match.
internal enum Nonlinearity { None, ReLU, LeakyReLU, Sigmoid, Tanh, GELU }
internal enum BnAfter { Convolution, Activation }
internal enum ShortcutKind { Auto, Identity, ZeroPad, Projection }
internal enum UnitOrder { Original, BnAfterAddition, ReluBeforeAddition, ReluOnlyPreActivation, FullPreActivation }


/// <summary>The normalization kinds (<see cref="Kinds.Normalization.Norms"/> holds what each one means).</summary>
internal enum NormKind { None, Batch, Group, Layer, Instance }

/// <summary>
/// Normalization policy (torchvision's <c>norm_layer</c>): which kind, where it goes, and its settings. <see cref="Momentum"/>
/// is BatchNorm's, <see cref="Groups"/> GroupNorm's; both are kept whatever the kind, so a variant
/// that switches the kind keeps the declared settings of the others.
/// </summary>
internal sealed record NormPolicy(NormKind Kind, BnAfter After, double Eps, double Momentum, int Groups)
{
    /// <summary>Wu &amp; He 2018's default group count.</summary>
    public const int DefaultGroups = 32;
    public bool Enabled => Kind != NormKind.None;
    public static readonly NormPolicy None = new(NormKind.None, BnAfter.Convolution, 1e-5, 0.1, DefaultGroups);
}

/// <summary>Activation policy.</summary>
internal sealed record ActivationPolicy(Nonlinearity Kind, double NegativeSlope)
{
    public static readonly ActivationPolicy None = new(Nonlinearity.None, 0.01);
}

/// <summary>Residual policy; <see cref="Enabled"/> false means a plain block.</summary>
internal sealed record ResidualPolicy(bool Enabled, ShortcutKind Shortcut, UnitOrder Order, double BranchScale)
{
    public static readonly ResidualPolicy Off = new(false, ShortcutKind.Auto, UnitOrder.Original, 1.0);
}

/// <summary>Mirror of the runtime's <c>NetDsl.Init</c> (values must match).</summary>
internal enum InitKind { PyTorchDefault, HeFanIn, HeFanOut, ZeroGamma, Fixup, SkipInit }

/// <summary>The policies of a class (block or network), after defaults; <see cref="Init"/> null when the class states none.</summary>
internal sealed record Policy(NormPolicy Norm, ActivationPolicy Activation, ResidualPolicy Residual, InitKind? Init = null)
{
    /// <summary>Fixup's scalars (a bias before each weight layer and activation, a multiplier ending each residual branch) are part of the unit.</summary>
    public bool Fixup => Init == InitKind.Fixup;
    /// <summary>SkipInit's <c>alpha</c> ends each residual branch.</summary>
    public bool SkipInit => Init == InitKind.SkipInit;
}

/// <summary>
/// One declared layer field, as written (sizes not yet inferred). Plain values only: no symbols,
/// syntax or locations, so models compare by value in the incremental pipeline.
/// </summary>
/// <param name="Name">Field name = state_dict prefix.</param>
/// <param name="Kind">Layer kind.</param>
/// <param name="Out">Conv/Linear output size, Stage channels; 0 = from the enclosing block.</param>
/// <param name="Kernel">Conv/pool kernel.</param>
/// <param name="Stride">Conv/pool stride (pool: 0 = kernel); Stage: first block's stride.</param>
/// <param name="Padding">Conv/pool padding; -1 = same (kernel / 2).</param>
/// <param name="Bias">Explicit bias, or null for "off when a normalization directly follows".</param>
/// <param name="Strided">Conv in a block that takes the block's stride.</param>
/// <param name="P">Dropout probability.</param>
/// <param name="Blocks">Stage: number of blocks.</param>
/// <param name="Block">Stage: the block type.</param>
/// <param name="Norm">Per-layer normalization override (or the explicit normalization layer's kind and settings).</param>
/// <param name="Activation">Per-layer activation override (or the explicit activation layer's kind).</param>
/// <param name="NormRank">An explicit normalization layer: the per-sample rank its field type needs (<see cref="Kinds.Normalization.Ranks"/>: maps, vectors or either).</param>
internal sealed record LayerSpec(
    string Name, Kinds.Layers.ILayerKind Kind, int Out, int Kernel, int Stride, int Padding, bool? Bias, bool Strided, double P,
    int Blocks, BlockSpec? Block, NormPolicy? Norm, ActivationPolicy? Activation, int NormRank = Kinds.Normalization.Ranks.Any)
{
    /// <summary>A layer with the given values and the rest at their defaults (no size, stride 1, no padding, no bias decision, no policies).</summary>
    public static LayerSpec Create(string name, Kinds.Layers.ILayerKind kind, int @out = 0, int kernel = 0, int stride = 1, int padding = 0, bool? bias = null,
        bool strided = false, double p = 0, int blocks = 0, BlockSpec? block = null, NormPolicy? norm = null, ActivationPolicy? activation = null, int normRank = Kinds.Normalization.Ranks.Any) =>
        new(name, kind, @out, kernel, stride, padding, bias, strided, p, blocks, block, norm, activation, normRank);

    /// <summary>A weight layer (its kind's <see cref="Kinds.Layers.ILayerKind.IsWeight"/>).</summary>
    public bool IsWeight => Kind.IsWeight;
    public int EffectivePadding => Padding >= 0 ? Padding : Kernel / 2;
    public int PoolStride => Stride > 0 ? Stride : Kernel;
}

/// <summary>A parsed <c>[Block]</c> class.</summary>
/// <param name="TypeName">Fully qualified with <c>global::</c>.</param>
/// <param name="Namespace">Containing namespace, null for global.</param>
/// <param name="Name">Class name.</param>
/// <param name="Expansion">Output channels / planes.</param>
/// <param name="Spatial">Convolutional (true) or fully connected (false).</param>
/// <param name="Policy">The block's policies.</param>
/// <param name="Layers">Layers in forward order.</param>
/// <param name="FileStem">The stem of the generated file's name (see <c>Naming.HintNames</c>).</param>
/// <param name="Taps">Whether the generated forward has tap points (<c>[Block(Taps = false)]</c> leaves them out).</param>
/// <param name="StatesNorm">The block has its own normalization attribute (else a variant's network policy applies to it).</param>
/// <param name="StatesActivation">The block has its own [Activation].</param>
/// <param name="ExpandedLayers">Summary rows of one instance, nested stages expanded and the shortcut projection counted (see <see cref="Limits.MaxExpandedLayers"/>).</param>
internal sealed record BlockSpec(string TypeName, string? Namespace, string Name, int Expansion, bool Spatial, Policy Policy, EquatableArray<LayerSpec> Layers, string FileStem,
    bool Taps = true, bool StatesNorm = false, bool StatesActivation = false, long ExpandedLayers = 0);

/// <summary>A parsed <c>[Network]</c> class.</summary>
/// <param name="Namespace">Containing namespace, null for global.</param>
/// <param name="Name">Class name.</param>
/// <param name="InputShape">Per-sample input shape from [Input].</param>
/// <param name="Policy">The network's policies.</param>
/// <param name="Layers">Layers in forward order.</param>
/// <param name="FileStem">The stem of the generated files' names (see <c>Naming.HintNames</c>).</param>
/// <param name="Taps">Whether the generated forward has tap points.</param>
internal sealed record NetworkSpec(string? Namespace, string Name, EquatableArray<int> InputShape, Policy Policy, EquatableArray<LayerSpec> Layers, string FileStem, bool Taps = true);

/// <summary>A row of the compile-time summary (mirrors NetDsl.LayerSummary).</summary>
internal sealed record SummaryRow(string Name, string Kind, EquatableArray<long> Shape, long Parameters, long Macs);

/// <summary>A network ready to emit: its spec plus what shape inference found.</summary>
/// <param name="Spec">The parsed network.</param>
/// <param name="Summary">The compile-time summary rows.</param>
/// <param name="StepInputs">Per step of the network's schedule: channels (or features) of the step's input.</param>
/// <param name="StepRanks">Per step: rank of the step's per-sample input (3 maps, 1 vectors), which picks BatchNorm2d or 1d (LayerNorm: GroupNorm(1, C) or LayerNorm).</param>
/// <param name="Variants">The variant matrix, when the network has [Variants].</param>
internal sealed record NetworkModel(NetworkSpec Spec, EquatableArray<SummaryRow> Summary, EquatableArray<long> StepInputs, EquatableArray<int> StepRanks,
    EquatableArray<VariantModel> Variants = default);

/// <summary>One axis value of a variant: <c>("Residual", "off")</c>.</summary>
internal sealed record Setting(string Axis, string Value);

/// <summary>One variant: its names, settings, and the network (with its specialized blocks) to emit.</summary>
/// <param name="DisplayName">Stable name, <c>ResNet20.Plain.BnAfterActivation</c>.</param>
/// <param name="TypeName">The nested class name, <c>Plain_BnAfterActivation</c>.</param>
/// <param name="Settings">The value of every axis.</param>
/// <param name="Network">The variant as a network model (its Spec.Name is <see cref="TypeName"/>).</param>
/// <param name="Blocks">The blocks its stages use, specialized for it and nested in its class.</param>
internal sealed record VariantModel(string DisplayName, string TypeName, EquatableArray<Setting> Settings, NetworkModel Network, EquatableArray<BlockSpec> Blocks);
