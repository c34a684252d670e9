using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using NetDsl.Experiments;
using NetDsl.Interop;
using NetDsl.Measurements;
using TorchSharp;

namespace NetDsl.Cli.Commands;

/// <summary>
/// <c>netdsl export &lt;variant&gt; --pytorch out.py [--weights out.pt]</c>: a variant as PyTorch source (the generated
/// <c>PyTorchSource</c> constant) and, with <c>--weights</c>, a freshly initialized instance's <c>state_dict</c> in PyTorch's
/// file format, which <c>load_state_dict(torch.load(path))</c> accepts strictly for the exported class.
/// </summary>
public static partial class ExportCommand
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The <c>export</c> command.</summary>
    public static Command Build()
    {
        var name = new Argument<string>("variant") { Description = "A variant name from `netdsl list` (DepthNet.Residual.BnAfterConv.Depth3)." };
        var pytorch = new Option<string?>("--pytorch") { Description = "Write the variant as a PyTorch module (Python source needing only torch) to this file." };
        var weights = new Option<string?>("--weights") { Description = "Write a freshly initialized instance's state_dict to this file (torch.save format; load with model.load_state_dict(torch.load(path)))." };
        var init = new Option<InitScheme>("--init") { Description = "Initialization of the --weights: PyTorchDefault (what construction gives), HeFanIn or TorchvisionFanOut.", DefaultValueFactory = _ => InitScheme.PyTorchDefault };
        var seed = new Option<int>("--seed") { Description = "Seed of the --weights (torch.manual_seed before construction).", DefaultValueFactory = _ => 0 };
        var assembly = new Option<string?>("--assembly") { Description = "Export a variant of your own networks from your built assembly (its name as `netdsl list --assembly` shows it)." };
        var project = new Option<string?>("--project") { Description = "Like --assembly, but builds your project (.csproj, Release) first." };
        var command = new Command("export", "Export a variant to PyTorch: its source as a torch.nn.Module (--pytorch out.py) and initialized weights as a state_dict (--weights out.pt).")
        {
            name, pytorch, weights, init, seed, assembly, project,
        };
        command.SetAction(parse => Run(parse.GetValue(name)!, parse.GetValue(pytorch), parse.GetValue(weights), parse.GetValue(init), parse.GetValue(seed), Console.Out,
            UserVariants(parse.GetValue(assembly), parse.GetValue(project))));
        return command;
    }

    /// <summary>Writes the files; returns the exit code (0).</summary>
    /// <param name="variantName">A catalog variant's name, any case.</param>
    /// <param name="pythonPath">Where to write the Python source, or null.</param>
    /// <param name="weightsPath">Where to write the state dict, or null.</param>
    /// <param name="init">Initialization of the weights.</param>
    /// <param name="seed">Seed of the weights.</param>
    /// <param name="output">Where to say what was written.</param>
    /// <exception cref="UsageException">Unknown variant, neither file asked for, the same path twice, or a file that cannot be written.</exception>
    /// <param name="variants">The variants to look the name up in (a user's assembly), or null for the built-in experiments'.</param>
    public static int Run(string variantName, string? pythonPath, string? weightsPath, InitScheme init, int seed, TextWriter output, IReadOnlyList<VariantInfo>? variants = null)
    {
        var v = Find(variantName, variants);
        if (pythonPath is null && weightsPath is null)
            throw new UsageException($"nothing to export: give --pytorch out.py (the PyTorch source) and/or --weights out.pt (a state dict), e.g. `netdsl export {v.Name} --pytorch out.py --weights out.pt`");
        if (pythonPath is { Length: 0 } || weightsPath is { Length: 0 }) throw new UsageException("an empty file name; give a path such as out.py or out.pt");
        if (pythonPath is not null && weightsPath is not null && Path.GetFullPath(pythonPath) == Path.GetFullPath(weightsPath))
            throw new UsageException($"--pytorch and --weights both name '{pythonPath}'; give two files");
        var className = ClassName(v.PyTorchSource);
        // Both files are written next to their destinations first and moved into place only when both were written, so a
        // failure leaves neither (nor a stale half of an earlier export).
        var staged = new List<(string Temporary, string Path)>();
        try
        {
            if (pythonPath is not null)
            {
                var temporary = Temporary(pythonPath);
                Write(pythonPath, () => File.WriteAllText(temporary, v.PyTorchSource));
                staged.Add((temporary, pythonPath));
            }
            int tensors = 0;
            if (weightsPath is not null)
            {
                torch.manual_seed(seed);
                var model = v.Create();
                Initialization.Apply(model, init);
                tensors = model.state_dict().Count;
                var temporary = Temporary(weightsPath);
                Write(weightsPath, () => PyTorchWeights.Save(model, temporary));
                staged.Add((temporary, weightsPath));
            }
            foreach (var (temporary, path) in staged) Write(path, () => File.Move(temporary, path, overwrite: true));
            if (pythonPath is not null)
                output.WriteLine($"wrote {pythonPath}: PyTorch source of {v.Name}, class {className} ({v.Summary.TotalParameters.ToString("N0", Inv)} parameters, input [N, {string.Join(", ", v.Summary.InputShape)}])");
            if (weightsPath is not null)
                output.WriteLine($"wrote {weightsPath}: state dict of {v.Name} ({tensors.ToString(Inv)} tensors; {init} initialization, seed {seed.ToString(Inv)})");
        }
        finally
        {
            foreach (var (temporary, _) in staged) File.Delete(temporary);
        }
        if (pythonPath is not null)
        {
            var module = Path.GetFileNameWithoutExtension(pythonPath);
            var import = PythonIdentifier().IsMatch(module) ? $"from {module} import {className}" : $"{className} = runpy.run_path({PyString(pythonPath)})[\"{className}\"]  # import runpy";
            output.WriteLine($"in Python: {import}; model = {className}()" + (weightsPath is null ? "" : $"; model.load_state_dict(torch.load({PyString(weightsPath)}))"));
        }
        return 0;
    }

    /// <summary>The catalog variant named <paramref name="wanted"/> (any case).</summary>
    /// <exception cref="UsageException">No such variant; the message lists the close names, or the networks.</exception>
    internal static VariantInfo Find(string wanted, IReadOnlyList<VariantInfo>? variants = null)
    {
        var all = (variants ?? Catalog.AllVariants()).ToList();
        var v = all.FirstOrDefault(x => string.Equals(x.Name, wanted, StringComparison.OrdinalIgnoreCase));
        if (v is not null) return v;
        var close = all.Where(x => x.Name.Contains(wanted, StringComparison.OrdinalIgnoreCase)
                || x.Name.Split('.')[0].Equals(wanted.Split('.')[0], StringComparison.OrdinalIgnoreCase))
            .Select(x => x.Name).Take(12).ToList();
        if (close.Count > 0) throw new UsageException($"no variant named '{wanted}'; did you mean: {string.Join(", ", close)}? (`netdsl list` shows them all)");
        var networks = all.Select(x => x.Name.Split('.')[0]).Distinct().ToList();
        throw new UsageException($"no variant named '{wanted}'; variants are named <network>.<settings>, from the networks {string.Join(", ", networks)} (`netdsl list` shows them all)");
    }

    /// <summary>Every variant of every network in a user's assembly (<c>--assembly</c>, or <c>--project</c> built first), or null without either.</summary>
    /// <exception cref="UsageException">Both given, or the assembly cannot be loaded or holds no network (the message names the fix).</exception>
    internal static IReadOnlyList<VariantInfo>? UserVariants(string? assembly, string? project) =>
        CompareCommand.FromUserAssembly(assembly, project, path => UserNetworks.Find(path).SelectMany(n => n.Variants).ToList());

    /// <summary>The network class of an emitted module: its last class.</summary>
    static string ClassName(string source) =>
        Regex.Matches(source, @"^class (\w+)\(nn\.Module\):", RegexOptions.Multiline).Select(m => m.Groups[1].Value).LastOrDefault() ?? "Model";

    /// <summary>A file next to <paramref name="path"/> that this process alone writes.</summary>
    static string Temporary(string path) => $"{path}.tmp-{Environment.ProcessId.ToString(Inv)}";

    static void Write(string path, Action write)
    {
        try
        {
            write();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot write '{path}' ({e.Message}); choose a writable file in an existing folder");
        }
    }

    static string PyString(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex PythonIdentifier();
}
