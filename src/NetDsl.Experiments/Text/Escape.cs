using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Text;

namespace NetDsl.Experiments.Text;

/// <summary>
/// The one place where text from the user or the file system (paths, <c>--only</c> filters, variant and experiment names,
/// anything read back from a <c>results.json</c>) is made safe for where it lands: HTML, Markdown, a POSIX shell command line.
/// </summary>
public static class Escape
{
    /// <summary>
    /// Text for an HTML element's content or a quoted attribute value: <c>&lt; &gt; &amp; " '</c> as character references
    /// (<see cref="WebUtility.HtmlEncode(string)"/>); control characters as their visible Unicode pictures (see <see cref="Visible"/>).
    /// </summary>
    public static string Html(string text) => WebUtility.HtmlEncode(Visible(text));

    // Characters that start Markdown syntax anywhere in a line, in CommonMark and in the extensions the report renders with
    // (Markdig's advanced set: pipe tables, emphasis extras ~~ ^^ ++ ==, math $, generic attributes {}, citations "", footnotes,
    // definition lists and autolinks, which start at "http:", "mailto:", "www.").
    const string MarkdownSpecial = "\\`*_[]<>#|&~$^=+{}\":";

    /// <summary>
    /// Text that Markdown renders literally, inside a paragraph or a table cell: every character that starts Markdown or
    /// Markdig-extension syntax (<c>\ ` * _ [ ] &lt; &gt; # | &amp; ~ $ ^ = + { } " :</c>) is backslash-escaped, as are a leading
    /// <c>-</c>, the <c>.</c> or <c>)</c> after a leading number when a space or the end follows (list items: <c>1. a</c>, not <c>0.1.0</c>) and the dot of <c>www.</c> (autolinks); line breaks and
    /// other control characters become their visible pictures (<see cref="Visible"/>), so a value never ends a table row or a
    /// paragraph. CommonMark removes each backslash, so the text reads the same in any renderer.
    /// </summary>
    public static string Markdown(string text)
    {
        var visible = Visible(text);
        var s = new StringBuilder(visible.Length + 8);
        var digits = 0;
        for (var i = 0; i < visible.Length; i++)
        {
            var c = visible[i];
            var leadingMarker = (i == 0 && c == '-')
                || (i == digits && i > 0 && c is '.' or ')' && (i + 1 == visible.Length || char.IsWhiteSpace(visible[i + 1])))
                || (c == '.' && i >= 3 && visible.AsSpan(i - 3, 3).Equals("www", StringComparison.OrdinalIgnoreCase));
            if (MarkdownSpecial.Contains(c) || leadingMarker) s.Append('\\');
            if (i == digits && char.IsAsciiDigit(c)) digits++;
            s.Append(c);
        }
        return s.ToString();
    }

    /// <summary>
    /// The backtick fence for a fenced code block that holds <paramref name="content"/> verbatim: one backtick longer than the longest
    /// run of backticks in it, and at least three (CommonMark: a fence closes only on a run at least as long as the opening one).
    /// </summary>
    public static string Fence(string content)
    {
        int longest = 0, run = 0;
        foreach (var c in content)
        {
            run = c == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }
        return new string('`', Math.Max(3, longest + 1));
    }

    /// <summary>
    /// One word for a POSIX shell (sh, bash, zsh): unchanged when it is non-empty and made only of ASCII letters, digits and
    /// <c>- _ . / : = , + @ %</c>; otherwise in single quotes, inside which the shell takes every character literally
    /// (spaces, <c>$ ` \ " | &amp; ; &lt; &gt; ( ) * ? [ ~ #</c>, newlines, any Unicode), with each <c>'</c> written as <c>'\''</c>.
    /// </summary>
    public static string Shell(string word)
    {
        if (word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=,+@%".Contains(c))) return word;
        return "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    /// <summary>A command line that a POSIX shell splits back into exactly <paramref name="words"/> (each quoted by <see cref="Shell"/>).</summary>
    public static string ShellCommand(IEnumerable<string> words) => string.Join(" ", words.Select(Shell));

    /// <summary>
    /// <paramref name="text"/> with line breaks and the other C0 control characters (except tab) replaced by their Unicode control
    /// pictures (U+2400 + code: a line feed shows as U+240A), so that a value with a line break stays on one line and stays visible.
    /// </summary>
    public static string Visible(string text)
    {
        if (!text.Any(c => c < ' ' && c != '\t' || c == '\u007f')) return text;
        return string.Concat(text.Select(c => c == '\u007f' ? '\u2421' : c < ' ' && c != '\t' ? (char)(0x2400 + c) : c));
    }
}
