using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace NetDsl.Experiments.Data;

/// <summary>
/// Per-channel input normalization, <c>(pixel / 255 - Means[c]) / Stds[c]</c> for channel c, with statistics taken from the training
/// split only (what torchvision's CIFAR recipes do with <c>transforms.Normalize(mean, std)</c>).
/// </summary>
public sealed record Normalization
{
    /// <summary>One grey channel: mean and standard deviation over the training images, in [0, 1] units.</summary>
    public Normalization(double mean, double std) : this([mean], [std]) { }

    /// <summary>One mean and standard deviation per channel, in [0, 1] units.</summary>
    /// <exception cref="ArgumentException">No channel, lists of different lengths, or a standard deviation that is not positive.</exception>
    public Normalization(IReadOnlyList<double> means, IReadOnlyList<double> stds)
    {
        if (means.Count == 0 || means.Count != stds.Count)
            throw new ArgumentException($"{means.Count} means and {stds.Count} standard deviations; give one of each per channel (at least one)", nameof(stds));
        if (stds.Any(s => !(s > 0)))
            throw new ArgumentException($"standard deviations must be positive (got {string.Join(", ", stds.Select(s => s.ToString(CultureInfo.InvariantCulture)))})", nameof(stds));
        Means = means.ToArray();
        Stds = stds.ToArray();
    }

    /// <summary>Mean pixel value of each channel over the training images, in [0, 1] units.</summary>
    public IReadOnlyList<double> Means { get; }

    /// <summary>Standard deviation of each channel over the training images, in [0, 1] units (population, as torchvision's recipes compute it).</summary>
    public IReadOnlyList<double> Stds { get; }

    /// <summary>Number of channels.</summary>
    public int Channels => Means.Count;

    /// <summary>The mean of a one-channel (grey) normalization.</summary>
    /// <exception cref="InvalidOperationException">More than one channel: read <see cref="Means"/>.</exception>
    public double Mean => Channels == 1 ? Means[0] : throw new InvalidOperationException($"{Channels} channels: read Means");

    /// <summary>The standard deviation of a one-channel (grey) normalization.</summary>
    /// <exception cref="InvalidOperationException">More than one channel: read <see cref="Stds"/>.</exception>
    public double Std => Channels == 1 ? Stds[0] : throw new InvalidOperationException($"{Channels} channels: read Stds");

    /// <summary>The statistics of <paramref name="set"/>, per channel (over every pixel of that channel in every image).</summary>
    /// <exception cref="ArgumentException">The set holds no image.</exception>
    public static Normalization Of(ImageSet set)
    {
        if (set.Count == 0) throw new ArgumentException("no images to take normalization statistics from", nameof(set));
        int channels = set.Channels, plane = set.Height * set.Width;
        var means = new double[channels];
        var stds = new double[channels];
        for (var c = 0; c < channels; c++)
        {
            double sum = 0, sumSquares = 0;
            for (var i = 0; i < set.Count; i++)
            {
                var start = (long)i * set.ImageSize + (long)c * plane;
                for (var k = 0; k < plane; k++)
                {
                    var v = set.Pixels[start + k] / 255.0;
                    sum += v;
                    sumSquares += v * v;
                }
            }
            var n = (double)set.Count * plane;
            means[c] = sum / n;
            stds[c] = Math.Sqrt(Math.Max(sumSquares / n - means[c] * means[c], 1e-12));
        }
        return new Normalization(means, stds);
    }

    /// <inheritdoc/>
    public bool Equals(Normalization? other) => other is not null && Means.SequenceEqual(other.Means) && Stds.SequenceEqual(other.Stds);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Means[0], Stds[0], Channels);
}

/// <summary>Turns an <see cref="ImageSet"/> into float batches <c>x [B, C, H, W]</c> and int64 labels <c>y [B]</c>.</summary>
public static class Batches
{
    /// <summary>Padding, in pixels, of the random crop of images smaller than 32 pixels (the 28x28 datasets).</summary>
    public const int CropPadding = 2;

    /// <summary>
    /// Padding, in pixels, of the random crop for <paramref name="set"/>'s images: 4 for 32x32 (He et al. 2015's CIFAR-10 recipe,
    /// torchvision's <c>RandomCrop(32, padding=4)</c>) and, in general, an eighth of the shorter side for images of 32 pixels and more;
    /// <see cref="CropPadding"/> (2) below that.
    /// </summary>
    public static int CropPaddingOf(ImageSet set) => Math.Min(set.Height, set.Width) is var side && side >= 32 ? side / 8 : CropPadding;

