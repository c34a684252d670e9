using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using System.Security.Cryptography;
using NetDsl.Experiments.Data;
using NetDsl.Experiments.Sweeps;
using TorchSharp;

namespace NetDsl.Experiments;

/// <summary>
/// A user's own <c>[Network]</c> classes, read from a built assembly (<c>netdsl compare --assembly MyLab.dll --network MyNet</c>):
/// each network's variants (its generated <c>Variants.All</c> registry, or the network alone without <c>[Variants]</c>) become an
/// experiment with the same presets, training, measurements and report as the built-in ones.
/// </summary>
public static class UserNetworks
{
    /// <summary>The per-sample input of the default data: Fashion-MNIST images, <c>[1, 28, 28]</c> (other datasets: <see cref="DataShape"/>).</summary>
    public static readonly long[] DataInput = [1, 28, 28];

    /// <summary>The classes of the default data (Fashion-MNIST): a network must end with <c>[Linear(10)]</c> to train on it.</summary>
    public const int DataClasses = 10;

    /// <summary>A network found in an assembly.</summary>
    /// <param name="Type">The generated network class.</param>
    /// <param name="Variants">Its variants: the registry's, or one for the network itself.</param>
    public sealed record Found(Type Type, IReadOnlyList<VariantInfo> Variants)
    {
        /// <summary>The network's full name (<c>MyLab.MyNet</c>).</summary>
        public string Name => Type.FullName ?? Type.Name;
    }

