using System;
using System.IO;
using System.Text.Json;
using NetDsl.Cli.Results;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NetDsl.Cli.Training;

/// <summary>
/// A training checkpoint of one variant and seed: what was measured so far (as JSON), the weights and buffers
/// (TorchSharp's format) and the SGD momentum buffers. Written atomically: to a temporary file in the same folder,
/// flushed to disk, then renamed over the previous checkpoint, so a run killed mid-write leaves the previous one intact.
/// </summary>
public static class Checkpoint
{
    const string Magic = "NETDSL-CHECKPOINT-1";

    /// <summary>Writes the checkpoint atomically.</summary>
    /// <param name="path">The checkpoint file (replaced if present).</param>
    /// <param name="fingerprint">Identifies experiment, variant, seed and settings; a resume must match it.</param>
    /// <param name="progress">Measurements so far (epochs completed = <c>progress.Epochs.Count</c>).</param>
    /// <param name="model">The model.</param>
    /// <param name="optimizer">Its optimizer.</param>
    /// <exception cref="IOException">The folder is not writable.</exception>
    public static void Save(string path, string fingerprint, JobResult progress, nn.Module model, SGD optimizer) =>
        WriteAtomically(path, writer =>
        {
            writer.Write(Magic);
            writer.Write(fingerprint);
            writer.Write(JsonSerializer.Serialize(progress, RunResults.Json));
            model.save(writer);
            optimizer.save_state_dict(writer);
        });

    /// <summary>Runs <paramref name="write"/> into a temporary file beside <paramref name="path"/>, flushes it to disk, then renames it over
    /// <paramref name="path"/>; if <paramref name="write"/> throws, the temporary file is removed and <paramref name="path"/> is untouched.</summary>
    internal static void WriteAtomically(string path, Action<BinaryWriter> write)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(folder);
        var temporary = Path.Combine(folder, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
                    write(writer);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>
    /// Restores a checkpoint into <paramref name="model"/> and <paramref name="optimizer"/> (built the same way as when it was saved).
    /// </summary>
    /// <returns>The measurements so far, or null when there is no checkpoint at <paramref name="path"/>.</returns>
    /// <exception cref="InvalidDataException">The file is not a checkpoint, or it was written for other settings (the fingerprint differs).</exception>
    public static JobResult? Load(string path, string fingerprint, nn.Module model, SGD optimizer)
    {
        if (!File.Exists(path)) return null;
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        try
        {
            if (reader.ReadString() != Magic) throw new InvalidDataException($"{path}: not a netdsl checkpoint");
            var saved = reader.ReadString();
            if (saved != fingerprint)
                throw new InvalidDataException($"{path}: written by a run with other settings ({saved}); resume with the same settings, or remove the checkpoint folder");
            var progress = JsonSerializer.Deserialize<JobResult>(reader.ReadString(), RunResults.Json)
                ?? throw new InvalidDataException($"{path}: empty progress record");
            model.load(reader);
            optimizer.load_state_dict(reader);
            return progress;
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path}: truncated checkpoint; remove it to restart this variant", e);
        }
    }
}
