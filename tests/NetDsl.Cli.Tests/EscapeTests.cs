using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Markdig;
using NetDsl.Experiments.Results;
using NetDsl.Experiments.Text;
using Xunit;

namespace NetDsl.Cli.Tests;

/// <summary>User text reaching HTML, Markdown and shell command lines (issue 12, kind 3).</summary>
public sealed class EscapeTests
{
    /// <summary>Strings that are Markdown, HTML or Markdig-extension syntax when left raw.</summary>
    public static readonly TheoryData<string> Hostile = new()
    {
        "/tmp/x/Fashion MNIST <v2>", "a|b|c", "`code` and ``more``", "<script>alert(1)</script>", "# heading", "> quote", "- item", "+ item", "1. item",
        "12) item", "*em* _em_ **strong** __strong__", "[link](http://example.com)", "![image](x.png)", "&amp; &lt; &#60;", "$x^2$ and $$y$$",
        "~~struck~~ H~2~O x^2^ ==marked== ++inserted++", "{#id .class onclick=alert(1)}", "\\back\\slash\\", "\"\"citation\"\"", "footnote[^1]",
        "www.example.com and http://example.com mailto:a@b.c", "line one\nline two\r\nthree", "tab\there", "Umlaut ü, 日本, ñ", "term\n: definition", "---", "===",
        "*", "<!-- comment -->", "a\\|b", "trailing backslash \\", "0.1.0", "1.", "7)", "2026. year",
    };

    static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UseAdvancedExtensions().Build();