    /// <summary>Every <c>[Network]</c> class of the assembly at <paramref name="path"/>, in name order.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a .NET assembly that loads here, or holds no NetDsl network (messages name the fix).</exception>
    public static IReadOnlyList<Found> Find(string path)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"no assembly at '{full}'; build your project (dotnet build) and give the path of its .dll, or use --project", full);
        Assembly assembly;
        try { assembly = Load(full); }
        catch (Exception e) when (e is BadImageFormatException or FileLoadException)
        {
            throw new InvalidDataException($"'{full}' is not a .NET assembly netdsl can load ({e.Message}); give the .dll your project builds (bin/<configuration>/net10.0/<name>.dll)");
        }
        Type[] types;
        try { types = assembly.GetTypes(); }
        catch (ReflectionTypeLoadException e)
        {
            var first = e.LoaderExceptions.FirstOrDefault(x => x is not null)?.Message ?? "unknown";
            throw new InvalidDataException($"'{full}' has types that do not load here ({first}); build it against the NetDsl and TorchSharp versions of this netdsl ({typeof(NetworkAttribute).Assembly.GetName().Version}, {typeof(torch).Assembly.GetName().Version})");
        }
        var networks = types.Where(t => t.GetCustomAttribute<NetworkAttribute>() is not null && typeof(torch.nn.Module<torch.Tensor, torch.Tensor>).IsAssignableFrom(t) && !t.IsAbstract)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => new Found(t, VariantsOf(t)))
            .ToList();
        if (networks.Count == 0)
            throw new InvalidDataException($"'{full}' holds no NetDsl network: declare a [Network] partial class (with the NetDsl package referenced, so the generator builds it) and rebuild");
        return networks;
    }

    /// <summary>The network of <paramref name="path"/> named <paramref name="network"/> (full or short name, ordinal), or the only one when null.</summary>
    /// <exception cref="InvalidDataException">As <see cref="Find"/>; no network of that name, or several when none is named (the message lists them).</exception>
    public static Found Select(string path, string? network)
    {
        var all = Find(path);
        var names = string.Join(", ", all.Select(n => n.Name));
        if (network is null)
            return all.Count == 1 ? all[0] : throw new InvalidDataException($"'{path}' holds {all.Count} networks ({names}); choose one with --network");
        var match = all.Where(n => n.Name == network || n.Type.Name == network).ToList();
        return match.Count switch
        {
            1 => match[0],
            0 => throw new InvalidDataException($"no network named '{network}' in '{path}'; {(Suggest(network, all) is { } near ? $"did you mean {near}? " : "")}it has: {names}"),
            _ => throw new InvalidDataException($"'{network}' names {match.Count} networks in '{path}' ({string.Join(", ", match.Select(n => n.Name))}); give the full name"),
        };
    }

    /// <summary>The network whose full or short name is nearest to <paramref name="name"/>: equal ignoring case, else at most a third
    /// of its letters edited (Levenshtein distance), or null.</summary>
    static string? Suggest(string name, IReadOnlyList<Found> all)
    {
        static int Distance(string a, string b)
        {
            var row = Enumerable.Range(0, b.Length + 1).ToArray();
            for (var i = 1; i <= a.Length; i++)
            {
                var diagonal = row[0];
                row[0] = i;
                for (var j = 1; j <= b.Length; j++)
                {
                    var above = row[j];
                    var same = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]);
                    row[j] = Math.Min(Math.Min(above + 1, row[j - 1] + 1), diagonal + (same ? 0 : 1));
                    diagonal = above;
                }
            }
            return row[b.Length];
        }
        return all.Select(n => (n.Name, Score: Math.Min(Distance(name, n.Name), Distance(name, n.Type.Name))))
            .Where(x => x.Score <= Math.Max(1, name.Length / 3)).OrderBy(x => x.Score).ThenBy(x => x.Name, StringComparer.Ordinal)
            .Select(x => x.Name).FirstOrDefault();
    }

    /// <summary>
    /// The experiment that compares the variants of <paramref name="found"/>: training with validation-based selection and the
    /// gradient profile at initialization, with the quick and full presets of the default experiment (quick: 3 epochs on 3,000
    /// images, 3 seeds, rates 0.01 and 0.05, batch 64; full: 15 epochs on all images, rates 0.01, 0.03 and 0.1, batch 128).
    /// </summary>
    /// <param name="found">The network.</param>
    /// <param name="assemblyPath">Its assembly, recorded in plans so that jobs in other processes load the same file.</param>
    /// <param name="fit">The data it will train on (its image shape <c>[C, H, W]</c> and classes), checked against every variant's
    /// <c>[Input]</c> and output; null checks nothing (a plan's jobs: the plan was checked when it was made).</param>
    /// <exception cref="InvalidDataException">A variant takes another input than <paramref name="fit"/>'s images or does not output its
    /// number of classes (<see cref="DataShape.Problem"/>).</exception>
    public static Experiment ExperimentOf(Found found, string assemblyPath, DataShape? fit = null)
    {
        foreach (var v in found.Variants)
            if (fit?.Problem(v) is { } problem) throw new InvalidDataException(problem);
        var full = Path.GetFullPath(assemblyPath);
        return new Experiment(found.Type.Name, 0, $"The variants of {found.Name}",
            $"Your network {found.Name} ({found.Variants.Count} variant{(found.Variants.Count == 1 ? "" : "s")} from {Path.GetFileName(full)}), trained side by side " +
            "with the learning rate and epoch of each variant chosen on validation, and the gradient at initialization.",
            found.Variants, Measures.Training | Measures.InitialGradients,
            Quick: Presets.Quick with { Include = _ => true },
            Full: Presets.Full with { Include = _ => true })
        {
            Origin = new VariantSource(VariantSource.UserAssembly, Assembly: full, Network: found.Name, AssemblySha256: Sha256(full)),
        };
    }

    /// <summary>
    /// Builds the project at <paramref name="project"/> in Release (<c>dotnet build</c>, which also restores) and returns the path
    /// of the assembly it makes (MSBuild's <c>TargetPath</c>). Writes one line saying so to <paramref name="log"/>.
    /// </summary>
    /// <exception cref="FileNotFoundException">No project file there.</exception>
    /// <exception cref="InvalidDataException">The build fails (the message ends with the build's last lines) or the .NET SDK is missing.</exception>
    public static string Build(string project, TextWriter log)
    {
        var full = Path.GetFullPath(project);
        if (Directory.Exists(full) && Directory.GetFiles(full, "*.csproj") is [var only]) full = only;
        if (!File.Exists(full)) throw new FileNotFoundException($"no project file at '{full}'; give the path of your .csproj", full);
        log.WriteLine($"building {full} (Release)");
        var (code, output) = Dotnet("build", full, "-c", "Release", "-nologo", "-v:q", "-clp:NoSummary");
        if (code != 0)
            throw new InvalidDataException($"'{full}' did not build (dotnet build exited {code}); fix the errors and run again:\n" +
                string.Join("\n", output.Split('\n').Where(l => l.Trim().Length > 0).TakeLast(15)));
        var (_, target) = Dotnet("msbuild", full, "-getProperty:TargetPath", "-p:Configuration=Release", "-nologo");
        var path = target.Trim();
        if (!File.Exists(path)) throw new InvalidDataException($"'{full}' built, but its assembly '{path}' is not there; give it with --assembly");
        return path;
    }

    static (int Code, string Output) Dotnet(params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        try
        {
            using var process = System.Diagnostics.Process.Start(start)!;
            var error = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output + error.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidDataException($"--project needs the .NET SDK's dotnet on PATH ({e.Message}); install it, or build yourself and give --assembly");
        }
    }

    /// <summary>The default experiment's presets, which a user's network runs with (all its variants).</summary>
    static Experiment Presets => Catalog.Find(Catalog.Default)!;

    /// <summary>SHA-256 of a file, lower-case hex (plans record the assembly's, so jobs refuse a rebuilt one).</summary>
    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    static IReadOnlyList<VariantInfo> VariantsOf(Type network)
    {
        // The generated registry: Net.Variants.All. Without [Variants], the network is its own one variant.
        var all = network.GetNestedType("Variants", BindingFlags.Public)?.GetProperty("All", BindingFlags.Public | BindingFlags.Static);
        if (all?.GetValue(null) is IReadOnlyList<VariantInfo> variants) return variants;
        var summary = network.GetProperty("Summary", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) as ModelSummary
            ?? throw new InvalidDataException($"{network.FullName} has no generated Summary; rebuild the project with the NetDsl package referenced");
        var python = network.GetField("PyTorchSource", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) as string ?? "";
        return [new VariantInfo(network.Name, new Dictionary<string, string>(), summary,
            () => (torch.nn.Module<torch.Tensor, torch.Tensor>)Activator.CreateInstance(network)!, "", python)];
    }

    /// <summary>Assemblies whose dependency resolver is installed (once each).</summary>
    static readonly HashSet<string> Resolvers = new(StringComparer.Ordinal);

    /// <summary>Loads into the default context, so NetDsl and TorchSharp are the tool's own; the assembly's other dependencies
    /// come from its folder (its deps.json).</summary>
    static Assembly Load(string path)
    {
        var loaded = AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => !a.IsDynamic && string.Equals(a.Location, path, StringComparison.Ordinal));
        if (loaded is not null) return loaded;
        lock (Resolvers)
        {
            if (Resolvers.Add(path))
            {
                var resolver = new AssemblyDependencyResolver(path);
                AssemblyLoadContext.Default.Resolving += (context, name) =>
                    resolver.ResolveAssemblyToPath(name) is { } dependency ? context.LoadFromAssemblyPath(dependency) : null;
            }
        }
        return AssemblyLoadContext.Default.LoadFromAssemblyPath(path);
    }
}
