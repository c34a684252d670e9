using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace NetDsl.Interop;

/// <summary>
/// Weights in PyTorch's own file format: the pickled <c>state_dict</c> that <c>torch.save(model.state_dict(), path)</c>
/// writes and <c>model.load_state_dict(torch.load(path))</c> reads (the zip format of PyTorch 1.6 and later), through
/// TorchSharp.PyBridge. Generated modules use torchvision's names (<c>conv1.weight</c>, <c>layer1.0.bn1.running_mean</c>,
/// <c>layer2.0.downsample.0.weight</c>), so a torchvision ResNet's file loads into the NetDsl declaration of the same
/// network, and a NetDsl module's file loads into the PyTorch module with the same names.
/// </summary>
public static class PyTorchWeights
{
    /// <summary>
    /// Writes <paramref name="module"/>'s parameters and buffers (BatchNorm running statistics and
    /// <c>num_batches_tracked</c> included) as a PyTorch state dict. The file is written next to
    /// <paramref name="path"/> and moved into place, so an interrupted save never leaves a truncated file.
    /// </summary>
    /// <param name="module">Any TorchSharp module.</param>
    /// <param name="path">The file to write (conventionally <c>.pt</c> or <c>.pth</c>); replaced if it exists.</param>
    /// <exception cref="IOException">The file cannot be written.</exception>
    /// <exception cref="UnauthorizedAccessException">No permission to write <paramref name="path"/>.</exception>
    public static void Save(nn.Module module, string path)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        var temporary = full + ".tmp-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            using (var stream = File.Create(temporary))
                module.save_py(stream, leaveOpen: true);
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>
    /// Reads a PyTorch state dict into <paramref name="module"/>, strictly, as PyTorch's
    /// <c>load_state_dict(strict=True)</c>: every key of the module must be in the file, the file must hold no other
    /// key, and every shape must match; the order of the keys in the file does not matter. Values are converted to
    /// the module's dtype and device. Nothing is copied unless everything matches: after an exception the module is
    /// exactly as it was.
    /// </summary>
    /// <param name="module">The module to fill (typically freshly constructed).</param>
    /// <param name="path">A file written by <c>torch.save(model.state_dict(), path)</c> or by <see cref="Save"/>.</param>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a PyTorch state dict (a whole pickled model, a checkpoint
    /// dictionary with other entries, an old non-zip <c>torch.save</c> file, or a damaged file).</exception>
    /// <exception cref="StateDictMismatchException">Keys are missing or unexpected, or shapes differ; it lists every one.</exception>
    public static void Load(nn.Module module, string path)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file (save one in Python with torch.save(model.state_dict(), path))", path);
        using var stream = File.OpenRead(path);
        Load(module, stream, path);
    }

    /// <summary>As <see cref="Load(nn.Module, string)"/>, from a stream (left open).</summary>
    /// <param name="module">The module to fill.</param>
    /// <param name="stream">A readable, seekable stream holding the file's bytes.</param>
    /// <param name="source">What to call the stream in error messages.</param>
    /// <exception cref="InvalidDataException">The stream does not hold a PyTorch state dict.</exception>
    /// <exception cref="StateDictMismatchException">Keys are missing or unexpected, or shapes differ.</exception>
    public static void Load(nn.Module module, Stream stream, string source = "the stream")
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(stream);
        using var scope = NewDisposeScope();
        var file = Read(stream, source);
        var target = module.state_dict();
        var missing = target.Keys.Where(k => !file.ContainsKey(k)).ToList();
        var unexpected = file.Keys.Where(k => !target.ContainsKey(k)).ToList();
        var mismatched = target.Where(kv => file.TryGetValue(kv.Key, out var t) && !t.shape.SequenceEqual(kv.Value.shape))
            .Select(kv => new ShapeMismatch(kv.Key, file[kv.Key].shape, kv.Value.shape)).ToList();
        if (missing.Count + unexpected.Count + mismatched.Count > 0)
            throw new StateDictMismatchException(module.GetName(), missing, unexpected, mismatched);
        using var noGrad = no_grad();
        foreach (var (key, live) in target) live.copy_(file[key]);
    }

    static Dictionary<string, Tensor> Read(Stream stream, string source)
    {
        Hashtable table;
        try
        {
            table = PyTorchUnpickler.UnpickleStateDict(stream, leaveOpen: true);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{source}: not a PyTorch state dict readable here ({e.Message}); save one with torch.save(model.state_dict(), path) " +
                "(PyTorch 1.6 or later, the default zip format)", e);
        }
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in table)
        {
            if (entry.Key is not string key || entry.Value is not Tensor value)
                throw new InvalidDataException($"{source}: entry '{entry.Key}' is not a tensor; the file must hold model.state_dict() itself " +
                    "(for a checkpoint dictionary, save checkpoint['state_dict'] or checkpoint['model'] on its own)");
            result[key] = value;
        }
        return result;
    }
}

