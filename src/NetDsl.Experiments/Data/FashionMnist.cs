using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using static System.FormattableString;

namespace NetDsl.Experiments.Data;

/// <summary>Images with class labels, kept as bytes: <c>[N, C, H, W]</c> (28x28 Fashion-MNIST: C = 1, 784 bytes per image;
/// CIFAR-10: C = 3 (red, green, blue planes), 3,072 bytes per image).</summary>
/// <param name="Pixels">Pixels <c>[N, C, H, W]</c>, 0 to 255: image by image, channel by channel, each channel row-major.</param>
/// <param name="Labels">Class index per image, <c>[N]</c>.</param>
/// <param name="Height">Image height in pixels.</param>
/// <param name="Width">Image width in pixels.</param>
/// <param name="Channels">Channels C: 1 for grey images (the default), 3 for colour (R, G, B).</param>
public sealed record ImageSet(byte[] Pixels, byte[] Labels, int Height, int Width, int Channels = 1)
{
    /// <summary>Number of images N.</summary>
    public int Count => Labels.Length;

    /// <summary>Bytes per image: C x H x W.</summary>
    public int ImageSize => Channels * Height * Width;

    /// <summary>The per-sample shape <c>[C, H, W]</c>, as a network's <c>[Input]</c> declares it.</summary>
    public long[] Shape => [Channels, Height, Width];

    /// <summary>The images at <paramref name="indices"/>, in that order.</summary>
    public ImageSet Select(IReadOnlyList<int> indices)
    {
        var size = ImageSize;
        var pixels = new byte[indices.Count * size];
        var labels = new byte[indices.Count];
        for (var i = 0; i < indices.Count; i++)
        {
            Array.Copy(Pixels, (long)indices[i] * size, pixels, (long)i * size, size);
            labels[i] = Labels[indices[i]];
        }
        return new ImageSet(pixels, labels, Height, Width, Channels);
    }

    /// <summary>The first <paramref name="count"/> images (all when <paramref name="count"/> is null or not smaller than N).</summary>
    public ImageSet Take(int? count) => count is { } n && n < Count ? Select(Enumerable.Range(0, n).ToArray()) : this;
}

/// <summary>A training split and a held-out test split, and where they came from.</summary>
/// <param name="Train">Training images.</param>
/// <param name="Test">Held-out images for evaluation (never trained on).</param>
/// <param name="Folder">The folder the files were read from.</param>
/// <param name="Origin">How the folder was chosen: <c>--data</c>, the environment variable, Debian's package or the bundled copy.</param>
/// <param name="Split">How train and test were formed, with the image counts actually read (<c>training and test files: 60,000 training /
/// 10,000 test images (the standard split)</c>, or the test files cut 8,000 / the rest).</param>
/// <param name="Kind">Which dataset the files are (class names, title).</param>
public sealed record Dataset(ImageSet Train, ImageSet Test, string Folder, string Origin, string Split, ImageDataset Kind)
{
    /// <summary>The same images and folder as Fashion-MNIST (for callers that build one by hand).</summary>
    public Dataset(ImageSet train, ImageSet test, string folder, string origin, string split) : this(train, test, folder, origin, split, ImageDataset.FashionMnist) { }

    /// <summary>The class names by label: the dataset's (<see cref="ImageDataset.ClassNames"/>), or those read with the files (a
    /// folder per class, <c>batches.meta.txt</c>, the labels of a user's IDX files).</summary>
    public IReadOnlyList<string> ClassNames { get; init; } = Kind.ClassNames;

    /// <summary>The per-sample shape <c>[C, H, W]</c> of the images, which a network's <c>[Input]</c> must declare.</summary>
    public long[] Shape => Train.Shape;

    /// <summary>The images' shape and classes, for checking that a network fits (<see cref="DataShape.Problem"/>).</summary>
    public DataShape Fit => new(Kind.Title, Shape, ClassNames.Count) { Images = Kind.Images };
}

