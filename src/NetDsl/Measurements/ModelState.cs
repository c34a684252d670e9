using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NetDsl.Measurements;

/// <summary>
/// A copy of a module's parameters, buffers (BatchNorm running statistics) and training flag, restored
/// bit for bit by <see cref="Dispose"/>: measurements that move the weights or run forward passes in
/// training mode leave the model exactly as they found it.
/// </summary>
public sealed class ModelState : IDisposable
{
    readonly nn.Module module;
    readonly List<(Tensor Live, Tensor Copy)> saved = new();
    readonly bool training;

    /// <summary>Saves <paramref name="module"/>'s state.</summary>
    /// <param name="module">Any TorchSharp module.</param>
    public ModelState(nn.Module module)
    {
        this.module = module;
        training = module.training;
        using var _ = no_grad();
        foreach (var (_, p) in module.named_parameters()) saved.Add((p, p.detach().clone()));
        foreach (var (_, b) in module.named_buffers()) saved.Add((b, b.clone()));
    }

    /// <summary>The parameters, in <c>named_parameters()</c> order.</summary>
    public static IReadOnlyList<(string Name, Parameter Parameter)> Parameters(nn.Module module) =>
        module.named_parameters().Select(p => (p.name, p.parameter)).ToList();

    /// <summary>
    /// The dtype and device inputs to <paramref name="module"/> should have: those of its first floating-point
    /// parameter, or float32 on the CPU when it has none. Measurements build their own inputs with these.
    /// </summary>
    /// <param name="module">Any TorchSharp module.</param>
    public static (ScalarType Dtype, Device Device) InputType(nn.Module module)
    {
        foreach (var p in module.parameters())
            if (p.is_floating_point()) return (p.dtype, p.device);
        return (ScalarType.Float32, CPU);
    }

    /// <summary>Restores every parameter and buffer and the training flag, and frees the copies.</summary>
    public void Dispose()
    {
        using (no_grad())
            foreach (var (live, copy) in saved)
            {
                live.copy_(copy);
                copy.Dispose();
            }
        saved.Clear();
        module.train(training);
    }
}