/// <summary>One key whose tensor has another shape in the file than in the module.</summary>
/// <param name="Key">The state-dict key (<c>fc.weight</c>).</param>
/// <param name="FileShape">Its shape in the file.</param>
/// <param name="ModuleShape">Its shape in the module.</param>
public sealed record ShapeMismatch(string Key, long[] FileShape, long[] ModuleShape);

/// <summary>
/// A state dict does not fit a module: keys missing from the file, keys the module does not have, or shapes that
/// differ. The message follows PyTorch's <c>load_state_dict</c> ("Error(s) in loading state_dict for ...") and adds
/// the likely fix; the lists hold every problem, not only the first.
/// </summary>
public sealed class StateDictMismatchException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="module">The module's type name.</param>
    /// <param name="missing">Keys of the module the file lacks.</param>
    /// <param name="unexpected">Keys in the file the module lacks.</param>
    /// <param name="mismatched">Keys whose shapes differ.</param>
    public StateDictMismatchException(string module, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<ShapeMismatch> mismatched)
        : base(Describe(module, missing, unexpected, mismatched))
    {
        Missing = missing;
        Unexpected = unexpected;
        Mismatched = mismatched;
    }

    /// <summary>Keys of the module that the file lacks, in the module's order.</summary>
    public IReadOnlyList<string> Missing { get; }
    /// <summary>Keys in the file that the module does not have.</summary>
    public IReadOnlyList<string> Unexpected { get; }
    /// <summary>Keys present on both sides with different shapes, in the module's order.</summary>
    public IReadOnlyList<ShapeMismatch> Mismatched { get; }

    static string Shape(long[] s) => "[" + string.Join(", ", s.Select(d => d.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";

    static string Describe(string module, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<ShapeMismatch> mismatched)
    {
        var lines = new List<string> { $"Error(s) in loading state_dict for {module}:" };
        if (missing.Count > 0) lines.Add("    Missing key(s) in state_dict: " + string.Join(", ", missing.Select(k => $"\"{k}\"")) + ".");
        if (unexpected.Count > 0) lines.Add("    Unexpected key(s) in state_dict: " + string.Join(", ", unexpected.Select(k => $"\"{k}\"")) + ".");
        foreach (var m in mismatched)
            lines.Add($"    size mismatch for {m.Key}: copying a param with shape {Shape(m.FileShape)} from checkpoint, the shape in current model is {Shape(m.ModuleShape)}.");
        lines.Add(missing.Count + unexpected.Count > 0 && mismatched.Count == 0 && missing.Count == unexpected.Count
            ? "The file's names differ from the module's: NetDsl uses torchvision's names (the field names of the declaration); rename the keys or the fields."
            : "The file was saved from a different architecture (depth, widths, number of classes, BatchNorm on or off); declare the same network, or load the file into the module it came from.");
        lines.Add("Nothing was loaded; the module is unchanged.");
        return string.Join(Environment.NewLine, lines);
    }
}