/// <summary>How a dataset's files are laid out.</summary>
public enum DataFormat
{
    /// <summary>IDX files (MNIST's format): <c>train-images-idx3-ubyte[.gz]</c>, <c>train-labels-idx1-ubyte[.gz]</c>,
    /// <c>t10k-images-idx3-ubyte[.gz]</c>, <c>t10k-labels-idx1-ubyte[.gz]</c>; grey images.</summary>
    Idx,
    /// <summary>CIFAR-10's binary batches (<see cref="Cifar10"/>).</summary>
    Cifar10Binary,
    /// <summary>A folder of images per class (<see cref="ImageFolder"/>).</summary>
    ImageFolder,
}

/// <summary>
/// A dataset <c>compare</c> trains on (<c>--dataset</c>): its files' format, its classes and, when the dataset fixes it, its image shape.
/// </summary>
/// <param name="Name">Command-line name (<c>fashion-mnist</c>, <c>mnist</c>, <c>cifar10</c>, <c>idx</c>, <c>folder</c>).</param>
/// <param name="Title">Human name for reports.</param>
/// <param name="ClassNames">The class names by label; empty when the files give them (a user's data).</param>
/// <param name="EnvironmentVariable">Environment variable naming a folder with the files, consulted after <c>--data</c>.</param>
/// <param name="DebianFolder">Where a Debian package installs it, or null.</param>
public sealed record ImageDataset(string Name, string Title, IReadOnlyList<string> ClassNames, string EnvironmentVariable, string? DebianFolder)
{
    /// <summary>How the files are laid out (IDX by default).</summary>
    public DataFormat Format { get; init; } = DataFormat.Idx;

    /// <summary>The per-sample shape <c>[C, H, W]</c> every copy of this dataset has (<c>[1, 28, 28]</c>, <c>[3, 32, 32]</c>), known
    /// before any file is read; null for a user's data, whose shape comes from its files.</summary>
    public long[]? Shape { get; init; } = [1, 28, 28];

    /// <summary>True when <c>netdsl data fetch</c> downloads it (the official datasets; not a user's own).</summary>
    public bool Fetchable { get; init; } = true;

    /// <summary>What the folder must hold, for messages (<c>the Fashion-MNIST IDX files</c>).</summary>
    public string Files => Format switch
    {
        DataFormat.Cifar10Binary => $"the {Title} binary files (data_batch_1.bin to data_batch_5.bin, test_batch.bin)",
        DataFormat.ImageFolder => "train/<class>/ and test/<class>/ folders of images",
        _ when Shape is null => "IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; raw or .gz)",
        _ => $"the {Title} IDX files",
    };

    /// <summary>The shape and classes known before reading (<see cref="Shape"/>, <see cref="ClassNames"/>), or null for a user's data.</summary>
    public DataShape? Fit => Shape is { } shape ? new DataShape(Title, shape, ClassNames.Count) : null;

    /// <summary>The images, in messages: <c>CIFAR-10 images</c>, <c>the images of your folder</c>.</summary>
    public string Images => Format == DataFormat.ImageFolder ? "the images of your folder" : Shape is null ? "the images of your IDX files" : $"{Title} images";

    /// <summary>Fashion-MNIST (Xiao et al. 2017), the default: 10 kinds of clothing.</summary>
    public static readonly ImageDataset FashionMnist = new("fashion-mnist", "Fashion-MNIST", Data.FashionMnist.ClassNames, Data.FashionMnist.EnvironmentVariable, Data.FashionMnist.DebianFolder);

