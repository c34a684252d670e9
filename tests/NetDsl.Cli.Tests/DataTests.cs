using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using NetDsl.Experiments.Data;
using Xunit;

namespace NetDsl.Cli.Tests;

// The input normalization, not the layer-normalization enum NetDsl.Normalization (the enclosing namespace's type would win).

public sealed class DataTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("netdsl-idx-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    static byte[] Header(params int[] ints) => ints.SelectMany(i => new[] { (byte)(i >> 24), (byte)(i >> 16), (byte)(i >> 8), (byte)i }).ToArray();

    /// <summary>Three 28x28 images whose pixel k of image n is (n * 7 + k) % 256, labels 4, 0, 9.</summary>
    static (byte[] Images, byte[] Labels) Synthetic(int count = 3)
    {
        var pixels = Enumerable.Range(0, count * 784).Select(i => (byte)((i / 784 * 7 + i % 784) % 256)).ToArray();
        var images = Header(Idx.ImagesMagic, count, 28, 28).Concat(pixels).ToArray();
        var labels = Header(Idx.LabelsMagic, count).Concat(new byte[] { 4, 0, 9, 1, 2 }.Take(count)).ToArray();
        return (images, labels);
    }

    string Write(string name, byte[] bytes, bool gzip = false)
    {
        var path = Path.Combine(folder, name);
        if (!gzip) File.WriteAllBytes(path, bytes);
        else
        {
            using var file = File.Create(path);
            using var zip = new GZipStream(file, CompressionLevel.Fastest);
            zip.Write(bytes);
        }
        return path;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reads_raw_and_gzip_files_exactly(bool gzip)
    {
        var (images, labels) = Synthetic();
        var (pixels, count, height, width) = Idx.ReadImages(Write("a-images-idx3-ubyte" + (gzip ? ".gz" : ""), images, gzip));
        Assert.Equal((3, 28, 28), (count, height, width));
        Assert.Equal(images.Skip(16), pixels);
        Assert.Equal(7 + 5, pixels[784 + 5]);
        Assert.Equal(new byte[] { 4, 0, 9 }, Idx.ReadLabels(Write("a-labels-idx1-ubyte" + (gzip ? ".gz" : ""), labels, gzip)));
    }

    [Fact]
    public void Bundled_test_split_is_the_standard_one_and_splits_8000_2000()
    {
        var bundled = Path.Combine(AppContext.BaseDirectory, "data", "fashion-mnist");
        var data = FashionMnist.Load(bundled);
        Assert.Equal(8000, data.Train.Count);
        Assert.Equal(2000, data.Test.Count);
        Assert.Equal(784 * 8000, data.Train.Pixels.Length);
        // The first test image of Fashion-MNIST is an ankle boot (9), the second a pullover (2).
        Assert.Equal(new byte[] { 9, 2, 1, 1 }, data.Train.Labels.Take(4));
        // Every class is present on both sides, close to 10% each.
        Assert.All(Enumerable.Range(0, 10), c => Assert.InRange(data.Test.Labels.Count(l => l == c), 150, 250));
        Assert.Equal("test files only (10,000 images): the first 8,000 train, the other 2,000 test", data.Split);
    }

    [Fact]
    public void The_loader_reports_the_counts_it_read_and_calls_only_60000_and_10000_the_standard_split()
    {
        var (images, labels) = Synthetic(2);
        Write("train-images-idx3-ubyte", images);
        Write("train-labels-idx1-ubyte", labels);
        var (testImages, testLabels) = Synthetic(3);
        Write("t10k-images-idx3-ubyte.gz", testImages, gzip: true);
        Write("t10k-labels-idx1-ubyte.gz", testLabels, gzip: true);
        var small = FashionMnist.Load(folder);
        Assert.Equal((2, 3), (small.Train.Count, small.Test.Count));
        Assert.Equal("training and test files: 2 training / 3 test images", small.Split);

        Write("train-images-idx3-ubyte", Header(Idx.ImagesMagic, 60_000, 28, 28).Concat(new byte[60_000 * 784]).ToArray());
        Write("train-labels-idx1-ubyte", Header(Idx.LabelsMagic, 60_000).Concat(new byte[60_000]).ToArray());
        File.Delete(Path.Combine(folder, "t10k-images-idx3-ubyte.gz"));
        File.Delete(Path.Combine(folder, "t10k-labels-idx1-ubyte.gz"));
        Write("t10k-images-idx3-ubyte", Header(Idx.ImagesMagic, 10_000, 28, 28).Concat(new byte[10_000 * 784]).ToArray());
        Write("t10k-labels-idx1-ubyte", Header(Idx.LabelsMagic, 10_000).Concat(new byte[10_000]).ToArray());
        Assert.Equal("training and test files: 60,000 training / 10,000 test images (the standard split)", FashionMnist.Load(folder).Split);
        // Both counts must be standard: 60,000 training images with a cut test file are not the standard split.
        Write("t10k-images-idx3-ubyte", testImages);
        Write("t10k-labels-idx1-ubyte", testLabels);
        Assert.Equal("training and test files: 60,000 training / 3 test images", FashionMnist.Load(folder).Split);
    }

    [Fact]
    public void A_test_split_too_small_to_cut_is_refused_with_its_count()
    {
        var (images, labels) = Synthetic(3);
        Write("t10k-images-idx3-ubyte", images);
        Write("t10k-labels-idx1-ubyte", labels);
        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(folder));
        Assert.Equal($"{folder}: only 3 test images and no training files; need the training files or more than 8,000 test images (the full split has 10,000)", e.Message);
    }

    [Fact]
    public void Images_that_are_not_28x28_and_labels_above_9_are_refused()
    {
        var pixels = new byte[2 * 16];
        Write("t10k-images-idx3-ubyte", Header(Idx.ImagesMagic, 2, 4, 4).Concat(pixels).ToArray());
        Write("t10k-labels-idx1-ubyte", Header(Idx.LabelsMagic, 2).Concat(new byte[] { 1, 2 }).ToArray());
        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.ReadPair(folder, "t10k"));
        Assert.Equal($"{Path.Combine(folder, "t10k-images-idx3-ubyte")}: images are 4x4; Fashion-MNIST images are 28x28", e.Message);
        // One side right is not enough.
        Write("t10k-images-idx3-ubyte", Header(Idx.ImagesMagic, 2, 28, 4).Concat(new byte[2 * 28 * 4]).ToArray());
        Assert.EndsWith("images are 28x4; Fashion-MNIST images are 28x28", Assert.Throws<InvalidDataException>(() => FashionMnist.ReadPair(folder, "t10k")).Message, StringComparison.Ordinal);
        Write("t10k-images-idx3-ubyte", Header(Idx.ImagesMagic, 2, 4, 28).Concat(new byte[2 * 28 * 4]).ToArray());
        Assert.EndsWith("images are 4x28; Fashion-MNIST images are 28x28", Assert.Throws<InvalidDataException>(() => FashionMnist.ReadPair(folder, "t10k")).Message, StringComparison.Ordinal);
        var (images, _) = Synthetic(3);
        Write("t10k-images-idx3-ubyte", images);
        Write("t10k-labels-idx1-ubyte", Header(Idx.LabelsMagic, 3).Concat(new byte[] { 1, 10, 2 }).ToArray());
        var l = Assert.Throws<InvalidDataException>(() => FashionMnist.ReadPair(folder, "t10k"));
        Assert.Equal($"{Path.Combine(folder, "t10k-labels-idx1-ubyte")}: label 10 at index 1; Fashion-MNIST labels are 0 to 9", l.Message);
        Write("t10k-labels-idx1-ubyte", Header(Idx.LabelsMagic, 3).Concat(new byte[] { 12, 0, 9 }).ToArray());
        Assert.EndsWith("label 12 at index 0; Fashion-MNIST labels are 0 to 9", Assert.Throws<InvalidDataException>(() => FashionMnist.ReadPair(folder, "t10k")).Message, StringComparison.Ordinal);
        Write("t10k-labels-idx1-ubyte", Header(Idx.LabelsMagic, 3).Concat(new byte[] { 9, 0, 9 }).ToArray());
        Assert.Equal(new byte[] { 9, 0, 9 }, FashionMnist.ReadPair(folder, "t10k").Labels);
    }

    [Fact]
    public void A_label_file_with_an_image_magic_names_the_mix_up()
    {
        var (images, _) = Synthetic();
        var path = Write("x-labels-idx1-ubyte", images);
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadLabels(path));
        Assert.Equal($"{path}: wrong magic number 0x00000803; an IDX label file starts with 0x00000801 (is this an image file, or not an IDX file?)", e.Message);
        var missing = Path.Combine(folder, "missing-labels-idx1-ubyte");
        Assert.Equal($"{missing}: file not found", Assert.Throws<FileNotFoundException>(() => Idx.ReadLabels(missing)).Message);
        var flat = Write("f-images-idx3-ubyte", Header(Idx.ImagesMagic, 2, 0, 28));
        Assert.Equal($"{flat}: the header gives height 0; it must be positive (corrupt header)", Assert.Throws<InvalidDataException>(() => Idx.ReadImages(flat)).Message);
        var zero = Write("w-images-idx3-ubyte", Header(Idx.ImagesMagic, 2, 28, 0));
        Assert.Equal($"{zero}: the header gives width 0; it must be positive (corrupt header)", Assert.Throws<InvalidDataException>(() => Idx.ReadImages(zero)).Message);
        var shortHeader = Write("s-images-idx3-ubyte", Header(Idx.ImagesMagic, 2)[..6]);
        Assert.Equal($"{shortHeader}: short read: 2 of 4 bytes of the header (the file is truncated; download it again)", Assert.Throws<InvalidDataException>(() => Idx.ReadImages(shortHeader)).Message);
    }

    [Fact]
    public void Taking_and_selecting_images_copies_exactly_those_images()
    {
        var (images, labels) = Synthetic(5);
        var set = new ImageSet(images[16..], labels[8..], 28, 28);
        Assert.Same(set, set.Take(null));
        Assert.Same(set, set.Take(5));
        Assert.Same(set, set.Take(9));
        var first = set.Take(2);
        Assert.Equal(2, first.Count);
        Assert.Equal(set.Pixels[..(2 * 784)], first.Pixels);
        var picked = set.Select([4, 0]);
        Assert.Equal(new byte[] { 2, 4 }, picked.Labels);
        Assert.Equal(set.Pixels[(4 * 784)..], picked.Pixels[..784]);
        Assert.Equal(set.Pixels[..784], picked.Pixels[784..]);
        Assert.Equal((28, 28), (picked.Height, picked.Width));
    }

    [Fact]
    public void The_data_folder_comes_from_the_environment_after_the_option_then_the_bundled_copy()
    {
        var saved = Environment.GetEnvironmentVariable(FashionMnist.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(FashionMnist.EnvironmentVariable, folder);
            Assert.Equal((folder, FashionMnist.EnvironmentVariable), FashionMnist.Locate(null));
            Assert.Equal((folder, FashionMnist.EnvironmentVariable), FashionMnist.Locate(""));
            var other = Directory.CreateTempSubdirectory("netdsl-opt-").FullName;
            Assert.Equal((other, "--data"), FashionMnist.Locate(other));
            Directory.Delete(other);
            var gone = Path.Combine(folder, "gone");
            Environment.SetEnvironmentVariable(FashionMnist.EnvironmentVariable, gone);
            Assert.Equal($"{FashionMnist.EnvironmentVariable}='{gone}' does not exist; fix or unset the variable",
                Assert.Throws<DirectoryNotFoundException>(() => FashionMnist.Locate(null)).Message);
            Environment.SetEnvironmentVariable(FashionMnist.EnvironmentVariable, null);
            if (!File.Exists(Path.Combine(FashionMnist.DebianFolder, "t10k-images-idx3-ubyte.gz")) && !File.Exists(Path.Combine(FashionMnist.DebianFolder, "t10k-images-idx3-ubyte")))
                Assert.Equal((FashionMnist.BundledFolder, "bundled test split"), FashionMnist.Locate(null));
        }
        finally
        {
            Environment.SetEnvironmentVariable(FashionMnist.EnvironmentVariable, saved);
        }
    }

    [Fact]
    public void Each_dataset_is_searched_in_its_variable_then_the_fetch_folder_under_XDG_DATA_HOME_and_a_missing_one_says_where_to_get_it()
    {
        string[] names = ["XDG_DATA_HOME", FashionMnist.EnvironmentVariable, ImageDataset.Mnist.EnvironmentVariable];
        var saved = names.Select(Environment.GetEnvironmentVariable).ToArray();
        try
        {
            foreach (var name in names) Environment.SetEnvironmentVariable(name, null);
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            Assert.Equal(Path.Combine(home, ".local", "share", "netdsl", "datasets", "mnist"), Fetch.DefaultFolder("mnist"));
            var xdg = Path.Combine(folder, "xdg");
            Environment.SetEnvironmentVariable("XDG_DATA_HOME", xdg);
            var fetchedMnist = Path.Combine(xdg, "netdsl", "datasets", "mnist");
            Assert.Equal(fetchedMnist, Fetch.DefaultFolder("mnist"));

            // MNIST has no Debian package and no bundled copy: nothing fetched is an error that names the three ways to get it.
            Assert.Equal("no MNIST found: run `netdsl data fetch mnist`, pass --data, or set NETDSL_MNIST",
                Assert.Throws<DirectoryNotFoundException>(() => FashionMnist.Locate(null, ImageDataset.Mnist)).Message);
            Directory.CreateDirectory(fetchedMnist);
            Assert.Throws<DirectoryNotFoundException>(() => FashionMnist.Locate(null, ImageDataset.Mnist));   // the folder alone is not the files
            File.WriteAllBytes(Path.Combine(fetchedMnist, "t10k-images-idx3-ubyte.gz"), []);
            Assert.Equal((fetchedMnist, "netdsl data fetch mnist"), FashionMnist.Locate(null, ImageDataset.Mnist));
            // Fashion-MNIST's fetched files come before the bundled copy (the raw name counts too).
            var fetchedFashion = Path.Combine(xdg, "netdsl", "datasets", "fashion-mnist");
            Directory.CreateDirectory(fetchedFashion);
            File.WriteAllBytes(Path.Combine(fetchedFashion, "t10k-images-idx3-ubyte"), []);
            Assert.Equal((fetchedFashion, "netdsl data fetch fashion-mnist"), FashionMnist.Locate(null));
            // Each dataset reads its own variable only.
            Environment.SetEnvironmentVariable(ImageDataset.Mnist.EnvironmentVariable, folder);
            Assert.Equal((folder, "NETDSL_MNIST"), FashionMnist.Locate(null, ImageDataset.Mnist));
            Assert.Equal((fetchedFashion, "netdsl data fetch fashion-mnist"), FashionMnist.Locate(null));

            var missing = Path.Combine(folder, "missing");
            Assert.Equal($"data folder '{missing}' does not exist; pass a folder with the MNIST IDX files, or leave --data out to use $NETDSL_MNIST, `netdsl data fetch mnist`'s folder",
                Assert.Throws<DirectoryNotFoundException>(() => FashionMnist.Locate(missing, ImageDataset.Mnist)).Message);
            Assert.Equal($"data folder '{missing}' does not exist; pass a folder with the Fashion-MNIST IDX files, or leave --data out to use $NETDSL_FASHION_MNIST, " +
                         "`netdsl data fetch fashion-mnist`'s folder, /usr/share/datasets/fashion-mnist or the bundled copy",
                Assert.Throws<DirectoryNotFoundException>(() => FashionMnist.Locate(missing)).Message);
            Assert.Same(ImageDataset.Mnist, ImageDataset.Find("MNIST"));
            Assert.Same(ImageDataset.Cifar10, ImageDataset.Find("CIFAR10"));
            Assert.Null(ImageDataset.Find("cifar100"));
        }
        finally
        {
            for (var i = 0; i < names.Length; i++) Environment.SetEnvironmentVariable(names[i], saved[i]);
        }
    }

    [Fact]
    public void The_normalization_of_a_set_is_its_pixel_mean_and_population_deviation()
    {
        // Pixels 0, 51, 102, 255 (in [0, 1]: 0, 0.2, 0.4, 1): mean 0.4, population variance (0.16 + 0.04 + 0 + 0.36) / 4 = 0.14.
        var set = new ImageSet([0, 51, 102, 255], [1], 2, 2);
        var norm = Normalization.Of(set);
        Assert.Equal(0.4, norm.Mean, 12);
        Assert.Equal(Math.Sqrt(0.14), norm.Std, 12);
        // A constant set has no spread: the deviation is floored (1e-6) instead of dividing by zero.
        Assert.Equal(1e-6, Normalization.Of(new ImageSet([7, 7, 7, 7], [1], 2, 2)).Std, 15);
        var (x, _) = Batches.Enumerate(set, norm, 1).Single();
        Assert.Equal(new[] { 0, 0.2, 0.4, 1.0 }.Select(v => (float)((v - 0.4) / Math.Sqrt(0.14))), x.data<float>().ToArray(), (a, b) => Math.Abs(a - b) < 1e-5);
        var e = Assert.Throws<ArgumentException>(() => Batches.Enumerate(set, norm, 1, augment: true).First());
        Assert.Equal("augment", e.ParamName);
        Assert.StartsWith("augmentation needs a random source", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_channel_is_normalized_with_its_own_statistics_taken_from_its_own_plane()
    {
        // Two 2x3 images of two channels. Channel 0: 0, 0.2, .., 1 and back (mean 0.5, population variance 2.2/6 - 0.25);
        // channel 1: all 1 in image 0, all 0.2 in image 1 (mean 0.6, deviation 0.4).
        byte[] image0 = [0, 51, 102, 153, 204, 255, .. Enumerable.Repeat((byte)255, 6)], image1 = [255, 204, 153, 102, 51, 0, .. Enumerable.Repeat((byte)51, 6)];
        var set = new ImageSet([.. image0, .. image1], [3, 8], 2, 3, Channels: 2);
        var norm = Normalization.Of(set);
        Assert.Equal(2, norm.Channels);
        Assert.Equal([0.5, 0.6], norm.Means.Select(m => Math.Round(m, 12)));
        Assert.Equal([Math.Round(Math.Sqrt(2.2 / 6 - 0.25), 12), 0.4], norm.Stds.Select(v => Math.Round(v, 12)));
        Assert.Equal("2 channels: read Means", Assert.Throws<InvalidOperationException>(() => norm.Mean).Message);
        Assert.Equal("2 channels: read Stds", Assert.Throws<InvalidOperationException>(() => norm.Std).Message);
        // In file order, [B, C, H, W]: (pixel / 255 - mean_c) / std_c, each channel from its own plane of its own image.
        var given = new Normalization([0.5, 0.6], [0.25, 0.4]);
        var (x, y) = Batches.Enumerate(set, given, 2).Single();
        Assert.Equal([2L, 2, 2, 3], x.shape);
        Assert.Equal([3L, 8], y.data<long>().ToArray());
        var expected = image0.Concat(image1).Select((p, i) => (float)((p / 255.0 - given.Means[i / 6 % 2]) / given.Stds[i / 6 % 2]));
        Assert.Equal(expected, x.data<float>().ToArray(), (a, b) => Math.Abs(a - b) < 1e-5);
        // Equal statistics are equal normalizations; other deviations are not.
        Assert.Equal(new Normalization([0.5, 0.6], [0.25, 0.4]), given);
        Assert.NotEqual(new Normalization([0.5, 0.6], [0.25, 0.5]), given);
        Assert.NotEqual(new Normalization([0.5, 0.7], [0.25, 0.4]), given);
        Assert.False(given.Equals(null));
    }

    [Fact]
    public void Bad_normalizations_and_crops_of_non_square_images_are_handled()
    {
        Assert.Equal("2 means and 1 standard deviations; give one of each per channel (at least one) (Parameter 'stds')",
            Assert.Throws<ArgumentException>(() => new Normalization([0.5, 0.5], [0.2])).Message);
        Assert.StartsWith("0 means and 0 standard deviations", Assert.Throws<ArgumentException>(() => new Normalization([], [])).Message, StringComparison.Ordinal);
        Assert.Equal("standard deviations must be positive (got 0.2, 0) (Parameter 'stds')", Assert.Throws<ArgumentException>(() => new Normalization([0.5, 0.5], [0.2, 0])).Message);
        Assert.StartsWith("standard deviations must be positive (got -1)", Assert.Throws<ArgumentException>(() => new Normalization(0.5, -1)).Message, StringComparison.Ordinal);
        Assert.StartsWith("no images to take normalization statistics from", Assert.Throws<ArgumentException>(() => Normalization.Of(new ImageSet([], [], 2, 2))).Message, StringComparison.Ordinal);
        var grey = new ImageSet(new byte[4], [0], 2, 2);
        Assert.Equal("the normalization has 2 channel(s), the images 1; take it from images of this dataset (Normalization.Of) (Parameter 'norm')",
            Assert.Throws<ArgumentException>(() => Batches.Enumerate(grey, new Normalization([0.5, 0.5], [1, 1]), 1)).Message);
        // The crop padding follows the shorter side: 28x32 is padded like 28x28 (2), 40x64 by 40 / 8 = 5.
        Assert.Equal(2, Batches.CropPaddingOf(new ImageSet(new byte[28 * 32], [0], 28, 32)));
        Assert.Equal(5, Batches.CropPaddingOf(new ImageSet(new byte[64 * 40], [0], 64, 40)));
    }

    [Fact]
    public void The_class_names_are_Fashion_MNISTs_by_label() =>
        Assert.Equal(["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"], FashionMnist.ClassNames);

    [Fact]
    public void A_network_ending_in_feature_maps_is_told_to_end_with_a_classifier_after_a_flatten_or_pooling()
    {
        // LabTwoClassNet cut after its convolution (as a network without a head would be): per-sample output [4, 28, 28] (a padded 3x3 convolution).
        var summary = LabTwoClassNet.Summary;
        var full = new NetDsl.VariantInfo("LabTwoClassNet", new Dictionary<string, string>(), summary, () => new LabTwoClassNet(), "");
        var headless = full with { Summary = new NetDsl.ModelSummary(summary.Name, summary.InputShape, summary.Layers.Take(1).ToList()) };
        Assert.Equal("LabTwoClassNet outputs [4, 28, 28] per sample; Fashion-MNIST has 10 classes: end the network with [Linear(10)] (after a flatten or global pooling)",
            ImageDataset.FashionMnist.Fit!.Problem(headless));
        Assert.Equal("LabTwoClassNet outputs [2] per sample; Fashion-MNIST has 10 classes: end the network with [Linear(10)] (after a flatten or global pooling)",
            ImageDataset.FashionMnist.Fit!.Problem(full));
    }

    [Fact]
    public void Test_files_alone_need_more_than_8000_images_and_the_rest_becomes_the_test_set()
    {
        void Files(int count)
        {
            Write("t10k-images-idx3-ubyte", Header(Idx.ImagesMagic, count, 28, 28).Concat(new byte[count * 784]).ToArray());
            Write("t10k-labels-idx1-ubyte", Header(Idx.LabelsMagic, count).Concat(Enumerable.Range(0, count).Select(i => (byte)(i % 10))).ToArray());
        }
        Files(8000);
        Assert.StartsWith($"{folder}: only 8,000 test images", Assert.Throws<InvalidDataException>(() => FashionMnist.Load(folder)).Message, StringComparison.Ordinal);
        Files(8003);
        var data = FashionMnist.Load(folder);
        Assert.Equal((8000, 3), (data.Train.Count, data.Test.Count));
        Assert.Equal(new byte[] { 0, 1, 2 }, data.Test.Labels);   // images 8,000 to 8,002
        Assert.Equal("test files only (8,003 images): the first 8,000 train, the other 3 test", data.Split);
        Assert.Equal((folder, "--data"), (data.Folder, data.Origin));
    }

    [Fact]
    public void Only_a_file_starting_with_the_gzip_signature_is_decompressed()
    {
        // 1f 00 ...: the first gzip byte but not the second: read raw, so the error is the magic number, not corrupt gzip data.
        var path = Write("g-images-idx3-ubyte", new byte[] { 0x1f, 0x00, 0x08, 0x03, 0, 0, 0, 1, 0, 0, 0, 28, 0, 0, 0, 28 });
        Assert.StartsWith($"{path}: wrong magic number 0x1F000803", Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path)).Message, StringComparison.Ordinal);
        var other = Write("h-images-idx3-ubyte", new byte[] { 0x00, 0x8b, 0x08, 0x03, 0, 0, 0, 1, 0, 0, 0, 28, 0, 0, 0, 28 });
        Assert.StartsWith($"{other}: wrong magic number 0x008B0803", Assert.Throws<InvalidDataException>(() => Idx.ReadImages(other)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(8)]
    [InlineData(13)]
    [InlineData(21)]
    public void Augmentation_matches_the_crop_and_flip_it_draws_for_every_shift(int seed)
    {
        // Distinct pixel values (r * 28 + c) mod 251 + 1, normalized to themselves; the zero padding stays 0.
        var pixels = Enumerable.Range(0, 784).Select(i => (byte)(i % 251 + 1)).ToArray();
        var set = new ImageSet(pixels, [5], 28, 28);
        var random = new Random(seed);
        random.Shuffle(new int[1]);
        int dy = random.Next(-2, 3), dx = random.Next(-2, 3);
        var flip = random.Next(2) == 1;
        var (x, _) = Batches.Enumerate(set, new Normalization(0, 1.0 / 255), 1, new Random(seed), augment: true).Single();
        var values = x.data<float>().ToArray();
        for (var r = 0; r < 28; r++)
            for (var c = 0; c < 28; c++)
            {
                int sr = r + dy, sc = (flip ? 27 - c : c) + dx;
                Assert.Equal(sr is >= 0 and < 28 && sc is >= 0 and < 28 ? pixels[sr * 28 + sc] : 0, values[r * 28 + c], 3);
            }
    }

    [Fact]
    public void Wrong_magic_names_the_file_and_the_likely_mix_up()
    {
        var (_, labels) = Synthetic();
        var path = Write("t10k-images-idx3-ubyte", labels);
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("wrong magic number 0x00000801", e.Message);
        Assert.Contains("label file", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Truncated_file_is_a_short_read(bool gzip)
    {
        var (images, _) = Synthetic();
        var path = Write("x-images-idx3-ubyte", images[..(16 + 784 * 2 + 100)], gzip);
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.Contains(path, e.Message);
        Assert.Equal($"{path}: short read: {784 * 2 + 100} of {784 * 3} bytes of 3 images of 28x28 (the file is truncated; download it again)", e.Message);
    }

    [Fact]
    public void Corrupt_gzip_is_reported_with_the_file()
    {
        var (images, _) = Synthetic();
        var zipped = new MemoryStream();
        using (var zip = new GZipStream(zipped, CompressionLevel.Fastest, leaveOpen: true)) zip.Write(images);
        var bytes = zipped.ToArray();
        for (var i = 20; i < bytes.Length - 8; i += 3) bytes[i] ^= 0x5a;
        var path = Write("y-images-idx3-ubyte.gz", bytes);
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.StartsWith($"{path}: corrupt gzip data after ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Label_files_short_or_with_no_labels_are_corrupt()
    {
        var shortFile = Write("s-labels-idx1-ubyte", Header(Idx.LabelsMagic, 3).Concat(new byte[] { 1, 2 }).ToArray());
        Assert.Equal($"{shortFile}: short read: 2 of 3 bytes of 3 labels (the file is truncated; download it again)",
            Assert.Throws<InvalidDataException>(() => Idx.ReadLabels(shortFile)).Message);
        var none = Write("n-labels-idx1-ubyte", Header(Idx.LabelsMagic, 0));
        Assert.Equal($"{none}: the header gives label count 0; it must be positive (corrupt header)", Assert.Throws<InvalidDataException>(() => Idx.ReadLabels(none)).Message);
    }

    [Fact]
    public void A_header_claiming_exactly_the_limit_is_read_and_found_short_and_one_more_is_refused()
    {
        // 2^20 images of 32x32 and 2^30 labels are exactly Idx.MaxBytes: allowed, so the reader tries (a 1 GiB buffer) and reports
        // the short file; one more is refused from the header alone.
        var images = Write("m-images-idx3-ubyte", Header(Idx.ImagesMagic, 1 << 20, 32, 32));
        Assert.Equal($"{images}: short read: 0 of 1073741824 bytes of 1048576 images of 32x32 (the file is truncated; download it again)",
            Assert.Throws<InvalidDataException>(() => Idx.ReadImages(images)).Message);
        var more = Write("o-images-idx3-ubyte", Header(Idx.ImagesMagic, (1 << 20) + 1, 32, 32));
        Assert.StartsWith($"{more}: the header claims 1,048,577 images of 32x32 (1,073,742,848 bytes)", Assert.Throws<InvalidDataException>(() => Idx.ReadImages(more)).Message, StringComparison.Ordinal);
        var labels = Write("m-labels-idx1-ubyte", Header(Idx.LabelsMagic, 1 << 30));
        Assert.Equal($"{labels}: short read: 0 of 1073741824 bytes of 1073741824 labels (the file is truncated; download it again)",
            Assert.Throws<InvalidDataException>(() => Idx.ReadLabels(labels)).Message);
        var moreLabels = Write("o-labels-idx1-ubyte", Header(Idx.LabelsMagic, (1 << 30) + 1));
        Assert.StartsWith($"{moreLabels}: the header claims 1,073,741,825 labels", Assert.Throws<InvalidDataException>(() => Idx.ReadLabels(moreLabels)).Message, StringComparison.Ordinal);
        GC.Collect();
    }

    [Fact]
    public void Header_with_zero_images_is_corrupt()
    {
        var path = Write("z-images-idx3-ubyte", Header(Idx.ImagesMagic, 0, 28, 28));
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.Contains("image count 0", e.Message);
    }

    [Fact]
    public void Headers_claiming_huge_sizes_are_corrupt_not_out_of_memory()
    {
        var images = Write("h-images-idx3-ubyte", Header(Idx.ImagesMagic, 10_000_000, 28, 28));
        Assert.Contains("the header claims 10,000,000 images of 28x28", Assert.Throws<InvalidDataException>(() => Idx.ReadImages(images)).Message);
        var labels = Write("h-labels-idx1-ubyte", Header(Idx.LabelsMagic, int.MaxValue));
        Assert.Contains("the header claims 2,147,483,647 labels", Assert.Throws<InvalidDataException>(() => Idx.ReadLabels(labels)).Message);
    }

    [Fact]
    public void Image_and_label_counts_must_agree()
    {
        var (images, _) = Synthetic(3);
        var (_, labels) = Synthetic(2);
        Write("t10k-images-idx3-ubyte", images);
        Write("t10k-labels-idx1-ubyte", labels);
        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.ReadPair(folder, "t10k"));
        Assert.Contains("wrong count: 2 labels for 3 images", e.Message);
    }

    [Fact]
    public void Missing_files_and_folders_name_the_fix()
    {
        var e = Assert.Throws<FileNotFoundException>(() => FashionMnist.ReadPair(folder, "t10k"));
        Assert.Contains("t10k-images-idx3-ubyte", e.Message);
        var d = Assert.Throws<DirectoryNotFoundException>(() => FashionMnist.Locate(Path.Combine(folder, "nope")));
        Assert.Contains("--data", d.Message);
    }

    [Fact]
    public void Data_folder_comes_from_the_option_first()
    {
        Assert.Equal((folder, "--data"), FashionMnist.Locate(folder));
    }

    [Fact]
    public void Normalized_batches_have_zero_mean_and_unit_std_over_the_set()
    {
        var set = FashionMnist.Load(Path.Combine(AppContext.BaseDirectory, "data", "fashion-mnist")).Train.Take(1000);
        var norm = Normalization.Of(set);
        Assert.Equal(set.Pixels.Average(p => p / 255.0), norm.Mean, 12);   // about 0.286, as over Fashion-MNIST's training set
        double sum = 0, squares = 0;
        long n = 0;
        foreach (var (x, y) in Batches.Enumerate(set, norm, 300))
        {
            using (x)
            using (y)
            {
                Assert.Equal(new long[] { y.shape[0], 1, 28, 28 }, x.shape);
                sum += x.sum().item<float>();
                squares += x.square().sum().item<float>();
                n += x.numel();
            }
        }
        Assert.Equal(784 * 1000, n);
        Assert.Equal(0, sum / n, 3);
        Assert.Equal(1, squares / n, 3);
    }

    [Fact]
    public void Augmentation_flips_and_shifts_with_zero_padding()
    {
        // One image whose pixel (r, c) is r * 28 + c (mod 256), normalized with mean 0 and std 1/255: x = pixel value.
        var pixels = Enumerable.Range(0, 784).Select(i => (byte)(i % 251)).ToArray();
        var set = new ImageSet(pixels, [3], 28, 28);
        var norm = new Normalization(0, 1.0 / 255);
        // Reproduce the batcher's draws: shuffle, then dy, dx, flip.
        var random = new Random(7);
        random.Shuffle(new int[1]);
        int dy = random.Next(-2, 3), dx = random.Next(-2, 3);
        var flip = random.Next(2) == 1;
        var (x, y) = Batches.Enumerate(set, norm, 1, new Random(7), augment: true).Single();
        var values = x.data<float>().ToArray();
        for (int r = 0; r < 28; r++)
            for (int c = 0; c < 28; c++)
            {
                int sr = r + dy, sc = (flip ? 27 - c : c) + dx;
                var expected = sr is >= 0 and < 28 && sc is >= 0 and < 28 ? pixels[sr * 28 + sc] : 0;
                Assert.Equal(expected, values[r * 28 + c], 3);
            }
        Assert.Equal(3, y.item<long>());
    }
}
