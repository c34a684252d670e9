namespace NetDsl.Generators.Model;

/// <summary>The activation kinds; values mirror NetDsl.Nonlinearity in the runtime library.</summary>
internal enum Nonlinearity
{
    None,
    ReLU,
    LeakyReLU,
    Sigmoid,
    Tanh,
    GELU,
}

/// <summary>The layer kinds the generator knows.</summary>
internal enum LayerKind
{
    Linear,
}

/// <summary>
/// One declared layer, already resolved: input and output sizes inferred, activation decided.
/// Holds no symbols or syntax so the incremental pipeline can compare it by value.
/// </summary>
/// <param name="Name">The field name, which is also the state_dict prefix (<c>fc1</c>).</param>
/// <param name="Kind">What kind of layer.</param>
/// <param name="InFeatures">Inferred input features.</param>
/// <param name="OutFeatures">Declared output features.</param>
/// <param name="Bias">Whether the layer has a bias.</param>
/// <param name="Activation">The activation applied after this layer.</param>
internal sealed record LayerModel(string Name, LayerKind Kind, int InFeatures, int OutFeatures, bool Bias, Nonlinearity Activation)
{
    /// <summary>Learnable parameters of the layer.</summary>
    public long Parameters => (long)OutFeatures * InFeatures + (Bias ? OutFeatures : 0);
}

/// <summary>A fully resolved <c>[Network]</c> class, ready to emit.</summary>
/// <param name="Namespace">The containing namespace, or null for the global namespace.</param>
/// <param name="ClassName">The class name.</param>
/// <param name="InputShape">The per-sample input shape from <c>[Input]</c>.</param>
/// <param name="Layers">Layers in forward order.</param>
internal sealed record NetworkModel(string? Namespace, string ClassName, EquatableArray<int> InputShape, EquatableArray<LayerModel> Layers)
{
    /// <summary>The deterministic hint name of the generated file.</summary>
    public string HintName => (Namespace is null ? "" : Namespace + ".") + ClassName + ".g.cs";
}