    /// <summary>MNIST (LeCun et al. 1998): handwritten digits 0 to 9.</summary>
    public static readonly ImageDataset Mnist = new("mnist", "MNIST", ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"], "NETDSL_MNIST", null);

    /// <summary>CIFAR-10 (Krizhevsky 2009) in its binary format: 32x32 colour images in 10 classes, 50,000 / 10,000 (<see cref="Data.Cifar10"/>).</summary>
    public static readonly ImageDataset Cifar10 = new("cifar10", "CIFAR-10", Data.Cifar10.ClassNames, "NETDSL_CIFAR10", null)
    {
        Format = DataFormat.Cifar10Binary,
        Shape = [Data.Cifar10.Channels, Data.Cifar10.Side, Data.Cifar10.Side],
    };

    /// <summary>A user's own IDX files (MNIST's format) of any image size; classes are the labels 0 to the largest label found.</summary>
    public static readonly ImageDataset Idx = new("idx", "your IDX files", [], "NETDSL_IDX", null) { Shape = null, Fetchable = false };

    /// <summary>A user's own images in a folder per class (<see cref="ImageFolder"/>).</summary>
    public static readonly ImageDataset Folder = new("folder", "your image folder", [], "NETDSL_IMAGE_FOLDER", null)
    {
        Format = DataFormat.ImageFolder,
        Shape = null,
        Fetchable = false,
    };

    /// <summary>Every dataset <c>compare --dataset</c> takes.</summary>
    public static IReadOnlyList<ImageDataset> All { get; } = [FashionMnist, Mnist, Cifar10, Idx, Folder];

    /// <summary>The dataset named <paramref name="name"/> (ignoring case), or null.</summary>
    public static ImageDataset? Find(string name) => All.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase));
}

/// <summary>What a network must take and give to train on a dataset: the per-sample image shape and the number of classes.</summary>
/// <param name="Title">The dataset's name, for messages.</param>
/// <param name="Input">Per-sample shape <c>[C, H, W]</c>.</param>
/// <param name="Classes">Number of classes: the network's output size.</param>
public sealed record DataShape(string Title, long[] Input, int Classes)
{
    /// <summary>The images, in messages (<c>CIFAR-10 images</c>, <c>the images of your folder</c>).</summary>
    public string Images { get; init; } = $"{Title} images";

    /// <summary>Why <paramref name="variant"/> cannot train on this data (its <c>[Input]</c> or its output size), or null when it fits.
    /// <paramref name="builtIn"/> names the fix for a built-in experiment (compare your own network) instead of "declare [Input(...)]".</summary>
    public string? Problem(VariantInfo variant, bool builtIn = false)
    {
        var input = variant.Summary.InputShape;
        var shape = $"[{string.Join(", ", Input)}]";
        if (!input.SequenceEqual(Input))
            return builtIn
                ? $"{variant.Name} takes input [{string.Join(", ", input)}] per sample; {Images} are {shape}: the built-in experiments' networks are declared for 28x28 grey images. " +
                  $"Compare your own network declared with [Input({string.Join(", ", Input)})] (--assembly or --project, see the README's \"Compare your own networks\"), or use --dataset fashion-mnist or mnist"
                : $"{variant.Name} takes input [{string.Join(", ", input)}] per sample; {Images} are {shape}: declare [Input({string.Join(", ", Input)})]";
        if (!variant.Summary.OutputShape.SequenceEqual([(long)Classes]))
            return $"{variant.Name} outputs [{string.Join(", ", variant.Summary.OutputShape)}] per sample; {Title} has {Classes} classes: end the network with [Linear({Classes})] (after a flatten or global pooling)";
        return null;
    }
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
    /// its Debian folder; the bundled copy only for Fashion-MNIST. A user's data (<see cref="ImageDataset.Fetchable"/> false) comes
    /// from <c>--data</c> or the environment variable only.</summary>
    /// <exception cref="DirectoryNotFoundException">As <see cref="Locate(string?)"/>.</exception>
    public static (string Folder, string Origin) Locate(string? option, ImageDataset kind)
    {
        if (!string.IsNullOrEmpty(option))
            return Directory.Exists(option) ? (option, "--data")
                : throw new DirectoryNotFoundException($"data folder '{option}' does not exist; pass a folder with {kind.Files}" +
                                                       (kind.Fetchable ? $", or leave --data out to use ${kind.EnvironmentVariable}, `netdsl data fetch {kind.Name}`'s folder" +
                                                                         (kind == ImageDataset.FashionMnist ? $", {DebianFolder} or the bundled copy" : "") : ""));
        var fromEnvironment = Environment.GetEnvironmentVariable(kind.EnvironmentVariable);
        if (!string.IsNullOrEmpty(fromEnvironment))
            return Directory.Exists(fromEnvironment) ? (fromEnvironment, kind.EnvironmentVariable)
                : throw new DirectoryNotFoundException($"{kind.EnvironmentVariable}='{fromEnvironment}' does not exist; fix or unset the variable");
        if (!kind.Fetchable)
            throw new DirectoryNotFoundException($"--dataset {kind.Name} reads your own data: pass --data <folder> with {kind.Files}, or set {kind.EnvironmentVariable}");
        var fetched = Fetch.DefaultFolder(kind.Name);
        if (Holds(fetched, kind)) return (fetched, $"netdsl data fetch {kind.Name}");
        if (kind.DebianFolder is { } debian && Holds(debian, kind)) return (debian, $"Debian package dataset-{kind.Name}");
        if (kind == ImageDataset.FashionMnist && Directory.Exists(BundledFolder)) return (BundledFolder, "bundled test split");
        throw new DirectoryNotFoundException($"no {kind.Title} found: run `netdsl data fetch {kind.Name}`, pass --data, or set {kind.EnvironmentVariable}" +
                                             (kind == ImageDataset.FashionMnist ? ", or install Debian's dataset-fashion-mnist" : ""));
    }

