using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace NetDsl.Experiments.Data;

/// <summary>Per-channel input normalization, <c>(pixel / 255 - Mean) / Std</c>, with statistics taken from the training split.</summary>
/// <param name="Mean">Mean pixel value over the training images, in [0, 1] units.</param>
/// <param name="Std">Standard deviation over the training images, in [0, 1] units.</param>
public sealed record Normalization(double Mean, double Std)
{
    /// <summary>The statistics of <paramref name="set"/> (one grey channel).</summary>
    public static Normalization Of(ImageSet set)
    {
        double sum = 0, sumSquares = 0;
        foreach (var p in set.Pixels)
        {
            var v = p / 255.0;
            sum += v;
            sumSquares += v * v;
        }
        var n = set.Pixels.Length;
        var mean = sum / n;
        return new Normalization(mean, Math.Sqrt(Math.Max(sumSquares / n - mean * mean, 1e-12)));
    }
}

/// <summary>Turns an <see cref="ImageSet"/> into float batches <c>x [B, 1, H, W]</c> and int64 labels <c>y [B]</c>.</summary>
public static class Batches
{
    /// <summary>Padding, in pixels, of the random crop (4 for 32x32 CIFAR in He et al. 2015; 2 for 28x28).</summary>
    public const int CropPadding = 2;

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
    /// crop of the zero-padded image (<see cref="CropPadding"/>) and flipped horizontally with probability 1/2, the standard
    /// augmentation of He et al. 2015. The last batch may be smaller; with <paramref name="noSingleImageBatch"/> it never holds a
    /// single image (see <see cref="Sizes"/>: BatchNorm in training mode cannot normalize one value per channel). Tensors are
    /// created in the caller's dispose scope.
    /// </summary>
    public static IEnumerable<(Tensor X, Tensor Y)> Enumerate(ImageSet set, Normalization norm, int batchSize, Random? random = null, bool augment = false,
        bool noSingleImageBatch = false)
    {
        if (augment && random is null) throw new ArgumentException("augmentation needs a random source", nameof(augment));
        var order = new int[set.Count];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        random?.Shuffle(order);
        int h = set.Height, w = set.Width, size = h * w;
        var scale = (float)(1 / (255 * norm.Std));
        var shift = (float)(norm.Mean / norm.Std);
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
                    dy = random!.Next(-CropPadding, CropPadding + 1);
                    dx = random.Next(-CropPadding, CropPadding + 1);
                    flip = random.Next(2) == 1;
                }
                var source = index * size;
                var target = b * size;
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
            yield return (torch.tensor(x, [count, 1, h, w]), torch.tensor(y));
            start += count;
        }
    }
}