    /// <summary>
    /// The sizes of the batches <see cref="Enumerate"/> cuts <paramref name="count"/> images into: full batches of
    /// <paramref name="batchSize"/> and a smaller last one; with <paramref name="noSingleImageBatch"/>, a last batch of one image is
    /// merged into the one before (which then holds <paramref name="batchSize"/> + 1), unless every batch is one image (batch size 1:
    /// the caller asked for it).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is below 1 or <paramref name="count"/> negative.</exception>
    public static List<int> Sizes(int count, int batchSize, bool noSingleImageBatch = false)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "the batch size must be at least 1");
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "the image count must not be negative");
        var sizes = new List<int>();
        for (var start = 0; start < count; start += batchSize) sizes.Add(Math.Min(batchSize, count - start));
        if (noSingleImageBatch && batchSize > 1 && sizes.Count > 1 && sizes[^1] == 1)
        {
            sizes.RemoveAt(sizes.Count - 1);
            sizes[^1]++;
        }
        return sizes;
    }

    /// <summary>
    /// Batches over <paramref name="set"/>: in a random order drawn from <paramref name="random"/> when it is given
    /// (training), else in file order (evaluation). With <paramref name="augment"/>, each image is shifted by a random
    /// crop of the zero-padded image (<see cref="CropPaddingOf"/>) and flipped horizontally with probability 1/2, the standard
    /// augmentation of He et al. 2015; every channel of an image gets the same crop and flip, and each channel is normalized with
    /// its own statistics. <c>x</c> is <c>[B, C, H, W]</c> float32. The last batch may be smaller; with <paramref name="noSingleImageBatch"/> it never holds a
    /// single image (see <see cref="Sizes"/>: BatchNorm in training mode cannot normalize one value per channel). Tensors are
    /// created in the caller's dispose scope.
    /// </summary>
    /// <exception cref="ArgumentException">Augmentation without a random source, or a normalization for another number of channels.</exception>
    public static IEnumerable<(Tensor X, Tensor Y)> Enumerate(ImageSet set, Normalization norm, int batchSize, Random? random = null, bool augment = false,
        bool noSingleImageBatch = false)
    {
        if (augment && random is null) throw new ArgumentException("augmentation needs a random source", nameof(augment));
        if (norm.Channels != set.Channels)
            throw new ArgumentException($"the normalization has {norm.Channels} channel(s), the images {set.Channels}; take it from images of this dataset (Normalization.Of)", nameof(norm));
        return Iterate(set, norm, batchSize, random, augment, noSingleImageBatch);
    }

    static IEnumerable<(Tensor X, Tensor Y)> Iterate(ImageSet set, Normalization norm, int batchSize, Random? random, bool augment, bool noSingleImageBatch)
    {
        var order = new int[set.Count];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        random?.Shuffle(order);
        int h = set.Height, w = set.Width, channels = set.Channels, plane = h * w, size = set.ImageSize;
        var padding = CropPaddingOf(set);
        var scales = new float[channels];
        var shifts = new float[channels];
        for (var ch = 0; ch < channels; ch++)
        {
            scales[ch] = (float)(1 / (255 * norm.Stds[ch]));
            shifts[ch] = (float)(norm.Means[ch] / norm.Stds[ch]);
        }
        var start = 0;
        foreach (var count in Sizes(order.Length, batchSize, noSingleImageBatch))
        {
            var x = new float[count * size];
            var y = new long[count];
            for (var b = 0; b < count; b++)
            {
                var index = order[start + b];
                y[b] = set.Labels[index];
                int dy = 0, dx = 0;
                var flip = false;
                if (augment)
                {
                    dy = random!.Next(-padding, padding + 1);
                    dx = random.Next(-padding, padding + 1);
                    flip = random.Next(2) == 1;
                }
                for (var ch = 0; ch < channels; ch++)
                {
                    var source = (long)index * size + ch * plane;
                    var target = b * size + ch * plane;
                    float scale = scales[ch], shift = shifts[ch];
                    for (var r = 0; r < h; r++)
                    {
                        var sr = r + dy;
                        for (var c = 0; c < w; c++)
                        {
                            var sc = (flip ? w - 1 - c : c) + dx;
                            // Outside the image is the zero padding (background), normalized like any pixel.
                            var pixel = sr >= 0 && sr < h && sc >= 0 && sc < w ? set.Pixels[source + sr * w + sc] : (byte)0;
                            x[target + r * w + c] = pixel * scale - shift;
                        }
                    }
                }
            }
            yield return (torch.tensor(x, [count, channels, h, w]), torch.tensor(y));
            start += count;
        }
    }
}
