using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using NetDsl.Experiments;
using NetDsl.Experiments.Data;
using NetDsl.Experiments.Results;
using NetDsl.Experiments.Training;
using TorchSharp.Modules;
using Xunit;

namespace NetDsl.Cli.Tests;

// The input normalization, not the layer-normalization enum NetDsl.Normalization (the enclosing namespace's type would win).

/// <summary>A user's residual unit for colour images (this test assembly plays the user's, as in <see cref="UserNetworkTests"/>).
/// Without BatchNorm: TorchSharp 0.107's own BatchNorm.forward increments num_batches_tracked with temporary Scalars
/// (<c>num_batches_tracked.add_(1)</c>), which the GC can free while LibTorch reads them; under a busy full test run that failed
/// this test's residual job with "For integral input tensors, argument alpha must not be a floating point number" (2 runs of 4).
/// The data path under test does not need BatchNorm.</summary>
[Block, Residual, Activation(Nonlinearity.ReLU)]
public partial class CifarLabUnit
{
    [Conv(Kernel = 3)] Conv2d conv1;
    [Conv(Kernel = 3)] Conv2d conv2;
}

/// <summary>A user's CIFAR-10 network: residual or plain.</summary>
[Network, Input(3, 32, 32), Activation(Nonlinearity.ReLU)]
[Variants(Residual = new[] { true, false })]
public partial class CifarLabNet
{
    [Conv(8, Kernel = 3, Stride = 2)] Conv2d conv1;
    [Stage(Blocks = 1, Channels = 8)] ModuleList<CifarLabUnit> layer1;
    [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
    [Linear(10)] Linear fc;
}

/// <summary>Writes folders in CIFAR-10's binary format: 3,073-byte records (label, 1,024 R, 1,024 G, 1,024 B).</summary>
static class SyntheticCifar
{
    /// <summary>Five training files holding <paramref name="perFile"/> records each and a test file of <paramref name="test"/>; record n
    /// (numbered through the training files, then the test file) has label <paramref name="label"/>(n) and pixel value
    /// <paramref name="pixel"/>(n, c, k) at channel c, position k = row * 32 + column.</summary>
    public static Dictionary<string, byte[]> Files(int[] perFile, int test, Func<int, byte> label, Func<int, int, int, byte> pixel, bool meta = true)
    {
        var files = new Dictionary<string, byte[]>();
        var n = 0;
        byte[] Records(int count)
        {
            var bytes = new byte[count * Cifar10.RecordSize];
            for (var r = 0; r < count; r++, n++)
            {
                bytes[r * Cifar10.RecordSize] = label(n);
                for (var c = 0; c < 3; c++)
                    for (var k = 0; k < 1024; k++)
                        bytes[r * Cifar10.RecordSize + 1 + c * 1024 + k] = pixel(n, c, k);
            }
            return bytes;
        }
        for (var f = 0; f < 5; f++) files[$"data_batch_{f + 1}.bin"] = Records(perFile[f]);
        files["test_batch.bin"] = Records(test);
        if (meta) files["batches.meta.txt"] = System.Text.Encoding.ASCII.GetBytes(string.Join("\n", Cifar10.ClassNames.Select(c => c.ToUpperInvariant())) + "\n\n");
        return files;
    }

    public static string Write(string folder, Dictionary<string, byte[]> files)
    {
        Directory.CreateDirectory(folder);
        foreach (var (name, bytes) in files) File.WriteAllBytes(Path.Combine(folder, name), bytes);
        return folder;
    }