    /// <summary>True when <paramref name="folder"/> holds <paramref name="kind"/>'s test files.</summary>
    static bool Holds(string folder, ImageDataset kind) => kind.Format switch
    {
        DataFormat.Cifar10Binary => Data.Cifar10.IsThere(folder),
        DataFormat.ImageFolder => ImageFolder.IsThere(folder),
        _ => Find(folder, "t10k-images-idx3-ubyte") is not null,
    };

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

    /// <summary>
    /// As <see cref="Load(string?)"/> for <paramref name="kind"/>: the IDX datasets with the same files and rules (a user's IDX files
    /// (<see cref="ImageDataset.Idx"/>) of any image size, both splits required, classes 0 to the largest label), CIFAR-10's binary
    /// batches (<see cref="Data.Cifar10.Read"/>), or a folder of images per class (<see cref="ImageFolder.Read"/>).
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">See <see cref="Locate(string?, ImageDataset)"/>; an image folder without <c>train</c> or <c>test</c>.</exception>
    /// <exception cref="FileNotFoundException">The folder lacks files of the dataset.</exception>
    /// <exception cref="InvalidDataException">A file is corrupt or truncated, image and label counts differ, images that are not the
    /// dataset's size (28x28 for Fashion-MNIST and MNIST; one size for a user's data), a label outside the dataset's classes.</exception>
    public static Dataset Load(string? option, ImageDataset kind)
    {
        var (folder, origin) = Locate(option, kind);
        switch (kind.Format)
        {
            case DataFormat.Cifar10Binary:
            {
                var (train, test, names, files) = Data.Cifar10.Read(folder);
                var standard = train.Count == Data.Cifar10.StandardTrainCount && test.Count == Data.Cifar10.StandardTestCount;
                return new Dataset(train, test, files, origin, Invariant($"5 training batches and the test batch: {train.Count:N0} training / {test.Count:N0} test images") +
                    (standard ? " (the standard split)" : ""), kind) { ClassNames = names };
            }
            case DataFormat.ImageFolder:
            {
                var (train, test, names) = ImageFolder.Read(folder);
                return new Dataset(train, test, folder, origin, Invariant($"train/ and test/ folders: {train.Count:N0} training / {test.Count:N0} test images of {train.Width}x{train.Height} ") +
                    (train.Channels == 1 ? "grey" : "colour") + Invariant($", {names.Count} classes"), kind) { ClassNames = names };
            }
        }
        if (kind.Shape is null)
        {
            if (Find(folder, "train-images-idx3-ubyte") is null)
                throw new FileNotFoundException($"{folder}: no train-images-idx3-ubyte[.gz]; --dataset idx needs the training and the test files (train-*-idx?-ubyte, t10k-*-idx?-ubyte)");
            var own = ReadPair(folder, "train", kind);
            var held = ReadPair(folder, "t10k", kind);
            if (held.Height != own.Height || held.Width != own.Width)
                throw new InvalidDataException(Invariant($"{folder}: training images are {own.Height}x{own.Width}, test images {held.Height}x{held.Width}; both splits must have one size"));
            var classes = Math.Max(own.Labels.Max(), held.Labels.Max()) + 1;
            return new Dataset(own, held, folder, origin, Invariant($"training and test files: {own.Count:N0} training / {held.Count:N0} test images of {own.Height}x{own.Width}, labels 0 to {classes - 1}"), kind)
            {
                ClassNames = Enumerable.Range(0, classes).Select(c => c.ToString(CultureInfo.InvariantCulture)).ToList(),
            };
        }
        var testSet = ReadPair(folder, "t10k", kind);
        if (Find(folder, "train-images-idx3-ubyte") is not null)
        {
            var images = ReadPair(folder, "train", kind);
            return new Dataset(images, testSet, folder, origin, Invariant($"training and test files: {images.Count:N0} training / {testSet.Count:N0} test images") +
                (images.Count == StandardTrainCount && testSet.Count == StandardTestCount ? " (the standard split)" : ""), kind);
        }
        if (testSet.Count <= BundledTrainCount)
            throw new InvalidDataException(Invariant($"{folder}: only {testSet.Count:N0} test images and no training files; need the training files or more than {BundledTrainCount:N0} test images (the full split has 10,000)"));
        var cut = testSet.Select(Enumerable.Range(0, BundledTrainCount).ToArray());
        var rest = testSet.Select(Enumerable.Range(BundledTrainCount, testSet.Count - BundledTrainCount).ToArray());
        return new Dataset(cut, rest, folder, origin, Invariant($"test files only ({testSet.Count:N0} images): the first {BundledTrainCount:N0} train, the other {rest.Count:N0} test"), kind);
    }

