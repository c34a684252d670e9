using System;
using System.IO;
using System.Linq;
using NetDsl.Experiments.Data;
using SkiaSharp;
using Xunit;

namespace NetDsl.Cli.Tests;

/// <summary>A user's own data: a folder of images per class (PNGs encoded here with SkiaSharp) and IDX files of any size.</summary>
[Collection("console")]
public sealed class ImageFolderTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("netdsl-images-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    /// <summary>Colour pixel (x, y) of image <paramref name="id"/>: R = 10 id + x, G = 100 + y, B = 200 + id (lossless in PNG).</summary>
    static SKColor Colour(int id, int x, int y) => new((byte)(10 * id + x), (byte)(100 + y), (byte)(200 + id));

    string Png(string relative, int width, int height, Func<int, int, SKColor> pixel, bool grey = false)
    {
        var path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var info = grey ? new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque) : new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                bitmap.SetPixel(x, y, pixel(x, y));
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }

    [Fact]
    public void Colour_pngs_read_exactly_with_labels_from_sorted_folder_names_class_by_class_in_turn()
    {
        // Classes cat, bird, dog: labels by ordinal name order (bird 0, cat 1, dog 2); 5 wide x 4 high.
        var ids = new[] { ("train/cat/a.png", 0), ("train/cat/b.png", 1), ("train/bird/x.png", 2), ("train/dog/1.png", 3), ("train/dog/2.png", 4),
                          ("train/bird/y.png", 5), ("test/dog/t.png", 6), ("test/cat/t.png", 7) };
        foreach (var (path, id) in ids) Png(path, 5, 4, (x, y) => Colour(id, x, y));
        File.WriteAllText(Path.Combine(root, "train", "cat", "notes.txt"), "not an image: skipped");
        var data = FashionMnist.Load(root, ImageDataset.Folder);
        Assert.Equal(new[] { "bird", "cat", "dog" }, data.ClassNames);
        Assert.Equal((3, 4, 5), (data.Train.Channels, data.Train.Height, data.Train.Width));
        Assert.Equal(new long[] { 3, 4, 5 }, data.Shape);
        // File i of every class before file i + 1: bird/x, cat/a, dog/1, bird/y, cat/b, dog/2.
        Assert.Equal(new byte[] { 0, 1, 2, 0, 1, 2 }, data.Train.Labels);
        var order = new[] { 2, 0, 3, 5, 1, 4 };
        for (var n = 0; n < 6; n++)
            for (var y = 0; y < 4; y++)
                for (var x = 0; x < 5; x++)
                {
                    var expected = Colour(order[n], x, y);
                    var at = n * 60 + y * 5 + x;
                    Assert.Equal((expected.Red, expected.Green, expected.Blue), (data.Train.Pixels[at], data.Train.Pixels[at + 20], data.Train.Pixels[at + 40]));
                }
        // The test split may lack a class (bird); its labels are the training split's.
        Assert.Equal(new byte[] { 1, 2 }, data.Test.Labels);
        Assert.Equal(10 * 7 + 3, data.Test.Pixels[3]);
        Assert.Equal("train/ and test/ folders: 6 training / 2 test images of 5x4 colour, 3 classes", data.Split);
        Assert.Equal(("your image folder", 3), (data.Fit.Title, data.Fit.Classes));
    }

    [Fact]
    public void Grey_pngs_give_one_channel_and_a_grey_file_among_colour_ones_repeats_its_value()
    {
        Png("train/a/1.png", 3, 2, (x, y) => new SKColor((byte)(x * 40 + y), (byte)(x * 40 + y), (byte)(x * 40 + y)), grey: true);
        Png("train/b/1.png", 3, 2, (x, y) => new SKColor(7, 7, 7), grey: true);
        Png("test/a/1.png", 3, 2, (x, y) => new SKColor(255, 255, 255), grey: true);
        var data = FashionMnist.Load(root, ImageDataset.Folder);
        Assert.Equal(1, data.Train.Channels);
        Assert.Equal(new byte[] { 0, 40, 80, 1, 41, 81, 7, 7, 7, 7, 7, 7 }, data.Train.Pixels);
        Assert.Equal(new long[] { 1, 2, 3 }, data.Shape);
        Assert.Equal("train/ and test/ folders: 2 training / 1 test images of 3x2 grey, 2 classes", data.Split);

        Png("test/b/1.png", 3, 2, (x, y) => Colour(1, x, y));
        var mixed = FashionMnist.Load(root, ImageDataset.Folder);
        Assert.Equal(3, mixed.Train.Channels);
        Assert.Equal(new byte[] { 0, 40, 80, 1, 41, 81, 0, 40, 80, 1, 41, 81, 0, 40, 80, 1, 41, 81 }, mixed.Train.Pixels[..18]);
        Assert.Equal(new byte[] { 10, 11, 12, 10, 11, 12 }, mixed.Test.Pixels[18..24]);
    }

    [Fact]
    public void An_odd_size_an_empty_class_an_unknown_test_class_and_a_broken_file_are_refused_by_name()
    {
        Png("train/a/1.png", 4, 4, (x, y) => Colour(0, x, y));
        Png("train/a/2.png", 4, 4, (x, y) => Colour(0, x, y));
        var odd = Png("train/b/1.png", 4, 3, (x, y) => Colour(0, x, y));
        Png("test/a/1.png", 4, 4, (x, y) => Colour(0, x, y));
        string Error() => Assert.Throws<InvalidDataException>(() => FashionMnist.Load(root, ImageDataset.Folder)).Message;
        // Read order: a/1, b/1 (class by class in turn).
        Assert.Equal($"{odd}: 4x3 pixels (width x height), but {Path.Combine(root, "train", "a", "1.png")} is 4x4; every image of the dataset must have one size " +
                     "(netdsl does not resize: resize them beforehand)", Error());
        Png("train/b/1.png", 4, 4, (x, y) => Colour(0, x, y));

        var empty = Directory.CreateDirectory(Path.Combine(root, "train", "c")).FullName;
        File.WriteAllText(Path.Combine(empty, "readme.txt"), "no images");
        Assert.Equal($"{empty}: the class folder 'c' holds no images (.png, .jpg, .jpeg, .bmp, .gif, .webp); add its images or remove the folder", Error());
        Directory.Delete(empty, recursive: true);

        Png("test/zebra/1.png", 4, 4, (x, y) => Colour(0, x, y));
        Assert.Equal($"{Path.Combine(root, "test")}: class folder(s) 'zebra' have no training images (train has a, b); rename or remove them", Error());
        Directory.Delete(Path.Combine(root, "test", "zebra"), recursive: true);

        var broken = Path.Combine(root, "train", "b", "2.png");
        File.WriteAllText(broken, "not a png");
        Assert.StartsWith($"{broken}: does not decode as an image (", Error(), StringComparison.Ordinal);
        File.Delete(broken);

        Directory.Delete(Path.Combine(root, "test"), recursive: true);
        Assert.StartsWith($"{root}: no 'test' folder; an image folder dataset is <root>/train/<class>/*.png and <root>/test/<class>/*.png",
            Assert.Throws<DirectoryNotFoundException>(() => FashionMnist.Load(root, ImageDataset.Folder)).Message, StringComparison.Ordinal);
        // A user's data is never guessed: without --data (or its variable) it says what to pass.
        Assert.Equal("--dataset folder reads your own data: pass --data <folder> with train/<class>/ and test/<class>/ folders of images, or set NETDSL_IMAGE_FOLDER",
            Assert.Throws<DirectoryNotFoundException>(() => FashionMnist.Load(null, ImageDataset.Folder)).Message);
    }

    [Fact]
    public void Missing_or_too_many_class_folders_several_unknown_test_classes_and_damaged_image_data_are_refused_by_name()
    {
        var train = Directory.CreateDirectory(Path.Combine(root, "train")).FullName;
        Assert.False(ImageFolder.IsThere(root));   // both splits' folders are needed
        var test = Directory.CreateDirectory(Path.Combine(root, "test")).FullName;
        Assert.True(ImageFolder.IsThere(root));
        string Error() => Assert.Throws<InvalidDataException>(() => FashionMnist.Load(root, ImageDataset.Folder)).Message;
        Assert.Equal($"{train}: no class folders; put each class's images in a folder named after it (train/cat/1.png, train/dog/1.png, ...)", Error());

        // Labels are bytes: 257 classes are refused; 256 pass that check (and then the first, empty, class folder is named).
        for (var c = 0; c < 257; c++) Directory.CreateDirectory(Path.Combine(train, $"c{c:D3}"));
        Assert.Equal($"{train}: 257 class folders; at most 256 classes are supported", Error());
        Directory.Delete(Path.Combine(train, "c256"));
        Assert.StartsWith($"{Path.Combine(train, "c000")}: the class folder 'c000' holds no images", Error(), StringComparison.Ordinal);
        foreach (var d in Directory.GetDirectories(train)) Directory.Delete(d);

        Png("train/a/1.png", 4, 4, (x, y) => Colour(0, x, y));
        Png("train/b/1.png", 4, 4, (x, y) => Colour(1, x, y));
        // No test class folder: no test images.
        Assert.Equal($"{test}: no images; the test split needs at least one", Error());
        // Every unknown test class is named, in ordinal order.
        Png("test/zebra/1.png", 4, 4, (x, y) => Colour(2, x, y));
        Png("test/yak/1.png", 4, 4, (x, y) => Colour(3, x, y));
        Assert.Equal($"{test}: class folder(s) 'yak', 'zebra' have no training images (train has a, b); rename or remove them", Error());
        Directory.Delete(Path.Combine(test, "zebra"), recursive: true);
        Directory.Delete(Path.Combine(test, "yak"), recursive: true);

        // Files whose header reads but whose pixel data (the PNG's IDAT chunk) ends halfway or is damaged.
        Png("test/a/1.png", 4, 4, (x, y) => Colour(4, x, y));
        var damaged = Png("train/b/2.png", 4, 4, (x, y) => Colour(5, x, y));
        var bytes = File.ReadAllBytes(damaged);
        var (data, length) = Idat(bytes);
        File.WriteAllBytes(damaged, bytes[..(data + length / 2)]);
        Assert.Equal($"{damaged}: the image data is truncated; fix or remove the file", Error());
        for (var k = data + length / 2; k < data + length; k++) bytes[k] ^= 0xA5;
        File.WriteAllBytes(damaged, bytes);
        Assert.Equal($"{damaged}: does not decode (ErrorInInput); fix or remove the file", Error());
    }

    /// <summary>Where the data of a PNG's (first) IDAT chunk starts, and its length: chunks are length (4 bytes, big-endian), type, data, CRC.</summary>
    static (int Start, int Length) Idat(byte[] png)
    {
        for (var at = 8; at + 8 <= png.Length;)
        {
            var length = (png[at] << 24) | (png[at + 1] << 16) | (png[at + 2] << 8) | png[at + 3];
            if (System.Text.Encoding.ASCII.GetString(png, at + 4, 4) == "IDAT") return (at + 8, length);
            at += 12 + length;
        }
        throw new InvalidDataException("no IDAT chunk");
    }

    [Fact]
    public void Compare_checks_the_folders_image_shape_and_classes_against_the_network()
    {
        foreach (var c in new[] { "a", "b", "c" })
            for (var i = 0; i < 3; i++)
            {
                Png($"train/{c}/{i}.png", 8, 8, (x, y) => Colour(i, x, y));
                Png($"test/{c}/{i}.png", 8, 8, (x, y) => Colour(i, x, y));
            }
        var me = typeof(ImageFolderTests).Assembly.Location;
        var (code, _, error) = CommandLineTests.Run("compare", "--dataset", "folder", "--data", root, "--assembly", me, "--network", "CifarLabNet",
            "--output", Path.Combine(root, "x"), "--dry-run");
        Assert.Equal(2, code);
        Assert.Equal("error: CifarLabNet.Residual takes input [3, 32, 32] per sample; the images of your folder are [3, 8, 8]: declare [Input(3, 8, 8)]", error.Trim());
    }

    [Fact]
    public void Whether_a_rate_trains_depends_on_the_number_of_classes()
    {
        // Chance plus a ninth of the way to 100%: twice chance for 10 classes, as before.
        Assert.Equal(0.2, NetDsl.Experiments.Analysis.Selection.TrainedThresholdFor(10));
        Assert.Equal(10 / 18.0, NetDsl.Experiments.Analysis.Selection.TrainedThresholdFor(2), 15);
        Assert.Equal(0.12, NetDsl.Experiments.Analysis.Selection.TrainedThresholdFor(100), 15);
        Assert.Throws<ArgumentOutOfRangeException>(() => NetDsl.Experiments.Analysis.Selection.TrainedThresholdFor(1));
        // 50% on validation is well above chance with 10 classes and chance itself with 2.
        var job = new NetDsl.Experiments.Results.JobResult { Variant = "v", Seed = 0, LearningRate = 0.1 };
        job.Epochs.Add(new NetDsl.Experiments.Results.EpochRecord(1, 0.1, 0.7, 0.5, 0.7, 0.5, 0.7, 0.5, 1, 0));
        Assert.True(NetDsl.Experiments.Analysis.Selection.Select([job])!.Trained);
        Assert.False(NetDsl.Experiments.Analysis.Selection.Select([job], classes: 2)!.Trained);
        Assert.Equal(2, NetDsl.Experiments.Analysis.Selection.ClassesOf(new NetDsl.Experiments.Results.RunSettings { ClassNames = ["a", "b"] }));
        Assert.Equal(10, NetDsl.Experiments.Analysis.Selection.ClassesOf(new NetDsl.Experiments.Results.RunSettings()));
    }

    static byte[] Header(params int[] ints) => ints.SelectMany(i => new[] { (byte)(i >> 24), (byte)(i >> 16), (byte)(i >> 8), (byte)i }).ToArray();

    [Fact]
    public void Idx_files_of_any_size_give_their_shape_and_classes_up_to_the_largest_label()
    {
        // 3 training images and 2 test images of 10 high x 12 wide; labels up to 4: classes 0 to 4.
        File.WriteAllBytes(Path.Combine(root, "train-images-idx3-ubyte"), Header(Idx.ImagesMagic, 3, 10, 12).Concat(Enumerable.Range(0, 360).Select(i => (byte)i)).ToArray());
        File.WriteAllBytes(Path.Combine(root, "train-labels-idx1-ubyte"), Header(Idx.LabelsMagic, 3).Concat(new byte[] { 0, 4, 2 }).ToArray());
        File.WriteAllBytes(Path.Combine(root, "t10k-images-idx3-ubyte"), Header(Idx.ImagesMagic, 2, 10, 12).Concat(new byte[240]).ToArray());
        File.WriteAllBytes(Path.Combine(root, "t10k-labels-idx1-ubyte"), Header(Idx.LabelsMagic, 2).Concat(new byte[] { 1, 3 }).ToArray());
        var data = FashionMnist.Load(root, ImageDataset.Idx);
        Assert.Equal(new long[] { 1, 10, 12 }, data.Shape);
        Assert.Equal(new[] { "0", "1", "2", "3", "4" }, data.ClassNames);
        Assert.Equal(130, data.Train.Pixels[130]);
        Assert.Equal("training and test files: 3 training / 2 test images of 10x12, labels 0 to 4", data.Split);
        Assert.Equal(("your IDX files", 5, "the images of your IDX files"), (data.Fit.Title, data.Fit.Classes, data.Fit.Images));
        // Fashion-MNIST keeps its 28x28 rule for the same files.
        Assert.EndsWith("images are 10x12; Fashion-MNIST images are 28x28", Assert.Throws<InvalidDataException>(() => FashionMnist.Load(root)).Message, StringComparison.Ordinal);
        // Splits of different sizes.
        File.WriteAllBytes(Path.Combine(root, "t10k-images-idx3-ubyte"), Header(Idx.ImagesMagic, 2, 12, 10).Concat(new byte[240]).ToArray());
        Assert.Equal($"{root}: training images are 10x12, test images 12x10; both splits must have one size",
            Assert.Throws<InvalidDataException>(() => FashionMnist.Load(root, ImageDataset.Idx)).Message);
        // Splits that differ in one side only.
        File.WriteAllBytes(Path.Combine(root, "t10k-images-idx3-ubyte"), Header(Idx.ImagesMagic, 2, 10, 13).Concat(new byte[260]).ToArray());
        Assert.Equal($"{root}: training images are 10x12, test images 10x13; both splits must have one size",
            Assert.Throws<InvalidDataException>(() => FashionMnist.Load(root, ImageDataset.Idx)).Message);
        // The shape is checked against the network's [Input] from the files.
        File.WriteAllBytes(Path.Combine(root, "t10k-images-idx3-ubyte"), Header(Idx.ImagesMagic, 2, 10, 12).Concat(new byte[240]).ToArray());
        var (code, _, error) = CommandLineTests.Run("compare", "--dataset", "idx", "--data", root, "--assembly", typeof(ImageFolderTests).Assembly.Location,
            "--network", "LabNet", "--output", Path.Combine(root, "x"), "--dry-run");
        Assert.Equal(2, code);
        Assert.Equal("error: LabNet.Residual.BnAfterConv takes input [1, 28, 28] per sample; the images of your IDX files are [1, 10, 12]: declare [Input(1, 10, 12)]", error.Trim());
        // The classes go up to the largest label of either split (here the test split's 6).
        File.WriteAllBytes(Path.Combine(root, "t10k-labels-idx1-ubyte"), Header(Idx.LabelsMagic, 2).Concat(new byte[] { 1, 6 }).ToArray());
        Assert.Equal("training and test files: 3 training / 2 test images of 10x12, labels 0 to 6", FashionMnist.Load(root, ImageDataset.Idx).Split);
        // Both splits are needed: a missing label file or training split is named with what the folder must hold.
        const string files = "IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; raw or .gz)";
        File.Delete(Path.Combine(root, "t10k-labels-idx1-ubyte"));
        Assert.Equal($"{root}: no t10k-labels-idx1-ubyte[.gz]; the folder must hold {files}", Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(root, ImageDataset.Idx)).Message);
        File.Delete(Path.Combine(root, "train-images-idx3-ubyte"));
        Assert.Equal($"{root}: no train-images-idx3-ubyte[.gz]; --dataset idx needs the training and the test files (train-*-idx?-ubyte, t10k-*-idx?-ubyte)",
            Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(root, ImageDataset.Idx)).Message);
        // A user's data is never searched for: a missing --data folder says what to pass, and without it only NETDSL_IDX is read.
        var missing = Path.Combine(root, "missing");
        Assert.Equal($"data folder '{missing}' does not exist; pass a folder with {files}", Assert.Throws<DirectoryNotFoundException>(() => FashionMnist.Locate(missing, ImageDataset.Idx)).Message);
        var saved = Environment.GetEnvironmentVariable("NETDSL_IDX");
        try
        {
            Environment.SetEnvironmentVariable("NETDSL_IDX", null);
            Assert.Equal($"--dataset idx reads your own data: pass --data <folder> with {files}, or set NETDSL_IDX",
                Assert.Throws<DirectoryNotFoundException>(() => FashionMnist.Locate(null, ImageDataset.Idx)).Message);
            Environment.SetEnvironmentVariable("NETDSL_IDX", root);
            Assert.Equal((root, "NETDSL_IDX"), FashionMnist.Locate(null, ImageDataset.Idx));
        }
        finally
        {
            Environment.SetEnvironmentVariable("NETDSL_IDX", saved);
        }
    }
}
