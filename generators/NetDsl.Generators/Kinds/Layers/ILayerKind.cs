using NetDsl.Generators.Model;

namespace NetDsl.Generators.Kinds.Layers;

/// <summary>
/// One layer kind: everything the generator knows about it, in one file per kind (<c>Conv.cs</c>, <see cref="Dropout"/>,
/// ...), listed once in <see cref="LayerCatalog"/>. The reader, shape inference, both emitters and the Summary ask the kind instead
/// of switching on kinds; a layer's <see cref="LayerSpec.Kind"/> is its kind's one instance. What depends on the unit around a layer stays in the planner
/// (<c>Planning/UnitSchedule</c>): which convolution takes a block's stride, the implied normalization and activation after a
/// weight layer, the flatten after global pooling, and a stage's blocks (<see cref="Composite"/>).
/// </summary>
internal interface ILayerKind
{
    /// <summary>Its name in messages and in the attribute (<c>Conv</c> for <c>[Conv]</c>).</summary>
    string Name { get; }

    /// <summary>
    /// The metadata name of the attribute that declares it (<c>NetDsl.ConvAttribute</c>), or null for a layer declared by a
    /// policy attribute on a field of the module's own type (an explicit normalization or activation layer).
    /// </summary>
    string? Attribute { get; }

    /// <summary>
    /// The TorchSharp type (no namespace) a field declared with <see cref="Attribute"/> must have (<c>Conv2d</c>); the reader
    /// reports ND0004 for another type. Null when the kind checks its field type itself (stages, explicit normalization and
    /// activation layers).
    /// </summary>
    string? FieldType { get; }

    /// <summary>The attribute as the fix for a field of type <see cref="FieldType"/> without one shows it (ND0025): <c>[Conv(64)]</c>; null without a <see cref="FieldType"/>.</summary>
    string? Example { get; }

    /// <summary>A weight layer (convolution, linear): it sets the channel count and takes the implied normalization, activation and bias.</summary>
    bool IsWeight { get; }

    /// <summary>A stage: its blocks are units of their own, which the planner walks (shape inference) and builds (both emitters); <see cref="Infer"/>, <see cref="Factory"/> and <see cref="PyTorch"/> do not apply.</summary>
    bool Composite { get; }

    /// <summary>Whether the layer's output is a new tensor that autograd does not keep (a weight or normalization layer), so the eval path may write into it in place.</summary>
    bool FreshOutput { get; }

    /// <summary>
    /// Reads the field's attribute and validates its values (diagnostics through <paramref name="r"/>); returns the layer, or
    /// null after reporting why it cannot be built. The field's type has been checked against <see cref="FieldType"/>.
    /// </summary>
    LayerSpec? Read(LayerRead r);

    /// <summary>The input the layer takes: maps <c>[N, C, H, W]</c> only (true), vectors <c>[N, F]</c> only (false), or either (null). A block's layers must agree (ND0019).</summary>
    bool? TakesMaps(LayerSpec l);

    /// <summary>
    /// The shape rule: the per-sample output shape (<c>[C, H, W]</c> or <c>[F]</c>), parameters and multiply-accumulates of the
    /// layer on <see cref="LayerShape.Input"/>, or null after reporting why it cannot run there.
    /// </summary>
    /// <exception cref="System.InvalidOperationException">The kind is <see cref="Composite"/>.</exception>
    LayerOutput? Infer(LayerShape c);

    /// <summary>The TorchSharp module type (no namespace) it builds on maps (<paramref name="map"/>) or vectors: its field's type and the Summary's kind column.</summary>
    string ModuleType(LayerSpec l, bool map);

    /// <summary>The C# expression that builds the module (sizes are C# expressions: numbers in networks, constructor parameters in blocks).</summary>
    /// <exception cref="System.InvalidOperationException">The kind is <see cref="Composite"/>.</exception>
    string Factory(LayerSpec l, LayerSizes s);

    /// <summary>The PyTorch expression that builds the module (for the generated <c>PyTorchSource</c>), with the same sizes in Python.</summary>
    /// <exception cref="System.InvalidOperationException">The kind is <see cref="Composite"/>.</exception>
    string PyTorch(LayerSpec l, LayerSizes s);

    /// <summary>
    /// The forward step: the activation the layer applies when it is an explicit activation layer (tapped like the implied
    /// ones: its input and output), else null (the step is <c>this.name.call(x)</c>, tapped by its name).
    /// </summary>
    Nonlinearity? Activates(LayerSpec l);

    /// <summary>How the layer changes the spatial size, for a block's documented output formula; null when it keeps the size or the input is not a map.</summary>
    /// <param name="l">The layer.</param>
    /// <param name="stride">The stride it runs with (null: the block's <c>stride</c> parameter).</param>
    SizeStep? Size(LayerSpec l, int? stride);
}

/// <summary>The sizes a layer's constructor code is written with: C# (or Python) expressions.</summary>
/// <param name="In">Input channels or features.</param>
/// <param name="Out">Output channels or features of a weight layer (the block's planes, or the declared size in a network).</param>
/// <param name="Stride">A convolution's stride (<c>stride</c>, the block's parameter, when it takes the block's stride).</param>
/// <param name="Bias">Whether a weight layer has a bias (decided by the planner: explicit, or off when a normalization follows).</param>
/// <param name="Map">The layer's input is a map <c>[N, C, H, W]</c> (else a vector <c>[N, F]</c>).</param>
internal readonly record struct LayerSizes(string In, string Out, string Stride, bool Bias, bool Map);

/// <summary>A layer's result in shape inference.</summary>
/// <param name="Shape">The per-sample output shape.</param>
/// <param name="Parameters">Learnable parameters.</param>
/// <param name="Macs">Multiply-accumulates per sample.</param>
internal sealed record LayerOutput(long[] Shape, long Parameters = 0, long Macs = 0);

/// <summary>One spatial window over a size: out = (in + 2 * padding - kernel) / stride + 1.</summary>
/// <param name="Kernel">Window size.</param>
/// <param name="Stride">Step; null is the block's <c>stride</c> parameter.</param>
/// <param name="Padding">Zeros on each side.</param>
/// <param name="ToOne">The size becomes 1 (global pooling).</param>
/// <param name="Flattens">The map becomes a vector of <c>C * H * W</c> features.</param>
internal readonly record struct SizeStep(int Kernel, int? Stride, int Padding, bool ToOne = false, bool Flattens = false);
