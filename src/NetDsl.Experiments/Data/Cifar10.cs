using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using static System.FormattableString;

namespace NetDsl.Experiments.Data;

/// <summary>
/// CIFAR-10 (Krizhevsky 2009) in its binary format, the dataset of He et al. 2015/2016's CIFAR experiments: 32x32 colour images in
/// 10 classes, 50,000 for training in five files <c>data_batch_1.bin</c> .. <c>data_batch_5.bin</c> and 10,000 for testing in
/// <c>test_batch.bin</c> (the folder <c>cifar-10-batches-bin</c> of the official <c>cifar-10-binary.tar.gz</c>). Each file is a sequence of
/// 3,073-byte records: 1 label byte (0 to 9), then 3,072 pixel bytes, the 1,024 red, then 1,024 green, then 1,024 blue values of the
/// 32x32 image, each plane row-major. <c>batches.meta.txt</c> names the classes, one per line, by label.
/// </summary>
public static class Cifar10
{
    /// <summary>Image side in pixels.</summary>
    public const int Side = 32;

    /// <summary>Colour channels: red, green, blue, in this order in every record.</summary>
    public const int Channels = 3;

    /// <summary>Bytes of one record: the label, then C x H x W = 3,072 pixels.</summary>
    public const int RecordSize = 1 + Channels * Side * Side;

    /// <summary>Images in the five official training files together.</summary>
    public const int StandardTrainCount = 50_000;

    /// <summary>Images in the official test file.</summary>
    public const int StandardTestCount = 10_000;

    /// <summary>The archive's folder, which <see cref="Read"/> also looks into when given its parent.</summary>
    public const string ArchiveFolder = "cifar-10-batches-bin";

    /// <summary>The training files, in the order their images are read.</summary>
    public static readonly string[] TrainFiles = ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"];

    /// <summary>The test file.</summary>
    public const string TestFile = "test_batch.bin";

    /// <summary>The file naming the classes, one per line, by label.</summary>
    public const string MetaFile = "batches.meta.txt";

    /// <summary>The class names, by label (as <c>batches.meta.txt</c> gives them).</summary>
    public static readonly string[] ClassNames = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    /// <summary>
    /// The folder that holds the files: <paramref name="folder"/> itself, or its <c>cifar-10-batches-bin</c> subfolder (the archive
    /// unpacked as it is) when only that one holds <c>test_batch.bin</c>.
    /// </summary>
    public static string FilesFolder(string folder) =>
        !File.Exists(Path.Combine(folder, TestFile)) && File.Exists(Path.Combine(folder, ArchiveFolder, TestFile)) ? Path.Combine(folder, ArchiveFolder) : folder;

    /// <summary>True when <paramref name="folder"/> (or its <c>cifar-10-batches-bin</c>) holds <c>test_batch.bin</c>.</summary>
    public static bool IsThere(string folder) => File.Exists(Path.Combine(FilesFolder(folder), TestFile));

    /// <summary>
    /// Reads the training split (the five files, in order) and the test split of <paramref name="folder"/> (or of its
    /// <c>cifar-10-batches-bin</c> subfolder), and the class names of <c>batches.meta.txt</c> (the standard ones without it).
    /// </summary>
    /// <returns>Images <c>[N, 3, 32, 32]</c> (channels R, G, B) and labels, and the class names by label.</returns>
    /// <exception cref="FileNotFoundException">A batch file is missing (the message lists every missing one).</exception>
    /// <exception cref="InvalidDataException">A file whose size is not a whole number of 3,073-byte records, an empty file, a label
    /// above 9, or a <c>batches.meta.txt</c> that does not name 10 classes; the message names the file and the fix.</exception>
    public static (ImageSet Train, ImageSet Test, IReadOnlyList<string> ClassNames, string Folder) Read(string folder)
    {
        var files = FilesFolder(folder);
        var missing = TrainFiles.Append(TestFile).Where(f => !File.Exists(Path.Combine(files, f))).ToList();
        if (missing.Count > 0)
            throw new FileNotFoundException($"{files}: no {string.Join(", ", missing)}; a CIFAR-10 folder holds data_batch_1.bin to data_batch_5.bin and test_batch.bin " +
                                            "(the folder cifar-10-batches-bin of cifar-10-binary.tar.gz; `netdsl data fetch cifar10` downloads it)");
        var train = ReadFiles(TrainFiles.Select(f => Path.Combine(files, f)).ToList());
        var test = ReadFiles([Path.Combine(files, TestFile)]);
        return (train, test, ReadClassNames(files), files);
    }