    /// <summary>Reads one split (<c>train</c> or <c>t10k</c>) of Fashion-MNIST from <paramref name="folder"/>.</summary>
    /// <exception cref="FileNotFoundException">The image or label file is missing (raw or .gz).</exception>
    /// <exception cref="InvalidDataException">A corrupt file, or image and label counts that differ.</exception>
    public static ImageSet ReadPair(string folder, string split) => ReadPair(folder, split, ImageDataset.FashionMnist);

    /// <summary>Reads one split (<c>train</c> or <c>t10k</c>) of <paramref name="kind"/> from <paramref name="folder"/>: images of its
    /// <see cref="ImageDataset.Shape"/> and labels below its class count, or, for a user's IDX files (no fixed shape), any size.</summary>
    /// <exception cref="FileNotFoundException">The image or label file is missing (raw or .gz).</exception>
    /// <exception cref="InvalidDataException">A corrupt file, image and label counts that differ, another image size or a label out of range.</exception>
    public static ImageSet ReadPair(string folder, string split, ImageDataset kind)
    {
        var imagesPath = Find(folder, $"{split}-images-idx3-ubyte")
            ?? throw new FileNotFoundException($"{folder}: no {split}-images-idx3-ubyte[.gz]; the folder must hold {kind.Files}");
        var labelsPath = Find(folder, $"{split}-labels-idx1-ubyte")
            ?? throw new FileNotFoundException($"{folder}: no {split}-labels-idx1-ubyte[.gz]; the folder must hold {kind.Files}");
        var (pixels, count, height, width) = Idx.ReadImages(imagesPath);
        if (kind.Shape is { } shape && (height != shape[1] || width != shape[2]))
            throw new InvalidDataException($"{imagesPath}: images are {height}x{width}; {kind.Title} images are {shape[1]}x{shape[2]}");
        var labels = Idx.ReadLabels(labelsPath);
        if (labels.Length != count)
            throw new InvalidDataException($"{labelsPath}: wrong count: {labels.Length} labels for {count} images in {Path.GetFileName(imagesPath)}");
        if (kind.ClassNames.Count > 0)
        {
            var bad = Array.FindIndex(labels, l => l >= kind.ClassNames.Count);
            if (bad >= 0) throw new InvalidDataException($"{labelsPath}: label {labels[bad]} at index {bad}; {kind.Title} labels are 0 to {kind.ClassNames.Count - 1}");
        }
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
