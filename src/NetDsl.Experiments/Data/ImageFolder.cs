using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using SkiaSharp;
using static System.FormattableString;

namespace NetDsl.Experiments.Data;

/// <summary>
/// A user's own images, one folder per class (<c>--dataset folder --data &lt;root&gt;</c>):
/// <c>&lt;root&gt;/train/&lt;class&gt;/*.png</c> and <c>&lt;root&gt;/test/&lt;class&gt;/*.png</c> (also <c>.jpg</c>, <c>.jpeg</c>, <c>.bmp</c>,
/// <c>.gif</c>, <c>.webp</c>; other files are skipped), decoded with SkiaSharp.
/// <list type="bullet">
/// <item>Classes are the folder names under <c>train</c>, sorted ordinally; label k is the k-th name. <c>test</c> may lack a class but
/// not add one, and no class folder may be empty.</item>
/// <item>Every image of both splits has one size: no resizing (the first image of another size is an error naming it and both sizes).</item>
/// <item>Grey (C = 1) when every file is stored grey (8-bit grey PNG, grey JPEG), else colour (C = 3: R, G, B; grey files repeat their
/// value in all three). Alpha is dropped.</item>
/// <item>Images are ordered class by class in turn (the first file of each class, then the second, ...; file names ordinal within a
/// class), so <c>--subset N</c> and <c>--test-subset N</c>, which take the first N, take every class.</item>
/// </list>
/// </summary>
public static class ImageFolder
{
    /// <summary>The training split's folder under the root.</summary>
    public const string TrainFolder = "train";

    /// <summary>The test split's folder under the root.</summary>
    public const string TestFolder = "test";

    /// <summary>File extensions read as images (ignoring case).</summary>
    public static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"];

    /// <summary>True when <paramref name="root"/> has a <c>train</c> and a <c>test</c> folder.</summary>
    public static bool IsThere(string root) => Directory.Exists(Path.Combine(root, TrainFolder)) && Directory.Exists(Path.Combine(root, TestFolder));

    /// <summary>Reads both splits of <paramref name="root"/> (layout in the class summary).</summary>
    /// <returns>Images <c>[N, C, H, W]</c> with labels, and the class names by label.</returns>
    /// <exception cref="DirectoryNotFoundException">No <c>train</c> or <c>test</c> folder.</exception>
    /// <exception cref="InvalidDataException">No class folder, an empty class folder, a test class the training split lacks, a file that
    /// does not decode, or images of different sizes (the message names the file and its size).</exception>
    public static (ImageSet Train, ImageSet Test, IReadOnlyList<string> ClassNames) Read(string root)
    {
        foreach (var split in new[] { TrainFolder, TestFolder })
            if (!Directory.Exists(Path.Combine(root, split)))
                throw new DirectoryNotFoundException($"{root}: no '{split}' folder; an image folder dataset is <root>/train/<class>/*.png and <root>/test/<class>/*.png (one folder per class)");
        var classes = Directory.GetDirectories(Path.Combine(root, TrainFolder)).Select(Path.GetFileName).OfType<string>()
            .Where(n => !n.StartsWith('.')).Order(StringComparer.Ordinal).ToList();
        if (classes.Count == 0)
            throw new InvalidDataException($"{Path.Combine(root, TrainFolder)}: no class folders; put each class's images in a folder named after it (train/cat/1.png, train/dog/1.png, ...)");
        if (classes.Count > 256) throw new InvalidDataException(Invariant($"{Path.Combine(root, TrainFolder)}: {classes.Count} class folders; at most 256 classes are supported"));
        var testClasses = Directory.GetDirectories(Path.Combine(root, TestFolder)).Select(Path.GetFileName).OfType<string>().Where(n => !n.StartsWith('.')).ToList();
        var extra = testClasses.Where(c => !classes.Contains(c, StringComparer.Ordinal)).Order(StringComparer.Ordinal).ToList();
        if (extra.Count > 0)
            throw new InvalidDataException($"{Path.Combine(root, TestFolder)}: class folder(s) {string.Join(", ", extra.Select(c => $"'{c}'"))} have no training images (train has {string.Join(", ", classes)}); rename or remove them");
        var train = List(root, TrainFolder, classes, required: true);
        var test = List(root, TestFolder, classes, required: false);
        if (test.Count == 0) throw new InvalidDataException($"{Path.Combine(root, TestFolder)}: no images; the test split needs at least one");

        // Headers only first: one size for all, and whether every file is grey (decides C before any pixel is decoded).
        var all = train.Concat(test).ToList();
        SKImageInfo first = default;
        string firstPath = "";
        var grey = true;
        foreach (var (path, _) in all)
        {
            using var codec = Open(path);
            var info = codec.Info;
            if (firstPath.Length == 0) (first, firstPath) = (info, path);
            else if (info.Width != first.Width || info.Height != first.Height)
                throw new InvalidDataException(Invariant($"{path}: {info.Width}x{info.Height} pixels (width x height), but {firstPath} is {first.Width}x{first.Height}; ") +
                                               "every image of the dataset must have one size (netdsl does not resize: resize them beforehand)");
            grey &= info.ColorType == SKColorType.Gray8;
        }
        var channels = grey ? 1 : 3;
        return (Decode(train, first.Width, first.Height, channels), Decode(test, first.Width, first.Height, channels), classes);
    }

