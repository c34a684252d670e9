using System;
using System.Collections.Generic;
using TorchSharp;

namespace NetDsl;

/// <summary>One variant of a network's <see cref="VariantsAttribute">variant matrix</see>, as listed by the generated registry <c>Net.Variants.All</c>.</summary>
/// <param name="Name">Stable, human-readable name: the network and the distinguishing settings (<c>ResNet20.Plain.BnAfterActivation</c>).</param>
/// <param name="Settings">The value of every axis of the matrix for this variant as text (<c>Residual</c> = <c>off</c>, <c>BatchNorm</c> = <c>NoBn</c>, ...):
/// what results.json and reports show. A generated variant's text is <see cref="VariantSettings.ToStrings"/> of its <see cref="Axes"/>; a hand-built
/// variant may add descriptive entries of its own (<c>Width</c> = <c>64</c>). Select variants with <see cref="Axes"/>, not by comparing this text.</param>
/// <param name="Summary">The variant's compile-time summary (shapes, parameters, multiply-accumulates).</param>
/// <param name="Create">Builds a new instance: with PyTorch's default initialization, or with the initialization the variant declares (<c>[Init]</c> or the <c>Init</c> axis; see <see cref="IDeclaresInit"/>), which its constructor applies.</param>
/// <param name="ForwardSource">The generated <c>forward</c> methods of the variant and of its blocks, as C# text, for reports that set variants side by side.</param>
/// <param name="PyTorchSource">The variant as a self-contained PyTorch module (Python source needing only <c>torch</c>, the generated
/// <c>PyTorchSource</c> constant of the variant's type): same sub-module names, <c>state_dict</c> keys, parameter count and forward.
/// Empty only for a <see cref="VariantInfo"/> built by hand.</param>
/// <exception cref="ArgumentNullException"><paramref name="Settings"/> is null.</exception>
/// <exception cref="FormatException">An entry of <paramref name="Settings"/> named like an axis (<see cref="VariantSettings.AxisNames"/>) has a value that
/// axis does not take (<c>Residual</c> = <c>yes</c>); the message names the accepted values.</exception>
public sealed record VariantInfo(
    string Name,
    IReadOnlyDictionary<string, string> Settings,
    ModelSummary Summary,
    Func<torch.nn.Module<torch.Tensor, torch.Tensor>> Create,
    string ForwardSource,
    string PyTorchSource = "")
{
    /// <summary>A variant with typed settings (what the generated registry calls): <see cref="Settings"/> becomes their text, <see cref="VariantSettings.ToStrings"/>.</summary>
    /// <param name="name">Stable, human-readable name (<c>ResNet20.Plain.BnAfterActivation</c>).</param>
    /// <param name="axes">The value of every axis of the matrix (null properties: axes not in the matrix).</param>
    /// <param name="summary">The variant's compile-time summary.</param>
    /// <param name="create">Builds a new instance: with PyTorch's default initialization, or with the initialization the variant declares (<c>[Init]</c> or the <c>Init</c> axis; see <see cref="IDeclaresInit"/>), which its constructor applies.</param>
    /// <param name="forwardSource">The generated <c>forward</c> methods of the variant and of its blocks, as C# text.</param>
    /// <param name="pyTorchSource">The variant as a self-contained PyTorch module.</param>
    /// <exception cref="ArgumentNullException"><paramref name="axes"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A setting of <paramref name="axes"/> is out of range (see <see cref="VariantSettings.ToStrings"/>).</exception>
    public VariantInfo(string name, VariantSettings axes, ModelSummary summary, Func<torch.nn.Module<torch.Tensor, torch.Tensor>> create,
        string forwardSource, string pyTorchSource = "")
        : this(name, (axes ?? throw new ArgumentNullException(nameof(axes))).ToStrings(), summary, create, forwardSource, pyTorchSource)
    {
    }

    readonly IReadOnlyDictionary<string, string> settings = Checked(Settings);

    /// <summary>The value of every axis of the matrix as text (see the record's <c>Settings</c> parameter); setting it (<c>with</c>) sets <see cref="Axes"/> too.</summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    /// <exception cref="FormatException">Set to text with an axis value that axis does not take.</exception>
    public IReadOnlyDictionary<string, string> Settings
    {
        get => settings;
        init => (settings, Axes) = (Checked(value), VariantSettings.Parse(value));
    }

    /// <summary>
    /// The value of every axis of the matrix for this variant, typed (<c>v.Axes.Residual == false</c>,
    /// <c>v.Axes.BatchNorm == BatchNormVariant.None</c>); a property is null when its axis is not in the matrix. Read from
    /// <see cref="Settings"/> (<see cref="VariantSettings.Parse"/>), so the two always agree.
    /// </summary>
    public VariantSettings Axes { get; private init; } = VariantSettings.Parse(Checked(Settings));

    static IReadOnlyDictionary<string, string> Checked(IReadOnlyDictionary<string, string> settings) =>
        settings ?? throw new ArgumentNullException(nameof(Settings));
}