    /// <summary>A few hundred images a small network can learn something from: the red plane's brightness grows with the label.</summary>
    public static string Learnable(string folder, int perFile = 60, int test = 100)
    {
        var random = new Random(3);
        var noise = Enumerable.Range(0, 3 * 1024).Select(_ => (byte)random.Next(0, 60)).ToArray();
        return Write(folder, Files([perFile, perFile, perFile, perFile, perFile], test, n => (byte)(n * 7 % 10),
            (n, c, k) => (byte)((c == 0 ? n * 7 % 10 * 19 : 40) + noise[(c * 1024 + k + n * 13) % noise.Length])));
    }
}

public sealed class Cifar10Tests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("netdsl-cifar-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    static byte Pixel(int n, int c, int k) => (byte)((n * 31 + c * 85 + k) % 256);

    [Fact]
    public void Reads_every_record_in_file_order_with_channels_red_green_blue()
    {
        // Training files of 2, 1, 1, 1, 1 records; 3 test records. Record n's label is 3n mod 10.
        var path = SyntheticCifar.Write(Path.Combine(folder, "c"), SyntheticCifar.Files([2, 1, 1, 1, 1], 3, n => (byte)(n * 3 % 10), Pixel));
        var data = FashionMnist.Load(path, ImageDataset.Cifar10);
        Assert.Equal((6, 3), (data.Train.Count, data.Test.Count));
        Assert.Equal((3, 32, 32), (data.Train.Channels, data.Train.Height, data.Train.Width));
        Assert.Equal(new long[] { 3, 32, 32 }, data.Shape);
        Assert.Equal(new byte[] { 0, 3, 6, 9, 2, 5 }, data.Train.Labels);
        Assert.Equal(new byte[] { 8, 1, 4 }, data.Test.Labels);
        // Image 3 (data_batch_3's only record), green, row 5, column 7: byte 3 * 3,072 + 1 * 1,024 + 5 * 32 + 7 of [N, C, H, W].
        Assert.Equal((3 * 31 + 85 + 167) % 256, data.Train.Pixels[3 * 3072 + 1024 + 5 * 32 + 7]);
        // The first test image is record 6; its blue plane's last pixel.
        Assert.Equal((6 * 31 + 2 * 85 + 1023) % 256, data.Test.Pixels[2 * 1024 + 1023]);
        Assert.Equal(Enumerable.Range(0, 6 * 3072).Select(i => Pixel(i / 3072, i % 3072 / 1024, i % 1024)), data.Train.Pixels);
        // The class names of batches.meta.txt (upper-cased here to tell them from the built-in ones), in the report and the fit.
        Assert.Equal(Cifar10.ClassNames.Select(c => c.ToUpperInvariant()), data.ClassNames);
        Assert.Equal("5 training batches and the test batch: 6 training / 3 test images", data.Split);
        Assert.Equal(("CIFAR-10", 10, "CIFAR-10 images"), (data.Fit.Title, data.Fit.Classes, data.Fit.Images));
        Assert.Equal(new long[] { 3, 32, 32 }, data.Fit.Input);
        // Batches are [B, 3, 32, 32]: channel 1 of image 0 holds the green plane.
        var (x, y) = Batches.Enumerate(data.Train, new Normalization([0, 0, 0], [1 / 255.0, 1 / 255.0, 1 / 255.0]), 4).First();
        Assert.Equal(new long[] { 4, 3, 32, 32 }, x.shape);
        Assert.Equal(new long[] { 0, 3, 6, 9 }, y.data<long>().ToArray());
        Assert.Equal(Pixel(0, 1, 33), x[0, 1, 1, 1].item<float>(), 3);
        Assert.Equal(Pixel(2, 2, 1023), x[2, 2, 31, 31].item<float>(), 3);
    }

    [Fact]
    public void Without_batches_meta_the_standard_names_and_the_archive_folder_is_found_from_its_parent()
    {
        SyntheticCifar.Write(Path.Combine(folder, Cifar10.ArchiveFolder), SyntheticCifar.Files([1, 1, 1, 1, 1], 1, _ => 0, Pixel, meta: false));
        var data = FashionMnist.Load(folder, ImageDataset.Cifar10);
        Assert.Equal(Cifar10.ClassNames, data.ClassNames);
        Assert.Equal("airplane", data.ClassNames[0]);
        Assert.Equal("truck", data.ClassNames[9]);
        Assert.Equal(Path.Combine(folder, Cifar10.ArchiveFolder), data.Folder);
        Assert.Equal("--data", data.Origin);
    }

    [Fact]
    public void Normalization_is_per_channel_from_the_training_images_only()
    {
        // Training: red 0 and 255 in turn (mean 0.5, sd 0.5), green 51 for the first 3 images and 153 for the other 3 (0.4, 0.2), blue
        // 255 in the top 8 rows and 0 below (0.25, sqrt(0.25 * 0.75)). Test: every channel 255, other statistics altogether.
        byte Train(int n, int c, int k) => c switch { 0 => (byte)(n % 2 * 255), 1 => (byte)(n < 3 ? 51 : 153), _ => (byte)(k < 256 ? 255 : 0) };
        var path = SyntheticCifar.Write(Path.Combine(folder, "n"), SyntheticCifar.Files([2, 1, 1, 1, 1], 4, n => (byte)(n % 2), (n, c, k) => n < 6 ? Train(n, c, k) : (byte)255));
        var data = FashionMnist.Load(path, ImageDataset.Cifar10);
        var norm = Normalization.Of(data.Train);
        Assert.Equal(3, norm.Channels);
        Assert.Equal(new[] { 0.5, 0.4, 0.25 }, norm.Means.Select(m => Math.Round(m, 12)));
        Assert.Equal(new[] { 0.5, 0.2, Math.Round(Math.Sqrt(0.1875), 12) }, norm.Stds.Select(s => Math.Round(s, 12)));
        Assert.Throws<InvalidOperationException>(() => norm.Mean);
        var test = Normalization.Of(data.Test);
        Assert.Equal(new[] { 1.0, 1.0, 1.0 }, test.Means);
        // A test image is normalized with the training statistics: red (1 - 0.5) / 0.5, green (1 - 0.4) / 0.2, blue 0.75 / 0.433.
        var (x, _) = Batches.Enumerate(data.Test, norm, 4).First();
        Assert.Equal(1.0, x[0, 0, 3, 3].item<float>(), 5);
        Assert.Equal(3.0, x[1, 1, 0, 0].item<float>(), 5);
        Assert.Equal(0.75 / Math.Sqrt(0.1875), x[2, 2, 31, 0].item<float>(), 5);
        // What a job uses: the statistics of its training part (the split less its validation images), never the test images'.
        var experiment = UserNetworks.ExperimentOf(UserNetworks.Select(typeof(Cifar10Tests).Assembly.Location, "CifarLabNet"), typeof(Cifar10Tests).Assembly.Location, data.Fit);
        var spec = new RunSpec(experiment, experiment.Quick, new TrainingOptions { Epochs = 1 }, [0], [0.05], NetDsl.Measurements.InitScheme.HeFanIn, 0.34);
        var (split, used) = new Runner(spec, data, folder).DataOf(0)!.Value;
        Assert.Equal((4, 2), (split.Train.Count, split.Validation.Count));
        Assert.Equal(Normalization.Of(split.Train), used);
        Assert.NotEqual(Normalization.Of(data.Test), used);
        // A normalization for other channels is refused.
        var wrong = Assert.Throws<ArgumentException>(() => Batches.Enumerate(data.Test, new Normalization(0.5, 0.5), 4));
        Assert.StartsWith("the normalization has 1 channel(s), the images 3", wrong.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    public void Augmentation_crops_with_padding_4_and_flips_every_channel_alike(int seed)
    {
        // Channel c, row r, column q holds 60c + 2r + q (all distinct within a channel), normalized to the value itself.
        var pixels = new byte[3 * 1024];
        for (var c = 0; c < 3; c++)
            for (var r = 0; r < 32; r++)
                for (var q = 0; q < 32; q++)
                    pixels[c * 1024 + r * 32 + q] = (byte)(60 * c + 2 * r + q);
        var set = new ImageSet(pixels, [4], 32, 32, 3);
        Assert.Equal(4, Batches.CropPaddingOf(set));
        Assert.Equal(2, Batches.CropPaddingOf(new ImageSet(new byte[784], [0], 28, 28)));
        var norm = new Normalization([0, 0, 0], [1 / 255.0, 1 / 255.0, 1 / 255.0]);
        var (x, _) = Batches.Enumerate(set, norm, 1, new Random(seed), augment: true).Single();
        // The same draws as the batcher: the shuffle of one image draws nothing, then dy, dx in [-4, 4] and the flip.
        var random = new Random(seed);
        random.Shuffle(new int[1]);
        var (dy, dx, flip) = (random.Next(-4, 5), random.Next(-4, 5), random.Next(2) == 1);
        var actual = x.data<float>().ToArray();
        for (var c = 0; c < 3; c++)
            for (var r = 0; r < 32; r++)
                for (var q = 0; q < 32; q++)
                {
                    int sr = r + dy, sq = (flip ? 31 - q : q) + dx;
                    var expected = sr is >= 0 and < 32 && sq is >= 0 and < 32 ? 60 * c + 2 * sr + sq : 0;
                    Assert.Equal(expected, actual[c * 1024 + r * 32 + q], 3);
                }
    }

    [Fact]
    public void Only_50000_training_and_10000_test_images_are_called_the_standard_split_and_NETDSL_CIFAR10_names_the_folder()
    {
        // Sparse files of zero records (label 0, black pixels): 5 x 10,000 training and 10,000 test images without writing 184 MB.
        var path = Directory.CreateDirectory(Path.Combine(folder, "standard")).FullName;
        foreach (var name in Cifar10.TrainFiles.Append(Cifar10.TestFile))
            using (var stream = File.Create(Path.Combine(path, name))) stream.SetLength(10_000L * Cifar10.RecordSize);
        Assert.Equal("5 training batches and the test batch: 50,000 training / 10,000 test images (the standard split)", FashionMnist.Load(path, ImageDataset.Cifar10).Split);
        using (var stream = File.Create(Path.Combine(path, Cifar10.TestFile))) stream.SetLength(Cifar10.RecordSize);
        Assert.Equal("5 training batches and the test batch: 50,000 training / 1 test images", FashionMnist.Load(path, ImageDataset.Cifar10).Split);
        var saved = Environment.GetEnvironmentVariable("NETDSL_CIFAR10");
        try
        {
            Environment.SetEnvironmentVariable("NETDSL_CIFAR10", path);
            Assert.Equal((path, "NETDSL_CIFAR10"), FashionMnist.Locate(null, ImageDataset.Cifar10));
        }
        finally
        {
            Environment.SetEnvironmentVariable("NETDSL_CIFAR10", saved);
        }
    }

    [Fact]
    public void A_missing_file_a_partial_record_a_label_above_9_and_bad_class_names_are_refused()
    {
        var files = SyntheticCifar.Files([1, 1, 1, 1, 1], 2, n => (byte)n, Pixel);
        string Fresh(string name, Action<Dictionary<string, byte[]>> change)
        {
            var copy = files.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
            change(copy);
            return SyntheticCifar.Write(Path.Combine(folder, name), copy);
        }
        string Error<T>(string path) where T : Exception => Assert.Throws<T>(() => FashionMnist.Load(path, ImageDataset.Cifar10)).Message;

        var missing = Fresh("missing", f => { f.Remove("data_batch_3.bin"); f.Remove("test_batch.bin"); });
        // Without test_batch.bin the folder is not recognised at all, so the files are looked for where --data points.
        Assert.Equal($"{missing}: no data_batch_3.bin, test_batch.bin; a CIFAR-10 folder holds data_batch_1.bin to data_batch_5.bin and test_batch.bin " +
                     "(the folder cifar-10-batches-bin of cifar-10-binary.tar.gz; `netdsl data fetch cifar10` downloads it)", Error<FileNotFoundException>(missing));

        var partial = Fresh("partial", f => f["data_batch_2.bin"] = f["data_batch_2.bin"].Concat(new byte[] { 1, 2 }).ToArray());
        Assert.Equal($"{Path.Combine(partial, "data_batch_2.bin")}: 3,075 bytes is not a whole number of 3,073-byte records (1 label + 3,072 pixels); " +
                     "the file is truncated or not a CIFAR-10 binary batch (1 records and 2 bytes over; CIFAR-100's records are 3,074 bytes)", Error<InvalidDataException>(partial));

        var label = Fresh("label", f => f["test_batch.bin"][Cifar10.RecordSize] = 10);
        Assert.Equal($"{Path.Combine(label, "test_batch.bin")}: label 10 in record 1 (byte offset 3,073); CIFAR-10 labels are 0 to 9 (is this CIFAR-100's binary format, or another file?)",
            Error<InvalidDataException>(label));

        var empty = Fresh("empty", f => f["data_batch_5.bin"] = []);
        Assert.Equal($"{Path.Combine(empty, "data_batch_5.bin")}: the file is empty; a CIFAR-10 batch holds 3,073-byte records (download it again)", Error<InvalidDataException>(empty));

        var names = Fresh("names", f => f["batches.meta.txt"] = "cat\ndog\n"u8.ToArray());
        Assert.StartsWith($"{Path.Combine(names, "batches.meta.txt")}: 2 line(s) ('cat', 'dog'); CIFAR-10's batches.meta.txt names 10 classes", Error<InvalidDataException>(names), StringComparison.Ordinal);

        // Trailing blank lines are dropped, so a file of blank lines names no class; a blank line among ten is refused too.
        var blank = Fresh("blank", f => f["batches.meta.txt"] = "\n \n\n"u8.ToArray());
        Assert.StartsWith($"{Path.Combine(blank, "batches.meta.txt")}: 0 line(s) (); CIFAR-10's batches.meta.txt names 10 classes", Error<InvalidDataException>(blank), StringComparison.Ordinal);
        var hole = Fresh("hole", f => f["batches.meta.txt"] = System.Text.Encoding.ASCII.GetBytes(string.Join("\n", Cifar10.ClassNames.Take(4).Append("").Concat(Cifar10.ClassNames.Skip(5))) + "\n"));
        Assert.StartsWith($"{Path.Combine(hole, "batches.meta.txt")}: 10 line(s) ('airplane', 'automobile', 'bird', 'cat', '', 'dog', ", Error<InvalidDataException>(hole), StringComparison.Ordinal);

        // More records than one array holds (Array.MaxLength / 3,072 = 699,050) is refused from the file sizes, before reading: the
        // first training file is sparse (2.1 GB long, no disk used), the other four hold a record each.
        var huge = Fresh("huge", _ => { });
        using (var stream = File.Create(Path.Combine(huge, "data_batch_1.bin"))) stream.SetLength(699_047L * Cifar10.RecordSize);
        Assert.Equal("699,051 CIFAR-10 records are more than this reader holds in memory (699,050)", Error<InvalidDataException>(huge));
        Directory.Delete(huge, recursive: true);

        var none = Path.Combine(folder, "none");
        Assert.StartsWith($"data folder '{none}' does not exist; pass a folder with the CIFAR-10 binary files (data_batch_1.bin to data_batch_5.bin, test_batch.bin)",
            Error<DirectoryNotFoundException>(none), StringComparison.Ordinal);
    }
}

/// <summary><c>compare --dataset cifar10</c>: the data's shape against the networks' <c>[Input]</c>, and a user's CIFAR-10 network trained.</summary>
[Collection("console")]
public sealed class Cifar10CompareTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("netdsl-cifar-compare-").FullName;
    static readonly string Me = typeof(Cifar10CompareTests).Assembly.Location;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Built_in_and_grey_networks_are_refused_on_cifar10_with_both_shapes_and_the_fix()
    {
        string Error(params string[] args)
        {
            var (code, _, error) = CommandLineTests.Run(["compare", "--dataset", "cifar10", .. args, "--output", Path.Combine(folder, "x"), "--dry-run"]);
            Assert.Equal(2, code);
            return error.Trim();
        }
        // Refused before any file is read: the folder need not exist.
        var first = Catalog.Find(Catalog.Default)!.VariantsOf(Catalog.Find(Catalog.Default)!.Quick)[0].Name;
        Assert.Equal($"error: {first} takes input [1, 28, 28] per sample; CIFAR-10 images are [3, 32, 32]: the built-in experiments' networks are declared for 28x28 grey images. " +
                     "Compare your own network declared with [Input(3, 32, 32)] (--assembly or --project, see the README's \"Compare your own networks\"), or use --dataset fashion-mnist or mnist",
            Error("--data", Path.Combine(folder, "nowhere")));
        Assert.StartsWith("error: DepthNet.", Error("-x", "degradation", "--data", Path.Combine(folder, "nowhere")), StringComparison.Ordinal);
        // A user's grey network: its [Input] against the data's, and what to declare.
        Assert.Equal("error: LabNet.Residual.BnAfterConv takes input [1, 28, 28] per sample; CIFAR-10 images are [3, 32, 32]: declare [Input(3, 32, 32)]",
            Error("--assembly", Me, "--network", "LabNet"));
        // And the other way round: the colour network on the default Fashion-MNIST.
        var (code, _, grey) = CommandLineTests.Run("compare", "--assembly", Me, "--network", "CifarLabNet", "--output", Path.Combine(folder, "y"), "--dry-run");
        Assert.Equal(2, code);
        Assert.Equal("error: CifarLabNet.Residual takes input [3, 32, 32] per sample; Fashion-MNIST images are [1, 28, 28]: declare [Input(1, 28, 28)]", grey.Trim());
    }

    [Fact]
    public void List_says_which_dataset_a_colour_network_fits()
    {
        var (code, stdout, error) = CommandLineTests.Run("list", "--assembly", Me);
        Assert.True(code == 0, error);
        Assert.Contains("NetDsl.Cli.Tests.CifarLabNet: cannot be compared on Fashion-MNIST: CifarLabNet.Residual takes input [3, 32, 32] per sample; " +
                        "Fashion-MNIST images are [1, 28, 28]: declare [Input(1, 28, 28)]. It fits --dataset cifar10.", stdout, StringComparison.Ordinal);
        // Two outputs fit no official dataset, whatever the images: only your own data of that shape.
        Assert.Contains("NetDsl.Cli.Tests.LabTwoClassNet: cannot be compared on Fashion-MNIST: LabTwoClassNet outputs [2] per sample; Fashion-MNIST has 10 classes: " +
                        "end the network with [Linear(10)] (after a flatten or global pooling). It fits your own images of [1, 28, 28] (--dataset folder or idx).", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_users_colour_network_is_compared_on_a_cifar10_folder()
    {
        var data = SyntheticCifar.Learnable(Path.Combine(folder, "cifar"));
        var output = Path.Combine(folder, "run");
        var (code, stdout, error) = CommandLineTests.Run("compare", "--assembly", Me, "--network", "CifarLabNet", "--dataset", "cifar10", "--data", data,
            "--epochs", "1", "--seeds", "0", "--lr", "0.05", "--augment", "--threads", "1", "--output", output, "--plain");
        Assert.True(code == 0, error + stdout);
        Assert.Contains("CifarLabNet (quick): 2 variants x 1 seed x 1 learning rate (0.05) = 2 jobs", stdout, StringComparison.Ordinal);
        var results = RunResults.Load(Path.Combine(output, "results.json"));
        Assert.Equal("cifar10", results.Settings.Dataset);
        Assert.Equal(new[] { 3, 32, 32 }, results.Settings.ImageShape);
        Assert.Equal(Cifar10.ClassNames.Select(c => c.ToUpperInvariant()), results.Settings.ClassNames);
        Assert.Equal(new[] { "CifarLabNet.Residual", "CifarLabNet.Plain" }, results.Variants.Select(v => v.Name));
        // 300 training images less 10% for validation, 100 test images, every job one epoch with finite numbers.
        Assert.Equal((270, 30, 100), (results.Settings.TrainImages, results.Settings.ValidationImages, results.Settings.TestImages));
        Assert.True(results.Settings.Augment);
        Assert.All(results.Variants, v =>
        {
            var epoch = Assert.Single(Assert.Single(v.Jobs).Epochs);
            Assert.True(double.IsFinite(epoch.TrainLoss) && epoch.TestAccuracy is >= 0 and <= 1, $"{v.Name}: {epoch.TrainLoss} {epoch.TestAccuracy}");
        });
        Assert.Contains(" --dataset cifar10 --data ", results.Settings.CommandLine, StringComparison.Ordinal);
        var md = File.ReadAllText(Path.Combine(output, "report.md"));
        Assert.Contains($"| data | CIFAR-10: {data} (\\--data; 5 training batches and the test batch\\: 300 training / 100 test images) |", md.Replace(data.Replace("-", "\\-", StringComparison.Ordinal), data, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("| TRUCK |", md, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(output, "index.html")));
        using var plan = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "plan.json")));
        Assert.Equal("cifar10", plan.RootElement.GetProperty("Settings").GetProperty("Dataset").GetString());
    }
}
