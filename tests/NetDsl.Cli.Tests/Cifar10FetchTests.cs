using System;
using System.Collections.Generic;
using System.Formats.Tar;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using NetDsl.Experiments.Data;
using Xunit;

namespace NetDsl.Cli.Tests;

/// <summary><c>netdsl data fetch cifar10</c> against a local HTTP server serving small <c>.tar.gz</c> archives the test builds.</summary>
[Collection("console")]
public sealed class Cifar10FetchTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("netdsl-fetch-cifar-").FullName;
    readonly LocalFileServer server = new("kriz/");

    public void Dispose()
    {
        server.Dispose();
        Directory.Delete(folder, recursive: true);
    }

    const string Archive = "cifar-10-binary.tar.gz";

    /// <summary>A CIFAR-10 folder of 2 + 1 + 1 + 1 + 1 training and 2 test records, as the official archive holds it (with its readme).</summary>
    static Dictionary<string, byte[]> Members() =>
        SyntheticCifar.Files([2, 1, 1, 1, 1], 2, n => (byte)(n % 10), (n, c, k) => (byte)(n + c + k));

    /// <summary>A .tar.gz of <paramref name="files"/> under <c>cifar-10-batches-bin/</c>, plus any <paramref name="extra"/> entries by full name.</summary>
    static byte[] TarGz(Dictionary<string, byte[]> files, params (string Name, byte[] Bytes)[] extra)
    {
        using var memory = new MemoryStream();
        using (var gzip = new GZipStream(memory, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "cifar-10-batches-bin/"));
            foreach (var (name, bytes) in files.Select(kv => ($"cifar-10-batches-bin/{kv.Key}", kv.Value)).Append(("cifar-10-batches-bin/readme.html", "<html/>"u8.ToArray())).Concat(extra))
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(bytes) });
        }
        return memory.ToArray();
    }

    /// <summary>Serves <paramref name="archive"/> and returns CIFAR-10's entry pointed at the server with the archive's own MD5 (the
    /// "published" checksum of the test's archive).</summary>
    DownloadableDataset Serve(byte[] archive, string? md5 = null)
    {
        server.Files[Archive] = archive;
        return Fetch.Cifar10 with { BaseUrl = server.BaseUrl, Files = [new DownloadFile(Archive, md5 ?? Convert.ToHexStringLower(MD5.HashData(archive)))] };
    }

    bool Run(DownloadableDataset dataset, string target, out string log)
    {
        using var http = new HttpClient();
        var writer = new StringWriter();
        var downloaded = Fetch.RunAsync(dataset, target, http, writer).GetAwaiter().GetResult();
        log = writer.ToString();
        return downloaded;
    }

    void AssertNothingLeft(string target)
    {
        Assert.False(Directory.Exists(target), $"{target} was created");
        Assert.Equal([], Directory.GetFileSystemEntries(Path.GetDirectoryName(target)!).Select(Path.GetFileName).Where(n => n!.Contains("partial", StringComparison.Ordinal)));
    }

    [Fact]
    public void The_official_entry_is_the_binary_archive_with_its_published_md5()
    {
        Assert.Equal(["fashion-mnist", "mnist", "cifar10"], Fetch.All.Select(d => d.Name));
        Assert.Equal("https://www.cs.toronto.edu/~kriz/", Fetch.Cifar10.BaseUrl);
        var file = Assert.Single(Fetch.Cifar10.Files);
        Assert.Equal(("cifar-10-binary.tar.gz", "c32a1d4ab5d03f1284b67883e8d87530"), (file.Name, file.Md5));
        Assert.Equal("cifar-10-batches-bin", Fetch.Cifar10.Archive!.Folder);
        Assert.Equal(["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin", "batches.meta.txt"], Fetch.Cifar10.Archive.Members);
    }

    [Fact]
    public void A_fetch_downloads_verifies_unpacks_the_batches_flat_and_only_once()
    {
        var members = Members();
        // An entry that climbs out of the archive's folder is never written.
        var dataset = Serve(TarGz(members, ("cifar-10-batches-bin/../../escaped.bin", [1, 2, 3])));
        var target = Path.Combine(folder, "cifar10");
        Assert.True(Run(dataset, target, out var log));
        Assert.Contains($"downloading {server.BaseUrl}{Archive}", log, StringComparison.Ordinal);
        Assert.Contains($"CIFAR-10: {Archive} verified, 7 files unpacked into {target}", log, StringComparison.Ordinal);
        Assert.Equal(members.Keys.Order(StringComparer.Ordinal), Directory.GetFiles(target).Select(Path.GetFileName).Order(StringComparer.Ordinal)!);
        foreach (var (name, bytes) in members) Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(target, name)));
        Assert.Equal([], Directory.GetFileSystemEntries(folder).Select(Path.GetFileName).Where(n => n != "cifar10"));
        // What compare loads from it.
        var data = FashionMnist.Load(target, ImageDataset.Cifar10);
        Assert.Equal((6, 2, 3), (data.Train.Count, data.Test.Count, data.Train.Channels));
        // Again: the unpacked files read, nothing is downloaded.
        var before = server.Requests;
        Assert.False(Run(dataset, target, out var again));
        Assert.Equal(before, server.Requests);
        Assert.Equal($"CIFAR-10 is already in {target} (its files read)\n", again.Replace("\r", "", StringComparison.Ordinal));
        // A folder with part of the dataset, or a damaged file, is not taken for it.
        File.Delete(Path.Combine(target, "data_batch_4.bin"));
        var part = Assert.Throws<InvalidDataException>(() => Run(dataset, target, out _));
        Assert.Equal($"{target} already holds CIFAR-10 files, but not the whole dataset (lacks data_batch_4.bin); remove them, or fetch into another folder with --to", part.Message);
    }

    [Fact]
    public void A_wrong_checksum_names_the_archive_and_writes_nothing()
    {
        var dataset = Serve(TarGz(Members()), md5: new string('0', 32));
        var target = Path.Combine(folder, "cifar10");
        var e = Assert.Throws<InvalidDataException>(() => Run(dataset, target, out _));
        var actual = Convert.ToHexStringLower(MD5.HashData(server.Files[Archive]));
        Assert.Equal($"{server.BaseUrl}{Archive}: MD5 {actual}, but the published checksum is {new string('0', 32)}: the file is corrupt or not the official one; nothing was written", e.Message);
        AssertNothingLeft(target);
    }

    [Fact]
    public void An_interrupted_download_is_an_error_and_writes_nothing()
    {
        var dataset = Serve(TarGz(Members()));
        server.Truncated.Add(Archive);
        var target = Path.Combine(folder, "cifar10");
        var e = Assert.Throws<HttpRequestException>(() => Run(dataset, target, out _));
        Assert.StartsWith($"{server.BaseUrl}{Archive}: the download broke off after ", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("nothing was written, run the command again", e.Message, StringComparison.Ordinal);
        AssertNothingLeft(target);
    }

    [Fact]
    public void A_corrupt_archive_with_a_matching_checksum_is_refused_and_writes_nothing()
    {
        // The publisher's checksum of a broken archive (the gzip stream cut in half): the bytes match, the archive does not unpack.
        var whole = TarGz(Members());
        var dataset = Serve(whole[..(whole.Length / 2)]);
        var target = Path.Combine(folder, "cifar10");
        var e = Assert.Throws<InvalidDataException>(() => Run(dataset, target, out _));
        Assert.StartsWith($"the downloaded archive matches its checksum but does not unpack as a .tar.gz ({Archive}: ", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("; nothing was written", e.Message, StringComparison.Ordinal);
        AssertNothingLeft(target);

        // Not gzip at all.
        dataset = Serve("not an archive"u8.ToArray());
        Assert.StartsWith("the downloaded archive matches its checksum but does not unpack as a .tar.gz", Assert.Throws<InvalidDataException>(() => Run(dataset, target, out _)).Message, StringComparison.Ordinal);
        AssertNothingLeft(target);
    }

    [Fact]
    public void An_archive_without_a_batch_or_with_a_broken_batch_is_refused_and_writes_nothing()
    {
        var members = Members();
        members.Remove("data_batch_3.bin");
        var target = Path.Combine(folder, "cifar10");
        var e = Assert.Throws<InvalidDataException>(() => Run(Serve(TarGz(members)), target, out _));
        Assert.Equal($"the downloaded archive {Archive} lacks cifar-10-batches-bin/data_batch_3.bin; nothing was written", e.Message);
        AssertNothingLeft(target);

        members = Members();
        members["test_batch.bin"] = members["test_batch.bin"][..100];
        var bad = Assert.Throws<InvalidDataException>(() => Run(Serve(TarGz(members)), target, out _));
        Assert.StartsWith("the downloaded files match their checksums but do not read as CIFAR-10 binary batches (", bad.Message, StringComparison.Ordinal);
        Assert.Contains("test_batch.bin: 100 bytes is not a whole number of 3,073-byte records", bad.Message, StringComparison.Ordinal);
        AssertNothingLeft(target);
    }

    [Fact]
    public void Unpacking_takes_the_last_copy_of_each_member_file_of_the_folder_and_nothing_else()
    {
        var members = Members();
        // The archive's readme.html (TarGz adds it), a file at the top, a member's name in another folder and a later copy
        // of a member (tar -r appends one: the last copy is the file).
        var archive = Path.Combine(folder, Archive);
        File.WriteAllBytes(archive, TarGz(members, ("README", [1]), ("cifar-10-batches-bin/test_batch.bin", [7, 7, 7]), ("other/test_batch.bin", [9, 9])));
        var target = Path.Combine(folder, "unpacked");
        Fetch.Unpack(archive, Fetch.Cifar10.Archive!, target);
        Assert.Equal(members.Keys.Order(StringComparer.Ordinal), Directory.GetFiles(target).Select(Path.GetFileName).Order(StringComparer.Ordinal)!);
        Assert.Equal([7, 7, 7], File.ReadAllBytes(Path.Combine(target, "test_batch.bin")));
        foreach (var (name, bytes) in members.Where(kv => kv.Key != "test_batch.bin")) Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(target, name)));

        members.Remove("data_batch_2.bin");
        members.Remove("batches.meta.txt");
        File.WriteAllBytes(archive, TarGz(members));
        var e = Assert.Throws<InvalidDataException>(() => Fetch.Unpack(archive, Fetch.Cifar10.Archive!, Path.Combine(folder, "other")));
        Assert.Equal($"the downloaded archive {Archive} lacks cifar-10-batches-bin/data_batch_2.bin, cifar-10-batches-bin/batches.meta.txt; nothing was written", e.Message);
    }

    [Fact]
    public void A_folder_already_holding_the_files_is_checked_by_reading_them_and_the_archive_alone_is_not_the_dataset()
    {
        var archive = TarGz(Members());
        var dataset = Serve(archive);
        var target = Path.Combine(folder, "cifar10");
        // The archive itself lying in the folder (downloaded by hand) is not the unpacked dataset: it is fetched and unpacked.
        Directory.CreateDirectory(target);
        File.WriteAllBytes(Path.Combine(target, Archive), archive);
        Assert.True(Run(dataset, target, out _));
        Assert.Equal(Members()["test_batch.bin"], File.ReadAllBytes(Path.Combine(target, "test_batch.bin")));
        // Every member there but one that does not read: named with what is wrong with it.
        File.WriteAllBytes(Path.Combine(target, "test_batch.bin"), new byte[100]);
        var damaged = Assert.Throws<InvalidDataException>(() => Run(dataset, target, out _));
        Assert.Equal($"{target} already holds CIFAR-10 files, but not the whole dataset ({Path.Combine(target, "test_batch.bin")}: 100 bytes is not a whole number of 3,073-byte records " +
                     "(1 label + 3,072 pixels); the file is truncated or not a CIFAR-10 binary batch (0 records and 100 bytes over; CIFAR-100's records are 3,074 bytes)); " +
                     "remove them, or fetch into another folder with --to", damaged.Message);
        // Two missing: both named.
        File.Delete(Path.Combine(target, "test_batch.bin"));
        File.Delete(Path.Combine(target, "data_batch_1.bin"));
        var part = Assert.Throws<InvalidDataException>(() => Run(dataset, target, out _));
        Assert.Contains("(lacks data_batch_1.bin, test_batch.bin)", part.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_command_fetches_cifar10_from_a_mirror_checked_against_the_official_checksum()
    {
        Serve(TarGz(Members()));
        var target = Path.Combine(folder, "cifar10");
        var (code, stdout, error) = CommandLineTests.Run("data", "fetch", "cifar10", "--to", target, "--mirror", server.BaseUrl);
        Assert.Equal(1, code);
        Assert.Contains($"downloading {server.BaseUrl}{Archive}", stdout, StringComparison.Ordinal);
        var actual = Convert.ToHexStringLower(MD5.HashData(server.Files[Archive]));
        Assert.Equal($"error: {server.BaseUrl}{Archive}: MD5 {actual}, but the published checksum is c32a1d4ab5d03f1284b67883e8d87530: the file is corrupt or not the official one; nothing was written", error.Trim());
        AssertNothingLeft(target);
        var unknown = CommandLineTests.Run("data", "fetch", "cifar100");
        Assert.Equal(2, unknown.Code);
        Assert.Equal("error: unknown dataset 'cifar100'; choose one of: fashion-mnist, mnist, cifar10", unknown.Error.Trim());
    }
}