    /// <summary>Reads and concatenates batch files of 3,073-byte records.</summary>
    /// <exception cref="InvalidDataException">As <see cref="Read"/>.</exception>
    public static ImageSet ReadFiles(IReadOnlyList<string> paths)
    {
        const int pixels = RecordSize - 1;
        var counts = new long[paths.Count];
        for (var i = 0; i < paths.Count; i++)
        {
            var length = new FileInfo(paths[i]).Length;
            if (length == 0) throw new InvalidDataException($"{paths[i]}: the file is empty; a CIFAR-10 batch holds 3,073-byte records (download it again)");
            if (length % RecordSize != 0)
                throw new InvalidDataException(Invariant($"{paths[i]}: {length:N0} bytes is not a whole number of {RecordSize:N0}-byte records (1 label + 3,072 pixels); ") +
                    Invariant($"the file is truncated or not a CIFAR-10 binary batch ({length / RecordSize:N0} records and {length % RecordSize:N0} bytes over; CIFAR-100's records are 3,074 bytes)"));
            counts[i] = length / RecordSize;
        }
        var total = counts.Sum();
        if (total * pixels > Array.MaxLength)
            throw new InvalidDataException(Invariant($"{total:N0} CIFAR-10 records are more than this reader holds in memory ({Array.MaxLength / pixels:N0})"));
        var image = new byte[total * pixels];
        var labels = new byte[total];
        long n = 0;
        var record = new byte[RecordSize];
        foreach (var path in paths)
        {
            using var stream = new BufferedStream(File.OpenRead(path), 1 << 20);
            for (long k = 0; ; k++)
            {
                var read = stream.ReadAtLeast(record, RecordSize, throwOnEndOfStream: false);
                if (read == 0) break;
                if (read < RecordSize) throw new InvalidDataException(Invariant($"{path}: short read in record {k} (the file changed while it was read)"));
                if (record[0] > 9)
                    throw new InvalidDataException(Invariant($"{path}: label {record[0]} in record {k} (byte offset {k * RecordSize:N0}); CIFAR-10 labels are 0 to 9 (is this CIFAR-100's binary format, or another file?)"));
                labels[n] = record[0];
                Array.Copy(record, 1, image, n * pixels, pixels);
                n++;
            }
        }
        return new ImageSet(image, labels, Side, Side, Channels);
    }

    /// <summary>The class names of <c>batches.meta.txt</c> in <paramref name="folder"/> (10 non-empty lines; blank lines at the end
    /// are ignored), or <see cref="ClassNames"/> when the file is not there.</summary>
    /// <exception cref="InvalidDataException">The file does not name 10 classes.</exception>
    public static IReadOnlyList<string> ReadClassNames(string folder)
    {
        var path = Path.Combine(folder, MetaFile);
        if (!File.Exists(path)) return ClassNames;
        var names = File.ReadAllLines(path).Select(l => l.Trim()).ToList();
        while (names.Count > 0 && names[^1].Length == 0) names.RemoveAt(names.Count - 1);
        if (names.Count != 10 || names.Any(n => n.Length == 0))
            throw new InvalidDataException($"{path}: {names.Count} line(s) ({string.Join(", ", names.Take(12).Select(n => $"'{n}'"))}); CIFAR-10's batches.meta.txt names 10 classes, one per line: restore the file or remove it (the standard names are used without it)");
        return names;
    }
}
