using System;
using System.Buffers.Binary;
using System.Collections.Generic;
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

/// <summary><c>netdsl data fetch</c> against a local HTTP server serving small archives the test builds.</summary>
[Collection("console")]
public sealed class FetchTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("netdsl-fetch-").FullName;
    readonly LocalFileServer server = new("data/");

    public void Dispose()
    {
        server.Dispose();
        Directory.Delete(folder, recursive: true);
    }

    static byte[] Gzip(byte[] raw)
    {
        using var memory = new MemoryStream();
        using (var zip = new GZipStream(memory, CompressionLevel.Fastest)) zip.Write(raw);
        return memory.ToArray();
    }

    static byte[] Idx(int magic, params int[] sizes)
    {
        var header = new byte[4 * (1 + sizes.Length)];
        BinaryPrimitives.WriteInt32BigEndian(header, magic);
        for (var i = 0; i < sizes.Length; i++) BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 * (i + 1)), sizes[i]);
        var count = sizes.Aggregate(1, (a, b) => a * b);
        var body = magic == NetDsl.Experiments.Data.Idx.LabelsMagic ? Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray() : Enumerable.Range(0, count).Select(i => (byte)(i * 7)).ToArray();
        return header.Concat(body).ToArray();
    }

    /// <summary>A 3-image training split and a 2-image test split server.Files as .gz, and the dataset entry naming their checksums.</summary>
    DownloadableDataset Serve3And2()
    {
        server.Files["train-images-idx3-ubyte.gz"] = Gzip(Idx(NetDsl.Experiments.Data.Idx.ImagesMagic, 3, 28, 28));
        server.Files["train-labels-idx1-ubyte.gz"] = Gzip(Idx(NetDsl.Experiments.Data.Idx.LabelsMagic, 3));
        server.Files["t10k-images-idx3-ubyte.gz"] = Gzip(Idx(NetDsl.Experiments.Data.Idx.ImagesMagic, 2, 28, 28));
        server.Files["t10k-labels-idx1-ubyte.gz"] = Gzip(Idx(NetDsl.Experiments.Data.Idx.LabelsMagic, 2));
        return new DownloadableDataset("tiny", "Tiny", server.BaseUrl, server.Files.Select(kv => new DownloadFile(kv.Key, Convert.ToHexStringLower(MD5.HashData(kv.Value)))).ToList());
    }

    bool Run(DownloadableDataset dataset, string target, out string log)
    {
        using var http = new HttpClient();
        var writer = new StringWriter();
        var downloaded = Fetch.RunAsync(dataset, target, http, writer).GetAwaiter().GetResult();
        log = writer.ToString();
        return downloaded;
    }

    /// <summary>Nothing but the files of a finished fetch: no staging folder left beside the target.</summary>
    void AssertNothingLeft(string target)
    {
        Assert.False(Directory.Exists(target), $"{target} was created");
        Assert.DoesNotContain(Directory.GetFileSystemEntries(Path.GetDirectoryName(target)!), p => Path.GetFileName(p).Contains("partial", StringComparison.Ordinal));
    }

    [Fact]
    public void A_fetch_downloads_verifies_and_puts_the_files_in_place_once()
    {
        var dataset = Serve3And2();
        var target = Path.Combine(folder, "tiny");
        Assert.True(Run(dataset, target, out var log));
        Assert.Equal(server.Files.Keys.Order(), Directory.GetFiles(target).Select(Path.GetFileName).Order()!);
        foreach (var (name, bytes) in server.Files) Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(target, name)));
        Assert.Contains("Tiny: 4 files verified, in " + target, log, StringComparison.Ordinal);
        // What compare loads from it.
        var data = FashionMnist.Load(target);
        Assert.Equal((3, 2), (data.Train.Count, data.Test.Count));
        Assert.DoesNotContain(Directory.GetFileSystemEntries(folder), p => Path.GetFileName(p).Contains("partial", StringComparison.Ordinal));
        // Again: verified in place, not downloaded.
        var before = server.Requests;
        Assert.False(Run(dataset, target, out var again));
        Assert.Equal(before, server.Requests);
        Assert.Equal($"Tiny is already in {target} (checksums verified)\n", again.Replace("\r", "", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_mirror_given_without_a_trailing_slash_is_the_folder_the_files_come_from()
    {
        // The dataset's own address leads nowhere: every file must come from the mirror, joined with one '/'.
        var dataset = Serve3And2() with { BaseUrl = "http://127.0.0.1:1/nowhere/" };
        var target = Path.Combine(folder, "tiny");
        using var http = new HttpClient();
        var log = new StringWriter();
        Assert.True(await Fetch.RunAsync(dataset, target, http, log, server.BaseUrl.TrimEnd('/')));
        Assert.Equal(server.Files.Keys.Select(name => $"downloading {server.BaseUrl}{name}").Append($"Tiny: 4 files verified, in {target}"),
            log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        foreach (var (name, bytes) in server.Files) Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(target, name)));
    }

    [Fact]
    public void A_wrong_checksum_names_the_file_and_writes_nothing()
    {
        var dataset = Serve3And2();
        var wrong = dataset with { Files = dataset.Files.Select(f => f.Name == "t10k-images-idx3-ubyte.gz" ? f with { Md5 = new string('0', 32) } : f).ToList() };
        var target = Path.Combine(folder, "tiny");
        var e = Assert.Throws<InvalidDataException>(() => Run(wrong, target, out _));
        var actual = Convert.ToHexStringLower(MD5.HashData(server.Files["t10k-images-idx3-ubyte.gz"]));
        Assert.Equal($"{server.BaseUrl}t10k-images-idx3-ubyte.gz: MD5 {actual}, but the published checksum is {new string('0', 32)}: the file is corrupt or not the official one; nothing was written", e.Message);
        AssertNothingLeft(target);
    }

    [Fact]
    public void An_interrupted_download_is_an_error_and_writes_nothing()
    {
        var dataset = Serve3And2();
        server.Truncated.Add("train-labels-idx1-ubyte.gz");
        var target = Path.Combine(folder, "tiny");
        var e = Assert.Throws<HttpRequestException>(() => Run(dataset, target, out _));
        Assert.StartsWith($"{server.BaseUrl}train-labels-idx1-ubyte.gz: the download broke off after ", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("nothing was written, run the command again", e.Message, StringComparison.Ordinal);
        AssertNothingLeft(target);
    }

    [Fact]
    public void A_corrupt_archive_with_a_matching_checksum_is_refused_and_writes_nothing()
    {
        var dataset = Serve3And2();
        // The publisher's checksum of a broken archive (the gzip stream cut in half): the bytes match, the content does not read.
        var whole = server.Files["t10k-images-idx3-ubyte.gz"];
        var broken = whole[..(whole.Length / 2)];
        server.Files["t10k-images-idx3-ubyte.gz"] = broken;
        var listed = dataset with { Files = dataset.Files.Select(f => f.Name == "t10k-images-idx3-ubyte.gz" ? f with { Md5 = Convert.ToHexStringLower(MD5.HashData(broken)) } : f).ToList() };
        var target = Path.Combine(folder, "tiny");
        var e = Assert.Throws<InvalidDataException>(() => Run(listed, target, out _));
        Assert.StartsWith("the downloaded files match their checksums but do not read as IDX images and labels (", e.Message, StringComparison.Ordinal);
        Assert.Contains("t10k-images-idx3-ubyte.gz", e.Message, StringComparison.Ordinal);
        AssertNothingLeft(target);
    }

    [Fact]
    public void A_missing_file_on_the_server_and_a_foreign_file_in_the_target_are_refused()
    {
        var dataset = Serve3And2();
        server.Files.Remove("train-labels-idx1-ubyte.gz");
        var target = Path.Combine(folder, "tiny");
        var e = Assert.Throws<HttpRequestException>(() => Run(dataset, target, out _));
        Assert.Equal($"{server.BaseUrl}train-labels-idx1-ubyte.gz: the server answered 404 Not Found; nothing was written (check the address, or try again later)", e.Message);
        AssertNothingLeft(target);

        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "t10k-images-idx3-ubyte.gz"), "mine");
        var foreign = Assert.Throws<InvalidDataException>(() => Run(dataset, target, out _));
        Assert.Equal($"{Path.Combine(target, "t10k-images-idx3-ubyte.gz")} is there but is not the published file (MD5 differs); remove it, or fetch into another folder with --to", foreign.Message);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(target, "t10k-images-idx3-ubyte.gz")));
    }

    [Fact]
    public void The_official_entries_name_the_four_idx_files_with_published_checksums()
    {
        Assert.Equal(["fashion-mnist", "mnist", "cifar10"], Fetch.All.Select(d => d.Name));
        foreach (var d in Fetch.All.Where(d => d.Archive is null))
        {
            Assert.Equal(["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"], d.Files.Select(f => f.Name));
            Assert.All(d.Files, f => Assert.Matches("^[0-9a-f]{32}$", f.Md5));
        }
        Assert.Equal("bef4ecab320f06d8554ea6380940ec79", Fetch.FashionMnist.Files[2].Md5);
        Assert.Equal("f68b3c2dcbeaaa9fbdd348bbdeb94873", Fetch.Mnist.Files[0].Md5);
    }

    [Fact]
    public void The_official_entries_have_the_datasets_titles_and_their_publishers_addresses()
    {
        Assert.Equal(("Fashion-MNIST", "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"), (Fetch.FashionMnist.Title, Fetch.FashionMnist.BaseUrl));
        Assert.Equal(("MNIST", "https://ossci-datasets.s3.amazonaws.com/mnist/"), (Fetch.Mnist.Title, Fetch.Mnist.BaseUrl));
        // data fetch and compare --dataset name and title each dataset alike.
        Assert.All(Fetch.All, d => Assert.Equal(d.Title, ImageDataset.Find(d.Name)!.Title));
    }

    [Fact]
    public void A_folder_with_some_of_the_verified_files_gets_the_others_in_place()
    {
        var dataset = Serve3And2();
        var target = Path.Combine(folder, "tiny");
        Directory.CreateDirectory(target);
        File.WriteAllBytes(Path.Combine(target, "train-images-idx3-ubyte.gz"), server.Files["train-images-idx3-ubyte.gz"]);
        Assert.True(Run(dataset, target, out var log));
        Assert.Contains("Tiny: 4 files verified, in " + target, log, StringComparison.Ordinal);
        Assert.Equal(server.Files.Keys.Order(), Directory.GetFiles(target).Select(Path.GetFileName).Order()!);
        foreach (var (name, bytes) in server.Files) Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(target, name)));
    }

    [Fact]
    public void A_training_split_that_does_not_read_is_refused_like_a_test_split()
    {
        var dataset = Serve3And2();
        var whole = server.Files["train-labels-idx1-ubyte.gz"];
        var broken = Gzip(Idx(NetDsl.Experiments.Data.Idx.LabelsMagic, 2));   // 2 labels for 3 images
        server.Files["train-labels-idx1-ubyte.gz"] = broken;
        var listed = dataset with { Files = dataset.Files.Select(f => f.Name == "train-labels-idx1-ubyte.gz" ? f with { Md5 = Convert.ToHexStringLower(MD5.HashData(broken)) } : f).ToList() };
        var target = Path.Combine(folder, "tiny");
        var e = Assert.Throws<InvalidDataException>(() => Run(listed, target, out _));
        Assert.StartsWith("the downloaded files match their checksums but do not read as IDX images and labels (", e.Message, StringComparison.Ordinal);
        Assert.Contains("train-labels-idx1-ubyte.gz: wrong count: 2 labels for 3 images", e.Message, StringComparison.Ordinal);
        AssertNothingLeft(target);
        Assert.NotEqual(whole, broken);
    }

    [Fact]
    public void The_command_checks_a_mirror_against_the_official_checksums()
    {
        Serve3And2();
        var target = Path.Combine(folder, "mnist");
        var (code, stdout, error) = CommandLineTests.Run("data", "fetch", "mnist", "--to", target, "--mirror", server.BaseUrl);
        Assert.Equal(1, code);
        Assert.Contains($"downloading {server.BaseUrl}train-images-idx3-ubyte.gz", stdout, StringComparison.Ordinal);
        var actual = Convert.ToHexStringLower(MD5.HashData(server.Files["train-images-idx3-ubyte.gz"]));
        Assert.Equal($"error: {server.BaseUrl}train-images-idx3-ubyte.gz: MD5 {actual}, but the published checksum is f68b3c2dcbeaaa9fbdd348bbdeb94873: the file is corrupt or not the official one; nothing was written", error.Trim());
        AssertNothingLeft(target);

        var unknown = CommandLineTests.Run("data", "fetch", "imagenet");
        Assert.Equal(2, unknown.Code);
        Assert.Equal("error: unknown dataset 'imagenet'; choose one of: fashion-mnist, mnist, cifar10", unknown.Error.Trim());
        // Nothing listens on the port: a connection error says what to do instead.
        var closed = CommandLineTests.Run("data", "fetch", "mnist", "--to", target, "--mirror", $"http://127.0.0.1:{LocalFileServer.FreePort()}/");
        Assert.Equal(1, closed.Code);
        Assert.Contains("no connection (", closed.Error, StringComparison.Ordinal);
        Assert.EndsWith("nothing was written. Check the network, give --mirror <url> of a copy of the files, or download them yourself and pass their folder to compare with --data", closed.Error.Trim(), StringComparison.Ordinal);
        AssertNothingLeft(target);
        var file = Path.Combine(folder, "a-file");
        File.WriteAllText(file, "x");
        Assert.Equal($"error: '{file}' is a file; --to takes a folder (created if missing)", CommandLineTests.Run("data", "fetch", "mnist", "--to", file, "--mirror", server.BaseUrl).Error.Trim());
        var badMirror = CommandLineTests.Run("data", "fetch", "mnist", "--mirror", "not a url");
        Assert.Equal(2, badMirror.Code);
        Assert.StartsWith("error: --mirror 'not a url' is not an absolute URL", badMirror.Error.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_on_mnist_names_the_dataset_and_its_classes()
    {
        // MNIST's files have Fashion-MNIST's format: the bundled files stand in for them (only the names matter here).
        var data = Path.Combine(folder, "mnist");
        Directory.CreateDirectory(data);
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "data", "fashion-mnist"), "*.gz")) File.Copy(file, Path.Combine(data, Path.GetFileName(file)));
        var output = Path.Combine(folder, "run");
        var (code, stdout, error) = CommandLineTests.Run("compare", "--dataset", "mnist", "--data", data, "--only", "Residual.BnAfterConv", "--subset", "300", "--epochs", "1",
            "--seeds", "0", "--lr", "0.05", "--test-subset", "200", "--threads", "1", "--output", output, "--plain");
        Assert.True(code == 0, error + stdout);
        var results = NetDsl.Experiments.Results.RunResults.Load(Path.Combine(output, "results.json"));
        Assert.Equal("mnist", results.Settings.Dataset);
        Assert.Equal(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"], results.Settings.ClassNames);
        var md = File.ReadAllText(Path.Combine(output, "report.md"));
        Assert.Contains($"| data | MNIST: {data} (\\--data; test files only", md.Replace(data.Replace("-", "\\-", StringComparison.Ordinal), data, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("\n| 7 |", md, StringComparison.Ordinal);
        Assert.DoesNotContain("Ankle boot", md, StringComparison.Ordinal);
        Assert.Contains(" --dataset mnist --data ", results.Settings.CommandLine, StringComparison.Ordinal);

        var unknown = CommandLineTests.Run("compare", "--dataset", "cifar100", "--output", Path.Combine(folder, "x"), "--dry-run");
        Assert.Equal(2, unknown.Code);
        Assert.Equal("error: unknown dataset 'cifar100'; choose one of: fashion-mnist, mnist, cifar10, idx, folder", unknown.Error.Trim());
    }
}
