using System;
using System.ComponentModel;
using System.Diagnostics;
using System.IO;

namespace NetDsl.Tests;

/// <summary>What tests that leave the process need: the repository's root and a way to run a program.</summary>
internal static class TestSupport
{
    /// <summary>The repository root, found from this source file's path (tests/NetDsl.Tests/TestSupport.cs).</summary>
    public static string RepoRoot() => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(ThisFile())!, "..", ".."));

    static string ThisFile([System.Runtime.CompilerServices.CallerFilePath] string path = "") => path;

    /// <summary>Runs <paramref name="program"/> to completion (at most 5 minutes); returns its exit code and its output and error text, or -1 when it cannot be started.</summary>
    public static (int Code, string Output) Run(string program, string? workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception)
        {
            return (-1, program + " not found");
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
            {
                process.Kill(entireProcessTree: true);
                return (-1, $"{program} {string.Join(" ", args)} did not finish in 5 minutes");
            }
            return (process.ExitCode, stdout.Result + stderr.Result);
        }
    }
}
