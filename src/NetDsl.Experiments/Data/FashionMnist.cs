using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using static System.FormattableString;

namespace NetDsl.Experiments.Data;

/// <summary>Grey images with class labels, kept as bytes (28x28 Fashion-MNIST: 784 bytes per image).</summary>
/// <param name="Pixels">Row-major pixels <c>[N, H, W]</c>, 0 to 255.</param>
/// <param name="Labels">Class index per image, <c>[N]</c>, 0 to 9.</param>
/// <param name="Height">Image height in pixels.</param>
/// <param name="Width">Image width in pixels.</param>
public sealed record ImageSet(byte[] Pixels, byte[] Labels, int Height, int Width)
{
    /// <summary>Number of images N.</summary>
    public int Count => Labels.Length;

    /// <summary>The images at <paramref name="indices"/>, in that order.</summary>
    public ImageSet Select(IReadOnlyList<int> indices)
    {
        var size = Height * Width;
        var pixels = new byte[indices.Count * size];
        var labels = new byte[indices.Count];
        for (var i = 0; i < indices.Count; i++)
        {
            Array.Copy(Pixels, (long)indices[i] * size, pixels, (long)i * size, size);
            labels[i] = Labels[indices[i]];
        }
        return new ImageSet(pixels, labels, Height, Width);
    }

    /// <summary>The first <paramref name="count"/> images (all when <paramref name="count"/> is null or not smaller than N).</summary>
    public ImageSet Take(int? count) => count is { } n && n < Count ? Select(Enumerable.Range(0, n).ToArray()) : this;
}

/// <summary>A training split and a held-out test split, and where they came from.</summary>
/// <param name="Train">Training images.</param>
/// <param name="Test">Held-out images for evaluation (never trained on).</param>
/// <param name="Folder">The folder the IDX files were read from.</param>
/// <param name="Origin">How the folder was chosen: <c>--data</c>, the environment variable, Debian's package or the bundled copy.</param>
/// <param name="Split">How train and test were formed, with the image counts actually read (<c>training and test files: 60,000 training /
/// 10,000 test images (the standard split)</c>, or the test files cut 8,000 / the rest).</param>
/// <param name="Kind">Which dataset the files are (class names, title).</param>
public sealed record Dataset(ImageSet Train, ImageSet Test, string Folder, string Origin, string Split, ImageDataset Kind)
{
    /// <summary>The same images and folder as Fashion-MNIST (for callers that build one by hand).</summary>
    public Dataset(ImageSet train, ImageSet test, string folder, string origin, string split) : this(train, test, folder, origin, split, ImageDataset.FashionMnist) { }
}

/// <summary>
/// A dataset of 28x28 grey images in 10 classes, in the standard IDX files (<c>train-images-idx3-ubyte[.gz]</c>,
/// <c>train-labels-idx1-ubyte[.gz]</c>, <c>t10k-images-idx3-ubyte[.gz]</c>, <c>t10k-labels-idx1-ubyte[.gz]</c>): what <c>compare</c>
/// trains on (<c>--dataset</c>).
/// </summary>
/// <param name="Name">Command-line name (<c>fashion-mnist</c>, <c>mnist</c>).</param>
/// <param name="Title">Human name for reports.</param>
/// <param name="ClassNames">The class names by label (10).</param>
/// <param name="EnvironmentVariable">Environment variable naming a folder with the files, consulted after <c>--data</c>.</param>
/// <param name="DebianFolder">Where a Debian package installs it, or null.</param>
public sealed record ImageDataset(string Name, string Title, IReadOnlyList<string> ClassNames, string EnvironmentVariable, string? DebianFolder)
{
    /// <summary>Fashion-MNIST (Xiao et al. 2017), the default: 10 kinds of clothing.</summary>
    public static readonly ImageDataset FashionMnist = new("fashion-mnist", "Fashion-MNIST", Data.FashionMnist.ClassNames, Data.FashionMnist.EnvironmentVariable, Data.FashionMnist.DebianFolder);

