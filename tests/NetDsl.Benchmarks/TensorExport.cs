using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace NetDsl.Benchmarks;

/// <summary>
/// Writes named tensors for another process (the PyTorch peer in <c>pytorch/training_step.py</c>) to
/// read: one file <c>tensors.bin</c> of raw little-endian values, one after the other, and an index
/// <c>index.json</c> with each tensor's name, dtype (<c>float32</c> or <c>int64</c>), shape and byte
/// offset, plus free-form settings. Raw bytes instead of TorchSharp's own format because PyTorch 1.13
/// reads them with nothing but <c>torch.frombuffer</c>, and the index documents itself.
/// </summary>
public static class TensorExport
{
    /// <summary>One tensor in <c>index.json</c>.</summary>
    /// <param name="Name">The key (a <c>state_dict</c> key, or a name such as <c>input</c>).</param>
    /// <param name="Dtype"><c>float32</c> or <c>int64</c>.</param>
    /// <param name="Shape">The tensor's shape.</param>
    /// <param name="Offset">Byte offset of its first value in <c>tensors.bin</c>.</param>
    public sealed record Entry(string Name, string Dtype, long[] Shape, long Offset);

    /// <summary>Writes <paramref name="tensors"/> and <paramref name="settings"/> into <paramref name="directory"/> (created if missing).</summary>
    /// <param name="directory">Output directory.</param>
    /// <param name="tensors">Named tensors in any order; float32 and int64 only, copied to contiguous CPU memory.</param>
    /// <param name="settings">Extra fields for <c>index.json</c> (model name, loss, learning rate, ...).</param>
    /// <exception cref="NotSupportedException">A tensor has another dtype.</exception>
    public static void Write(string directory, IEnumerable<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, object> settings)
    {
        Directory.CreateDirectory(directory);
        if (!BitConverter.IsLittleEndian) throw new NotSupportedException("the export format is little-endian");
        var entries = new List<Entry>();
        using (var bin = File.Create(Path.Combine(directory, "tensors.bin")))
        {
            foreach (var (name, tensor) in tensors)
            {
                using var t = tensor.detach().cpu().contiguous();
                string dtype;
                byte[] bytes;
                switch (t.dtype)
                {
                    case ScalarType.Float32:
                        dtype = "float32";
                        bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.data<float>().ToArray().AsSpan()).ToArray();
                        break;
                    case ScalarType.Int64:
                        dtype = "int64";
                        bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.data<long>().ToArray().AsSpan()).ToArray();
                        break;
                    default:
                        throw new NotSupportedException($"{name}: dtype {t.dtype} is not exported");
                }
                entries.Add(new Entry(name, dtype, t.shape, bin.Position));
                bin.Write(bytes);
            }
        }
        var index = new Dictionary<string, object>(settings.ToDictionary(kv => kv.Key, kv => kv.Value))
        {
            ["tensors"] = entries.Select(e => new { name = e.Name, dtype = e.Dtype, shape = e.Shape, offset = e.Offset }).ToList(),
        };
        File.WriteAllText(Path.Combine(directory, "index.json"), JsonSerializer.Serialize(index, new JsonSerializerOptions { WriteIndented = true }));
    }
}
