using System;
using System.Collections.Generic;
using TorchSharp;

namespace NetDsl;

/// <summary>One variant of a network's <see cref="VariantsAttribute">variant matrix</see>, as listed by the generated registry <c>Net.Variants.All</c>.</summary>
/// <param name="Name">Stable, human-readable name: the network and the distinguishing settings (<c>ResNet20.Plain.BnAfterActivation</c>).</param>
/// <param name="Settings">The value of every axis of the matrix for this variant (<c>Residual</c> = <c>off</c>, <c>BatchNorm</c> = <c>AfterActivation</c>, ...).</param>
/// <param name="Summary">The variant's compile-time summary (shapes, parameters, multiply-accumulates).</param>
/// <param name="Create">Builds a new instance with PyTorch's default initialization.</param>
/// <param name="ForwardSource">The generated <c>forward</c> methods of the variant and of its blocks, as C# text, for reports that set variants side by side.</param>
/// <param name="PyTorchSource">The variant as a self-contained PyTorch module (Python source needing only <c>torch</c>, the generated
/// <c>PyTorchSource</c> constant of the variant's type): same sub-module names, <c>state_dict</c> keys, parameter count and forward.
/// Empty only for a <see cref="VariantInfo"/> built by hand.</param>
public sealed record VariantInfo(
    string Name,
    IReadOnlyDictionary<string, string> Settings,
    ModelSummary Summary,
    Func<torch.nn.Module<torch.Tensor, torch.Tensor>> Create,
    string ForwardSource,
    string PyTorchSource = "");