    /// <summary>MNIST (LeCun et al. 1998): handwritten digits 0 to 9.</summary>
    public static readonly ImageDataset Mnist = new("mnist", "MNIST", ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"], "NETDSL_MNIST", null);

    /// <summary>Every dataset <c>compare --dataset</c> takes.</summary>
    public static IReadOnlyList<ImageDataset> All { get; } = [FashionMnist, Mnist];

    /// <summary>The dataset named <paramref name="name"/> (ignoring case), or null.</summary>
    public static ImageDataset? Find(string name) => All.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// Fashion-MNIST (Xiao et al. 2017): 28x28 grey images of 10 kinds of clothing, in the standard IDX files
/// (<c>train-images-idx3-ubyte[.gz]</c>, <c>train-labels-idx1-ubyte[.gz]</c>, <c>t10k-images-idx3-ubyte[.gz]</c>,
/// <c>t10k-labels-idx1-ubyte[.gz]</c>).
/// </summary>
public static class FashionMnist
{
    /// <summary>Environment variable naming a folder with the IDX files; consulted after <c>--data</c>.</summary>
    public const string EnvironmentVariable = "NETDSL_FASHION_MNIST";

    /// <summary>Where Debian's package <c>dataset-fashion-mnist</c> installs the full dataset.</summary>
    public const string DebianFolder = "/usr/share/datasets/fashion-mnist";

    /// <summary>Images in Fashion-MNIST's training files.</summary>
    public const int StandardTrainCount = 60_000;

    /// <summary>Images in Fashion-MNIST's test files.</summary>
    public const int StandardTestCount = 10_000;

    /// <summary>Training images taken from the bundled 10,000-image test split when it is all there is; the rest is the test set.</summary>
    public const int BundledTrainCount = 8000;

    /// <summary>The class names, by label.</summary>
    public static readonly string[] ClassNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>The bundled copy of the test split, next to the tool (<c>data/fashion-mnist</c>).</summary>
    public static string BundledFolder => Path.Combine(AppContext.BaseDirectory, "data", "fashion-mnist");

    /// <summary>
    /// Chooses the data folder: <paramref name="option"/> if given, else <see cref="EnvironmentVariable"/>, else the folder
    /// <c>netdsl data fetch fashion-mnist</c> fills (<see cref="Fetch.DefaultFolder"/>) or <see cref="DebianFolder"/> when it holds
    /// the files, else <see cref="BundledFolder"/>.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder named by the option or the environment variable does not exist,
    /// or no folder was found at all.</exception>
    public static (string Folder, string Origin) Locate(string? option) => Locate(option, ImageDataset.FashionMnist);

    /// <summary>As <see cref="Locate(string?)"/> for <paramref name="kind"/>: its environment variable, its <c>data fetch</c> folder,
    /// its Debian folder; the bundled copy only for Fashion-MNIST.</summary>
    /// <exception cref="DirectoryNotFoundException">As <see cref="Locate(string?)"/>.</exception>
    public static (string Folder, string Origin) Locate(string? option, ImageDataset kind)
    {
        if (!string.IsNullOrEmpty(option))
            return Directory.Exists(option) ? (option, "--data")
                : throw new DirectoryNotFoundException($"data folder '{option}' does not exist; pass a folder with the {kind.Title} IDX files, or leave --data out to use ${kind.EnvironmentVariable}, `netdsl data fetch {kind.Name}`'s folder" +
                                                       (kind == ImageDataset.FashionMnist ? $", {DebianFolder} or the bundled copy" : ""));
        var fromEnvironment = Environment.GetEnvironmentVariable(kind.EnvironmentVariable);
        if (!string.IsNullOrEmpty(fromEnvironment))
            return Directory.Exists(fromEnvironment) ? (fromEnvironment, kind.EnvironmentVariable)
                : throw new DirectoryNotFoundException($"{kind.EnvironmentVariable}='{fromEnvironment}' does not exist; fix or unset the variable");
        var fetched = Fetch.DefaultFolder(kind.Name);
        if (Find(fetched, "t10k-images-idx3-ubyte") is not null) return (fetched, $"netdsl data fetch {kind.Name}");
        if (kind.DebianFolder is { } debian && Find(debian, "t10k-images-idx3-ubyte") is not null) return (debian, $"Debian package dataset-{kind.Name}");
        if (kind == ImageDataset.FashionMnist && Directory.Exists(BundledFolder)) return (BundledFolder, "bundled test split");
        throw new DirectoryNotFoundException($"no {kind.Title} found: run `netdsl data fetch {kind.Name}`, pass --data, or set {kind.EnvironmentVariable}" +
                                             (kind == ImageDataset.FashionMnist ? ", or install Debian's dataset-fashion-mnist" : ""));
    }

    /// <summary>
    /// Loads the dataset from the folder <see cref="Locate(string?)"/> picks. With the training files present, they train and the test files
    /// test (<see cref="Dataset.Split"/> gives the counts read, and says "the standard split" only for 60,000 / 10,000); with only the test split (the bundled copy), its first <see cref="BundledTrainCount"/> images train
    /// and the remaining 2,000 test (the files are already shuffled, so both halves hold every class).
    /// </summary>
    /// <param name="option">The <c>--data</c> folder, or null.</param>
    /// <exception cref="DirectoryNotFoundException">See <see cref="Locate(string?)"/>.</exception>
    /// <exception cref="FileNotFoundException">The folder lacks the test split files.</exception>
    /// <exception cref="InvalidDataException">A file is corrupt or truncated, image and label counts differ, or images are not 28x28.</exception>
    public static Dataset Load(string? option) => Load(option, ImageDataset.FashionMnist);

    /// <summary>As <see cref="Load(string?)"/> for <paramref name="kind"/> (the same files and rules; its class names).</summary>
    /// <exception cref="DirectoryNotFoundException">See <see cref="Locate(string?, ImageDataset)"/>.</exception>
    /// <exception cref="FileNotFoundException">The folder lacks the test split files.</exception>
    /// <exception cref="InvalidDataException">A file is corrupt or truncated, image and label counts differ, or images are not 28x28.</exception>
    public static Dataset Load(string? option, ImageDataset kind)
    {
        var (folder, origin) = Locate(option, kind);
        var test = ReadPair(folder, "t10k");
        if (Find(folder, "train-images-idx3-ubyte") is not null)
        {
            var images = ReadPair(folder, "train");
            return new Dataset(images, test, folder, origin, Invariant($"training and test files: {images.Count:N0} training / {test.Count:N0} test images") +
                (images.Count == StandardTrainCount && test.Count == StandardTestCount ? " (the standard split)" : ""), kind);
        }
        if (test.Count <= BundledTrainCount)
            throw new InvalidDataException(Invariant($"{folder}: only {test.Count:N0} test images and no training files; need the training files or more than {BundledTrainCount:N0} test images (the full split has 10,000)"));
        var train = test.Select(Enumerable.Range(0, BundledTrainCount).ToArray());
        var held = test.Select(Enumerable.Range(BundledTrainCount, test.Count - BundledTrainCount).ToArray());
        return new Dataset(train, held, folder, origin, Invariant($"test files only ({test.Count:N0} images): the first {BundledTrainCount:N0} train, the other {held.Count:N0} test"), kind);
    }

    /// <summary>Reads one split (<c>train</c> or <c>t10k</c>) from <paramref name="folder"/>.</summary>
    /// <exception cref="FileNotFoundException">The image or label file is missing (raw or .gz).</exception>
    /// <exception cref="InvalidDataException">A corrupt file, or image and label counts that differ.</exception>
    public static ImageSet ReadPair(string folder, string split)
    {
        var imagesPath = Find(folder, $"{split}-images-idx3-ubyte")
            ?? throw new FileNotFoundException($"{folder}: no {split}-images-idx3-ubyte[.gz]; the folder must hold the Fashion-MNIST IDX files");
        var labelsPath = Find(folder, $"{split}-labels-idx1-ubyte")
            ?? throw new FileNotFoundException($"{folder}: no {split}-labels-idx1-ubyte[.gz]; the folder must hold the Fashion-MNIST IDX files");
        var (pixels, count, height, width) = Idx.ReadImages(imagesPath);
        if (height != 28 || width != 28)
            throw new InvalidDataException($"{imagesPath}: images are {height}x{width}; Fashion-MNIST images are 28x28");
        var labels = Idx.ReadLabels(labelsPath);
        if (labels.Length != count)
            throw new InvalidDataException($"{labelsPath}: wrong count: {labels.Length} labels for {count} images in {Path.GetFileName(imagesPath)}");
        var bad = Array.FindIndex(labels, l => l > 9);
        if (bad >= 0) throw new InvalidDataException($"{labelsPath}: label {labels[bad]} at index {bad}; Fashion-MNIST labels are 0 to 9");
        return new ImageSet(pixels, labels, height, width);
    }

    static string? Find(string folder, string name)
    {
        foreach (var candidate in new[] { name, name + ".gz" })
        {
            var path = Path.Combine(folder, candidate);
            if (File.Exists(path)) return path;
        }
        return null;
    }
}
