using System;
using System.Collections.Generic;
using System.Formats.Tar;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Net.Http;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;

namespace NetDsl.Experiments.Data;

/// <summary>One file of a dataset's official download, with the MD5 its publishers (and torchvision) give for it.</summary>
/// <param name="Name">File name, also its name under the base URL (<c>train-images-idx3-ubyte.gz</c>).</param>
/// <param name="Md5">Published MD5, lower-case hex.</param>
public sealed record DownloadFile(string Name, string Md5);

/// <summary>A dataset <c>netdsl data fetch</c> can download: its official location and files.</summary>
/// <param name="Name">Command-line name (<c>fashion-mnist</c>, <c>mnist</c>).</param>
/// <param name="Title">Human name (<c>Fashion-MNIST</c>).</param>
/// <param name="BaseUrl">The official folder the files are served from (ending in <c>/</c>).</param>
/// <param name="Files">Every file, with its published checksum.</param>
public sealed record DownloadableDataset(string Name, string Title, string BaseUrl, IReadOnlyList<DownloadFile> Files)
{
    /// <summary>For a dataset published as one archive (a <c>.tar.gz</c>, <see cref="Files"/> its only entry): what to take out of it.
    /// Null for datasets whose files are used as downloaded.</summary>
    public ArchiveContents? Archive { get; init; }
}

/// <summary>What <c>data fetch</c> unpacks from a <c>.tar.gz</c> archive: the members of one folder, put flat into the target folder.</summary>
/// <param name="Folder">The folder inside the archive (<c>cifar-10-batches-bin</c>).</param>
/// <param name="Members">The file names taken from it; every one must be there. Other entries are skipped (never written).</param>
public sealed record ArchiveContents(string Folder, IReadOnlyList<string> Members);

