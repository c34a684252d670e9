using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using NetDsl.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NetDsl.Inference;

/// <summary>
/// The folded weight and bias of each (convolution or linear, BatchNorm) pair, kept while the fold's inputs are unchanged.
/// TorchSharp 0.107 exposes no tensor version counter, so a change is detected exactly: the entry keeps a host copy of every
/// byte the fold was computed from (the layer's weight and bias, BatchNorm's weight, bias, running mean and variance) with the
/// identity, dtype and shape of each tensor and BatchNorm's eps, and compares them at each pass (byte for byte, no hash).
/// Entries are keyed weakly on the layer module: when the module is collected, its entry goes with it and the finalizers of
/// the cached tensors free their memory. Each entry has its own lock.
/// </summary>
internal static class FoldCache
{
    static readonly ConditionalWeakTable<nn.Module, Entry> Entries = new();

    /// <summary>The fold of <paramref name="weight"/>, <paramref name="bias"/> and <paramref name="bn"/>: from the cache when
    /// its inputs are unchanged and no gradient must flow into them, otherwise computed (and stored when it may be). The
    /// returned tensors are new handles in the caller's dispose scope (aliases of the cached ones: a later miss disposes the
    /// cached handles without touching a pass that is still using the storage).</summary>
    public static (Tensor Weight, Tensor Bias) Fold(nn.Module layer, Tensor weight, Tensor? bias, BatchNorm bn)
    {
        if (!BatchNormFolding.CacheFolds) return BatchNormFolding.Compute(weight, bias, bn);
        Span<Tensor?> inputs = [weight, bias, bn.weight, bn.bias, bn.running_mean, bn.running_var];
        // Autograd must see the fold when a gradient can flow into one of its inputs: compute it as before, keep the entry.
        if (is_grad_enabled())
            foreach (var t in inputs)
                if (t is not null && t.requires_grad) return BatchNormFolding.Compute(weight, bias, bn);
        foreach (var t in inputs)
            if (t is not null && !Comparable(t))
            {
                Release(layer); // CUDA, non-contiguous, an unusual dtype: no host copy to compare against, fold every pass
                return BatchNormFolding.Compute(weight, bias, bn);
            }
        var entry = Entries.GetOrCreateValue(layer);
        lock (entry.Gate)
        {
            if (entry.Matches(bn, inputs)) entry.Hits++;
            else
            {
                entry.Store(bn, inputs, weight, bias);
                entry.Misses++;
            }
            return (entry.Weight!.detach(), entry.Bias!.detach());
        }
    }

    /// <summary>Floating-point tensors the host can read in place (see <see cref="TensorMemory.Readable"/>).</summary>
    static bool Comparable(Tensor t) =>
        t.dtype is ScalarType.Float32 or ScalarType.Float64 or ScalarType.Float16 or ScalarType.BFloat16 && TensorMemory.Readable(t);

    /// <summary>Disposes <paramref name="layer"/>'s cached fold, if any, and forgets it.</summary>
    public static void Release(nn.Module layer)
    {
        if (!Entries.TryGetValue(layer, out var entry)) return;
        lock (entry.Gate) entry.Release();
        Entries.Remove(layer);
    }

    /// <summary>Disposes every cached fold.</summary>
    public static void ReleaseAll()
    {
        var layers = new List<nn.Module>();
        foreach (var (layer, _) in Entries) layers.Add(layer);
        foreach (var layer in layers) Release(layer);
    }

    /// <summary>For tests and benchmarks: how often <paramref name="layer"/>'s fold was reused and computed, and the cached
    /// folded weight (null when none).</summary>
    internal static (int Hits, int Misses, Tensor? Weight) Inspect(nn.Module layer)
    {
        if (!Entries.TryGetValue(layer, out var entry)) return (0, 0, null);
        lock (entry.Gate) return (entry.Hits, entry.Misses, entry.Weight);
    }

    sealed class Entry
    {
        public readonly object Gate = new();
        public int Hits, Misses;
        public Tensor? Weight, Bias;
        BatchNorm? bn;
        long eps;
        readonly Source[] sources = new Source[6];

        struct Source
        {
            public Tensor? Tensor;
            public ScalarType DType;
            public long[]? Shape;
            public byte[]? Bytes;
        }

        public bool Matches(BatchNorm bn, ReadOnlySpan<Tensor?> inputs)
        {
            if (Weight is null || !ReferenceEquals(bn, this.bn) || BitConverter.DoubleToInt64Bits(bn.eps) != eps) return false;
            for (int i = 0; i < inputs.Length; i++)
            {
                ref var s = ref sources[i];
                var t = inputs[i];
                // The same object (a replaced Parameter or buffer is another object, and the old one cannot be reused while
                // referenced here), then dtype and shape (resize_ or set_ keep the object), then every byte.
                if (!ReferenceEquals(t, s.Tensor)) return false;
                if (t is null) continue;
                if (t.dtype != s.DType || !t.shape.AsSpan().SequenceEqual(s.Shape) || !TensorMemory.Bytes(t).SequenceEqual(s.Bytes)) return false;
            }
            return true;
        }

        public void Store(BatchNorm bn, ReadOnlySpan<Tensor?> inputs, Tensor weight, Tensor? bias)
        {
            Release();
            // The snapshot is taken before the fold, from the same memory the fold reads; both under this entry's lock.
            for (int i = 0; i < inputs.Length; i++)
            {
                ref var s = ref sources[i];
                var t = inputs[i];
                s.Tensor = t;
                if (t is null) continue;
                s.DType = t.dtype;
                s.Shape = t.shape;
                var bytes = TensorMemory.Bytes(t);
                if (s.Bytes?.Length != bytes.Length) s.Bytes = GC.AllocateUninitializedArray<byte>(bytes.Length);
                bytes.CopyTo(s.Bytes);
            }
            this.bn = bn;
            eps = BitConverter.DoubleToInt64Bits(bn.eps);
            // Normal tensors even under inference_mode: an inference tensor could not be saved for backward by a later pass
            // whose input requires grad.
            using var normal = inference_mode(false);
            using var noGrad = no_grad();
            var (w, b) = BatchNormFolding.Compute(weight, bias, bn);
            // Owned by this entry, not by the dispose scope the pass runs in.
            Weight = w.DetachFromDisposeScope();
            Bias = b.DetachFromDisposeScope();
        }

        public void Release()
        {
            Weight?.Dispose();
            Bias?.Dispose();
            Weight = Bias = null;
            bn = null;
            for (int i = 0; i < sources.Length; i++) sources[i] = default;
        }
    }
}