    /// <summary>The image files of one split, class by class in turn (file i of every class before file i + 1).</summary>
    static List<(string Path, byte Label)> List(string root, string split, List<string> classes, bool required)
    {
        var perClass = new List<List<string>>();
        for (var label = 0; label < classes.Count; label++)
        {
            var folder = Path.Combine(root, split, classes[label]);
            if (!Directory.Exists(folder))
            {
                if (required) throw new InvalidDataException($"{folder}: not a folder");
                perClass.Add([]);
                continue;
            }
            var files = Directory.GetFiles(folder).Where(f => !Path.GetFileName(f).StartsWith('.') && Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal).ToList();
            if (files.Count == 0)
                throw new InvalidDataException($"{folder}: the class folder '{classes[label]}' holds no images ({string.Join(", ", Extensions)}); add its images or remove the folder");
            perClass.Add(files);
        }
        var ordered = new List<(string, byte)>();
        for (var i = 0; perClass.Any(c => i < c.Count); i++)
            for (var label = 0; label < perClass.Count; label++)
                if (i < perClass[label].Count) ordered.Add((perClass[label][i], (byte)label));
        return ordered;
    }

    static SKCodec Open(string path)
    {
        var codec = SKCodec.Create(path, out var result);
        return codec ?? throw new InvalidDataException($"{path}: does not decode as an image ({result}); fix or remove the file");
    }

    static ImageSet Decode(List<(string Path, byte Label)> files, int width, int height, int channels)
    {
        int plane = width * height, size = channels * plane;
        var pixels = new byte[(long)files.Count * size];
        var labels = new byte[files.Count];
        // Grey decodes to one byte per pixel; colour to RGBA (unpremultiplied: alpha is dropped, not multiplied in).
        var target = channels == 1 ? new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque) : new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(target);
        for (var i = 0; i < files.Count; i++)
        {
            var (path, label) = files[i];
            labels[i] = label;
            using var codec = Open(path);
            var result = codec.GetPixels(target, bitmap.GetPixels());
            if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
                throw new InvalidDataException($"{path}: does not decode ({result}); fix or remove the file");
            if (result == SKCodecResult.IncompleteInput)
                throw new InvalidDataException($"{path}: the image data is truncated; fix or remove the file");
            var span = bitmap.GetPixelSpan();
            var start = (long)i * size;
            if (channels == 1)
            {
                span[..plane].CopyTo(pixels.AsSpan((int)start, plane));
                continue;
            }
            for (var k = 0; k < plane; k++)
            {
                pixels[start + k] = span[4 * k];
                pixels[start + plane + k] = span[4 * k + 1];
                pixels[start + 2 * plane + k] = span[4 * k + 2];
            }
        }
        return new ImageSet(pixels, labels, height, width, channels);
    }
}
