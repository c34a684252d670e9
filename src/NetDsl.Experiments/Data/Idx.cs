using System;
using System.IO;
using System.IO.Compression;
using static System.FormattableString;

namespace NetDsl.Experiments.Data;

/// <summary>
/// Reader for the IDX files of MNIST and Fashion-MNIST (LeCun et al.): a big-endian header
/// (magic <c>0x00000803</c> for unsigned-byte images <c>[N, H, W]</c>, <c>0x00000801</c> for
/// unsigned-byte labels <c>[N]</c>), then the bytes. Files may be gzip-compressed (detected by content,
/// not by name).
/// </summary>
public static class Idx
{
    /// <summary>Magic number of an unsigned-byte, three-dimensional IDX file (images).</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>Magic number of an unsigned-byte, one-dimensional IDX file (labels).</summary>
    public const int LabelsMagic = 0x00000801;

    /// <summary>Largest payload read (1 GiB: Fashion-MNIST's training images are 47 MB); a header claiming more is corrupt, not a reason to run out of memory.</summary>
    public const int MaxBytes = 1 << 30;

    /// <summary>Reads an image file: <c>[N, H, W]</c> bytes, row-major, 0 (background) to 255.</summary>
    /// <param name="path">An <c>*-images-idx3-ubyte</c> file, raw or gzip-compressed.</param>
    /// <returns>The pixels, the count N and the image height and width.</returns>
    /// <exception cref="InvalidDataException">Wrong magic number, a non-positive dimension, a header claiming more than
    /// <see cref="MaxBytes"/>, a short read (truncated file) or a corrupt gzip stream; the message names the file.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static (byte[] Pixels, int Count, int Height, int Width) ReadImages(string path)
    {
        using var stream = Open(path);
        var magic = ReadInt(stream, path);
        if (magic != ImagesMagic)
            throw new InvalidDataException(Invariant($"{path}: wrong magic number 0x{magic:X8}; an IDX image file starts with 0x{ImagesMagic:X8} (is this a label file, or not an IDX file?)"));
        var count = ReadDimension(stream, path, "image count");
        var height = ReadDimension(stream, path, "height");
        var width = ReadDimension(stream, path, "width");
        var size = (long)count * height * width;
        if (size > MaxBytes)
            throw new InvalidDataException(Invariant($"{path}: the header claims {count:N0} images of {height}x{width} ({size:N0} bytes); more than {MaxBytes:N0} is not an image set this reader takes (corrupt header?)"));
        var pixels = ReadExactly(stream, path, (int)size, $"{count} images of {height}x{width}");
        return (pixels, count, height, width);
    }

    /// <summary>Reads a label file: <c>[N]</c> class indices.</summary>
    /// <param name="path">An <c>*-labels-idx1-ubyte</c> file, raw or gzip-compressed.</param>
    /// <exception cref="InvalidDataException">Wrong magic number, a short read or a corrupt gzip stream.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static byte[] ReadLabels(string path)
    {
        using var stream = Open(path);
        var magic = ReadInt(stream, path);
        if (magic != LabelsMagic)
            throw new InvalidDataException(Invariant($"{path}: wrong magic number 0x{magic:X8}; an IDX label file starts with 0x{LabelsMagic:X8} (is this an image file, or not an IDX file?)"));
        var count = ReadDimension(stream, path, "label count");
        if (count > MaxBytes)
            throw new InvalidDataException(Invariant($"{path}: the header claims {count:N0} labels; more than {MaxBytes:N0} is not a label set this reader takes (corrupt header?)"));
        return ReadExactly(stream, path, count, $"{count} labels");
    }

    static Stream Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        var file = File.OpenRead(path);
        var b0 = file.ReadByte();
        var b1 = file.ReadByte();
        file.Position = 0;
        // gzip starts with 1f 8b; an IDX file starts with two zero bytes.
        return b0 == 0x1f && b1 == 0x8b ? new GZipStream(file, CompressionMode.Decompress) : file;
    }

    static int ReadDimension(Stream stream, string path, string what)
    {
        var value = ReadInt(stream, path);
        if (value <= 0) throw new InvalidDataException(Invariant($"{path}: the header gives {what} {value}; it must be positive (corrupt header)"));
        return value;
    }

    static int ReadInt(Stream stream, string path)
    {
        var b = ReadExactly(stream, path, 4, "the header");
        return (b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
    }

    static byte[] ReadExactly(Stream stream, string path, int count, string what)
    {
        var buffer = new byte[count];
        var read = 0;
        try
        {
            while (read < count)
            {
                var n = stream.Read(buffer, read, count - read);
                if (n == 0) break;
                read += n;
            }
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: corrupt gzip data after {read} of {count} bytes of {what} ({e.Message})", e);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path}: truncated gzip data after {read} of {count} bytes of {what}", e);
        }
        if (read < count)
            throw new InvalidDataException($"{path}: short read: {read} of {count} bytes of {what} (the file is truncated; download it again)");
        return buffer;
    }
}