    /// <summary>The text of rendered HTML: tags removed, character references decoded.</summary>
    static string Text(string html) => WebUtility.HtmlDecode(Regex.Replace(html, "<[^>]*>", ""));

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Escaped_markdown_renders_as_the_literal_text_in_a_paragraph(string text)
    {
        var html = Markdown.ToHtml("Value: " + Escape.Markdown(text), Pipeline).Trim();
        // One paragraph and nothing else: no element, link, emphasis or attribute came from the text.
        Assert.Matches("^<p>[^<]*</p>$", html);
        Assert.Equal("Value: " + Escape.Visible(text), Text(html));
    }

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Escaped_markdown_keeps_a_table_cell_one_cell(string text)
    {
        var html = Markdown.ToHtml($"| setting | value |\n| :--- | :--- |\n| data | {Escape.Markdown(text)} |\n", Pipeline);
        var cells = Regex.Matches(html, "<td[^>]*>(.*?)</td>", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(2, cells.Count);
        Assert.DoesNotContain("<", cells[1]);
        Assert.Equal(Escape.Visible(text), WebUtility.HtmlDecode(cells[1]));
    }

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Escaped_markdown_at_the_start_of_a_line_starts_no_block(string text)
    {
        var html = Markdown.ToHtml(Escape.Markdown(text), Pipeline).Trim();
        Assert.Matches("^<p>[^<]*</p>$", html);
        Assert.Equal(Escape.Visible(text), Text(html));
    }

    [Fact]
    public void Markdown_escaping_leaves_plain_names_readable()
    {
        Assert.Equal("DepthNet.Residual.BnAfterConv.Depth3", Escape.Markdown("DepthNet.Residual.BnAfterConv.Depth3"));
        Assert.Equal("/usr/share/datasets/fashion-mnist", Escape.Markdown("/usr/share/datasets/fashion-mnist"));
        Assert.Equal("/tmp/x/Fashion MNIST \\<v2\\> \\| a", Escape.Markdown("/tmp/x/Fashion MNIST <v2> | a"));
        Assert.Equal("1\\. item", Escape.Markdown("1. item"));
        Assert.Equal("2\\)", Escape.Markdown("2)"));
        Assert.Equal("0.1.0", Escape.Markdown("0.1.0"));
        Assert.Equal("\\- item", Escape.Markdown("- item"));
        Assert.Equal("a - b 1. c", Escape.Markdown("a - b 1. c"));
        Assert.Equal("www\\.x", Escape.Markdown("www.x"));
        Assert.Equal("a\u240Ab", Escape.Markdown("a\nb"));
    }

    [Fact]
    public void Html_encoding_covers_the_five_characters_and_control_characters()
    {
        Assert.Equal("&lt;v2&gt; &amp; &quot;q&quot; &#39;s&#39;", Escape.Html("<v2> & \"q\" 's'"));
        Assert.Equal("a\u240Db\u240Ac", Escape.Html("a\rb\nc"));
        Assert.Equal("tab\tstays", Escape.Html("tab\tstays"));
    }

    [Fact]
    public void A_fence_outgrows_the_backticks_in_its_content()
    {
        Assert.Equal("```", Escape.Fence("netdsl compare --data /tmp/x"));
        Assert.Equal("````", Escape.Fence("a ``` b"));
        Assert.Equal("`````", Escape.Fence("````\n`"));
        var content = "line\n```\nnot the end";
        var fence = Escape.Fence(content);
        var html = Markdown.ToHtml($"{fence}\n{content}\n{fence}\n", Pipeline);
        Assert.Equal(content + "\n", WebUtility.HtmlDecode(Regex.Match(html, "<code>(.*)</code>", RegexOptions.Singleline).Groups[1].Value));
    }

    [Fact]
    public void Safe_shell_words_stay_bare_and_the_rest_is_single_quoted()
    {
        Assert.Equal("--data", Escape.Shell("--data"));
        Assert.Equal("/usr/share/datasets/fashion-mnist", Escape.Shell("/usr/share/datasets/fashion-mnist"));
        Assert.Equal("0.05", Escape.Shell("0.05"));
        Assert.Equal("''", Escape.Shell(""));
        Assert.Equal("'a b'", Escape.Shell("a b"));
        Assert.Equal("'it'\\''s'", Escape.Shell("it's"));
        Assert.Equal("'$HOME'", Escape.Shell("$HOME"));
        Assert.Equal("'~/x'", Escape.Shell("~/x"));
        Assert.Equal("'ü'", Escape.Shell("ü"));
        Assert.Equal("netdsl compare --data '/tmp/a b' --only x", Escape.ShellCommand(["netdsl", "compare", "--data", "/tmp/a b", "--only", "x"]));
    }

    [Fact]
    public void Bash_splits_a_quoted_command_back_into_exactly_its_words()
    {
        string[] words =
        [
            "netdsl", "compare", "", " ", "a b", "it's", "\"double\"", "$HOME", "${PATH}", "$(id)", "`id`", "a|b", "a&b", "a;b", "<in", ">out", "2>&1",
            "*", "?", "[a]", "~", "~/x", "#comment", "!", "!!", "\\", "\\n", "tab\there", "line\nbreak", "ü日本ñ", "'", "''", "-", "--x=~/y", "a=b",
        ];
        Assert.Equal(words.Skip(1), Shell.RunWithStub(Escape.ShellCommand(words), "netdsl"));
    }
}

/// <summary>Runs a command line with <c>bash -c</c>, a tool replaced by a stub that prints its arguments.</summary>
static class Shell
{
    /// <summary>The arguments <paramref name="tool"/> receives when bash runs <paramref name="commandLine"/>.</summary>
    public static List<string> RunWithStub(string commandLine, string tool)
    {
        var bin = Directory.CreateTempSubdirectory("netdsl-stub-").FullName;
        try
        {
            var stub = Path.Combine(bin, tool);
            File.WriteAllText(stub, "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\0' \"$a\"; done\n");
            if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("the shell tests need bash and a POSIX file system");
            File.SetUnixFileMode(stub, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, StandardOutputEncoding = Encoding.UTF8 };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(commandLine);
            start.Environment["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH");
            start.Environment["LC_ALL"] = "C.UTF-8";
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEnd();
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, $"bash failed ({process.ExitCode}): {error}");
            var args = output.Split('\0').ToList();
            Assert.Equal("", args[^1]);
            return args[..^1];
        }
        finally
        {
            Directory.Delete(bin, recursive: true);
        }
    }
}
