using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using NetDsl.Experiments.Results;
using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace NetDsl.Experiments.Training;

/// <summary>
/// A training checkpoint of one job: what was measured so far (as JSON), where an epoch stopped early (a stop signal ends
/// an epoch after its current step), the weights and buffers (TorchSharp's format), the SGD momentum buffers and LibTorch's
/// random state. Written atomically: to a temporary file in the same folder, flushed to disk, then renamed over the previous
/// checkpoint, so a run killed mid-write leaves the previous one intact.
/// </summary>
public static class Checkpoint
{
    const string Magic = "NETDSL-CHECKPOINT-2";
    // Format 1 (before stops mid-epoch): no position and no random state; still read.
    const string MagicV1 = "NETDSL-CHECKPOINT-1";

    /// <summary>Writes the checkpoint atomically.</summary>
    /// <param name="path">The checkpoint file (replaced if present).</param>
    /// <param name="fingerprint">Identifies experiment, variant, seed and settings; a resume must match it.</param>
    /// <param name="progress">Measurements so far (epochs completed = <c>progress.Epochs.Count</c>).</param>
    /// <param name="model">The model.</param>
    /// <param name="optimizer">Its optimizer.</param>
    /// <param name="position">Where the next epoch stopped early (<see cref="Trainer.Stopped"/>), or null at an epoch's end.</param>
    /// <exception cref="IOException">The folder is not writable.</exception>
    public static void Save(string path, string fingerprint, JobResult progress, nn.Module model, SGD optimizer, EpochPosition? position = null) =>
        WriteAtomically(path, writer =>
        {
            writer.Write(Magic);
            writer.Write(fingerprint);
            writer.Write(JsonSerializer.Serialize(progress, RunResults.Json));
            writer.Write(position is null ? "" : JsonSerializer.Serialize(position, RunResults.Json));
            using (var state = torch.random.get_rng_state())
            {
                var bytes = state.data<byte>().ToArray();
                writer.Write(bytes.Length);
                writer.Write(bytes);
            }
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
    public static JobResult? Load(string path, string fingerprint, nn.Module model, SGD optimizer) => Load(path, fingerprint, model, optimizer, out _);

    /// <summary>How far a checkpoint's job got (epochs finished, and where an epoch stopped early), without loading any weights;
    /// null when the file is missing or unreadable.</summary>
    public static (JobResult Progress, EpochPosition? Position)? Peek(string path)
    {
        try
        {
            using var reader = new BinaryReader(File.OpenRead(path));
            var magic = reader.ReadString();
            if (magic != Magic && magic != MagicV1) return null;
            reader.ReadString();
            var progress = JsonSerializer.Deserialize<JobResult>(reader.ReadString(), RunResults.Json);
            var at = magic == Magic ? reader.ReadString() : "";
            return progress is null ? null : (progress, at.Length == 0 ? null : JsonSerializer.Deserialize<EpochPosition>(at, RunResults.Json));
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>
    /// Restores a checkpoint into <paramref name="model"/>, <paramref name="optimizer"/> and LibTorch's random state, and says
    /// where an epoch stopped early (pass it to <see cref="Trainer.ResumeAt"/>).
    /// </summary>
    /// <returns>The measurements so far, or null when there is no checkpoint at <paramref name="path"/>.</returns>
    /// <exception cref="InvalidDataException">The file is not a checkpoint, or it was written for other settings (the fingerprint differs).</exception>
    public static JobResult? Load(string path, string fingerprint, nn.Module model, SGD optimizer, out EpochPosition? position)
    {
        position = null;
        if (!File.Exists(path)) return null;
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        try
        {
            var magic = reader.ReadString();
            if (magic != Magic && magic != MagicV1) throw new InvalidDataException($"{path}: not a netdsl checkpoint");
            var saved = reader.ReadString();
            if (saved != fingerprint)
                throw new InvalidDataException($"{path}: written by a run with other settings ({saved}); resume with the same settings, or remove the checkpoint folder");
            var progress = JsonSerializer.Deserialize<JobResult>(reader.ReadString(), RunResults.Json)
                ?? throw new InvalidDataException($"{path}: empty progress record");
            byte[]? random = null;
            if (magic == Magic)
            {
                var at = reader.ReadString();
                position = at.Length == 0 ? null : JsonSerializer.Deserialize<EpochPosition>(at, RunResults.Json);
                random = reader.ReadBytes(reader.ReadInt32());
            }
            model.load(reader);
            optimizer.load_state_dict(reader);
            if (random is { Length: > 0 })
                using (var state = torch.tensor(random, dtype: ScalarType.Byte))
                    torch.random.set_rng_state(state);
            return progress;
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path}: truncated checkpoint; remove it to restart this job", e);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: corrupt checkpoint ({e.Message.Split('.')[0]}); remove it to restart this job", e);
        }
    }
}