/// <summary>
/// <c>netdsl data fetch</c>: downloads a dataset's official files, checks each against its published MD5, unpacks an archive
/// (CIFAR-10's <c>.tar.gz</c>), checks that the files read (counts, sizes, labels), and only then moves them into the target folder;
/// a wrong checksum, an interrupted download or a corrupt file or archive leaves nothing behind.
/// </summary>
public static class Fetch
{
    /// <summary>Fashion-MNIST (Xiao et al. 2017), from Zalando Research's official S3 bucket; checksums from its README.</summary>
    public static readonly DownloadableDataset FashionMnist = new("fashion-mnist", "Fashion-MNIST", "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    [
        new("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        new("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        new("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        new("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]);

    /// <summary>MNIST (LeCun et al. 1998), from the mirror torchvision downloads from; checksums as torchvision's.</summary>
    public static readonly DownloadableDataset Mnist = new("mnist", "MNIST", "https://ossci-datasets.s3.amazonaws.com/mnist/",
    [
        new("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        new("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        new("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        new("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]);

    /// <summary>CIFAR-10 (Krizhevsky 2009), binary version, from its author's page (https://www.cs.toronto.edu/~kriz/cifar.html), which
    /// publishes the archive's MD5; the six batch files and <c>batches.meta.txt</c> of its <c>cifar-10-batches-bin</c> folder are unpacked.</summary>
    public static readonly DownloadableDataset Cifar10 = new("cifar10", "CIFAR-10", "https://www.cs.toronto.edu/~kriz/",
        [new("cifar-10-binary.tar.gz", "c32a1d4ab5d03f1284b67883e8d87530")])
    {
        Archive = new(Data.Cifar10.ArchiveFolder, [.. Data.Cifar10.TrainFiles, Data.Cifar10.TestFile, Data.Cifar10.MetaFile]),
    };

    /// <summary>Every dataset <c>data fetch</c> knows.</summary>
    public static IReadOnlyList<DownloadableDataset> All { get; } = [FashionMnist, Mnist, Cifar10];

    /// <summary>Where <c>data fetch</c> puts a dataset by default, and where <c>compare</c> looks for it:
    /// <c>$XDG_DATA_HOME/netdsl/datasets/&lt;name&gt;</c> (<c>~/.local/share/netdsl/datasets/&lt;name&gt;</c>).</summary>
    public static string DefaultFolder(string name)
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        var root = !string.IsNullOrEmpty(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        return Path.Combine(root, "netdsl", "datasets", name);
    }

    /// <summary>
    /// Downloads <paramref name="dataset"/> into <paramref name="folder"/> (created; it must not hold other files of the dataset
    /// already, unless they are the verified ones: then nothing is downloaded). Files are fetched from <paramref name="baseUrl"/>
    /// (the official one by default, or a mirror holding the same files) into a temporary folder beside the target, each checked
    /// against its MD5 and read as IDX, then moved in. Progress lines go to <paramref name="log"/>.
    /// </summary>
    /// <returns>True when files were downloaded, false when the folder already held the verified dataset.</returns>
    /// <exception cref="InvalidDataException">A checksum differs, a file does not read as IDX, or the folder holds other versions of
    /// the files (the message names the file and the fix); nothing was written.</exception>
    /// <exception cref="HttpRequestException">The server refused a file or the connection broke; nothing was written.</exception>
    public static async Task<bool> RunAsync(DownloadableDataset dataset, string folder, HttpClient http, TextWriter log, string? baseUrl = null,
        CancellationToken cancel = default)
    {
        folder = Path.GetFullPath(folder);
        if (File.Exists(folder)) throw new InvalidDataException($"'{folder}' is a file; --to takes a folder (created if missing)");
        if (dataset.Archive is { } contents)
        {
            // The archive is not kept: the unpacked members are what must be there, and read.
            var there = contents.Members.Where(m => File.Exists(Path.Combine(folder, m))).ToList();
            if (there.Count > 0)
            {
                string? problem = null;
                if (there.Count < contents.Members.Count) problem = $"lacks {string.Join(", ", contents.Members.Except(there))}";
                else
                {
                    try { Validate(folder, dataset); }
                    catch (InvalidDataException e) { problem = e.InnerException?.Message ?? e.Message; }
                }
                if (problem is not null)
                    throw new InvalidDataException($"{folder} already holds {dataset.Title} files, but not the whole dataset ({problem}); remove them, or fetch into another folder with --to");
                log.WriteLine($"{dataset.Title} is already in {folder} (its files read)");
                return false;
            }
        }
        var present = dataset.Archive is not null ? new List<DownloadFile>() : dataset.Files.Where(f => File.Exists(Path.Combine(folder, f.Name))).ToList();
        if (present.Count > 0)
        {
            var wrong = present.FirstOrDefault(f => Md5Of(Path.Combine(folder, f.Name)) != f.Md5);
            if (wrong is not null)
                throw new InvalidDataException($"{Path.Combine(folder, wrong.Name)} is there but is not the published file (MD5 differs); remove it, or fetch into another folder with --to");
            if (present.Count == dataset.Files.Count)
            {
                log.WriteLine($"{dataset.Title} is already in {folder} (checksums verified)");
                return false;
            }
        }
        var parent = Path.GetDirectoryName(folder)!;
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(folder)}.partial-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            var source = baseUrl is null ? dataset.BaseUrl : baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/";
            foreach (var file in dataset.Files)
            {
                var url = source + file.Name;
                log.WriteLine($"downloading {url}");
                var path = Path.Combine(staging, file.Name);
                string md5;
                HttpResponseMessage reply;
                try { reply = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancel).ConfigureAwait(false); }
                catch (HttpRequestException e)
                {
                    throw new HttpRequestException($"{url}: no connection ({e.Message}); nothing was written. Check the network, give --mirror <url> of a copy of the files, " +
                                                   "or download them yourself and pass their folder to compare with --data", e);
                }
                using (var response = reply)
                {
                    if (!response.IsSuccessStatusCode)
                        throw new HttpRequestException($"{url}: the server answered {(int)response.StatusCode} {response.ReasonPhrase}; nothing was written (check the address, or try again later)");
                    using var body = await response.Content.ReadAsStreamAsync(cancel).ConfigureAwait(false);
                    using var hash = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
                    using (var output = File.Create(path))
                    {
                        var buffer = new byte[1 << 16];
                        long received = 0;
                        int read;
                        try
                        {
                            while ((read = await body.ReadAsync(buffer, cancel).ConfigureAwait(false)) > 0)
                            {
                                hash.AppendData(buffer, 0, read);
                                await output.WriteAsync(buffer.AsMemory(0, read), cancel).ConfigureAwait(false);
                                received += read;
                            }
                        }
                        catch (IOException e)
                        {
                            throw new HttpRequestException($"{url}: the download broke off after {received} bytes ({e.Message}); nothing was written, run the command again", e);
                        }
                        if (response.Content.Headers.ContentLength is { } length && received != length)
                            throw new HttpRequestException($"{url}: the download broke off after {received} of {length} bytes; nothing was written, run the command again");
                    }
                    md5 = Convert.ToHexStringLower(hash.GetHashAndReset());
                }
                if (md5 != file.Md5)
                    throw new InvalidDataException($"{url}: MD5 {md5}, but the published checksum is {file.Md5}: the file is corrupt or not the official one; nothing was written");
            }
            var ready = staging;
            IReadOnlyList<string> names = dataset.Files.Select(f => f.Name).ToList();
            if (dataset.Archive is { } archive)
            {
                ready = Path.Combine(staging, "unpacked");
                Unpack(Path.Combine(staging, dataset.Files[0].Name), archive, ready);
                names = archive.Members;
            }
            Validate(ready, dataset);
            Directory.CreateDirectory(folder);
            foreach (var name in names) File.Move(Path.Combine(ready, name), Path.Combine(folder, name), overwrite: true);
            log.WriteLine(dataset.Archive is null ? $"{dataset.Title}: {dataset.Files.Count} files verified, in {folder}"
                : $"{dataset.Title}: {dataset.Files[0].Name} verified, {names.Count} files unpacked into {folder}");
            return true;
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>
    /// Unpacks <paramref name="contents"/>'s members from the <c>.tar.gz</c> at <paramref name="archive"/> into <paramref name="target"/>
    /// (created), flat; only regular files named as members of its folder are written (no path from the archive is trusted).
    /// </summary>
    /// <exception cref="InvalidDataException">The archive is not gzip, not tar, truncated, or lacks a member; the message names it.</exception>
    public static void Unpack(string archive, ArchiveContents contents, string target)
    {
        Directory.CreateDirectory(target);
        var wanted = contents.Members.ToHashSet(StringComparer.Ordinal);
        var found = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            using var file = File.OpenRead(archive);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            using var tar = new TarReader(gzip);
            while (tar.GetNextEntry() is { } entry)
            {
                var name = entry.Name.Replace('\\', '/').TrimStart('.', '/');
                var slash = name.LastIndexOf('/');
                var (parent, leaf) = slash < 0 ? ("", name) : (name[..slash], name[(slash + 1)..]);
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || parent != contents.Folder || !wanted.Contains(leaf)) continue;
                entry.ExtractToFile(Path.Combine(target, leaf), overwrite: true);
                found.Add(leaf);
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException or ArgumentException)
        {
            throw new InvalidDataException($"the downloaded archive matches its checksum but does not unpack as a .tar.gz ({Path.GetFileName(archive)}: {e.Message}); nothing was written", e);
        }
        var missing = contents.Members.Where(m => !found.Contains(m)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"the downloaded archive {Path.GetFileName(archive)} lacks {string.Join(", ", missing.Select(m => $"{contents.Folder}/{m}"))}; nothing was written");
    }

    /// <summary>The files must read as the dataset <c>compare</c> loads: for IDX datasets both splits, matching counts, 28x28, labels
    /// 0 to 9; for CIFAR-10 the six batch files (whole records, labels 0 to 9) and its class names.</summary>
    static void Validate(string folder, DownloadableDataset dataset)
    {
        try
        {
            if (dataset.Archive is not null)
            {
                Data.Cifar10.Read(folder);
                return;
            }
            Data.FashionMnist.ReadPair(folder, "train");
            Data.FashionMnist.ReadPair(folder, "t10k");
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException)
        {
            throw new InvalidDataException($"the downloaded files match their checksums but do not read as {(dataset.Archive is null ? "IDX images and labels" : $"{dataset.Title} binary batches")} ({e.Message}); nothing was written", e);
        }
    }

    static string Md5Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(MD5.HashData(stream));
    }
}
