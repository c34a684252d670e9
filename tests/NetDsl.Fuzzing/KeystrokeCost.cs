using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using NetDsl.Generators;

namespace NetDsl.Fuzzing;

/// <summary>
/// What a keystroke in an unrelated file costs the generator: the driver's own step timings (the semantic
/// transforms of the Networks and Blocks steps, which Roslyn re-runs for every attributed class) over the
/// example architectures and the CLI's networks, median of many keystrokes.
/// </summary>
public static class KeystrokeCost
{
    /// <summary>
    /// Prints the median cost of <paramref name="keystrokes"/> keystrokes in an unrelated file, for this build's generator or,
    /// given <paramref name="generatorPath"/>, another build of it (an older commit's NetDsl.Generators.dll, for before/after).
    /// </summary>
    public static void Run(int keystrokes, string? generatorPath = null)
    {
        var generator = generatorPath is null ? new NetworkGenerator() : Load(generatorPath);
        Console.WriteLine($"generator: {(generatorPath ?? typeof(NetworkGenerator).Assembly.Location)}");
        var root = Compilations.RepoRoot();
        var files = Directory.GetFiles(Path.Combine(root, "examples", "Architectures"), "*.cs").OrderBy(f => f, StringComparer.Ordinal)
            .Append(Path.Combine(root, "src", "NetDsl.Experiments", "Comparisons", "Networks.cs")).ToList();
        var parse = Compilations.Parse();
        var trees = files.Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), parse, path: f)).ToList();
        trees.Add(CSharpSyntaxTree.ParseText("class Unrelated { void M() { } }", parse, path: "Unrelated.cs"));
        var compilation = Compilations.Create(trees);
        GeneratorDriver driver = CSharpGeneratorDriver.Create(new[] { generator.AsSourceGenerator() }, parseOptions: parse,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
        driver = driver.RunGenerators(compilation);
        Console.WriteLine($"{files.Count} seed files, {driver.GetRunResult().GeneratedTrees.Length} generated files");
        var steps = new List<double>();
        var networkSteps = new List<double>();
        var blockSteps = new List<double>();
        var totals = new List<double>();
        int changed = 0, outputs = 0;
        for (int i = 0; i < keystrokes; i++)
        {
            var tree = compilation.SyntaxTrees.Last();
            compilation = compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(tree.GetText().WithChanges(new TextChange(new TextSpan(27, 0), " "))));
            driver = driver.RunGenerators(compilation);
            var tracked = driver.GetRunResult().Results.Single().TrackedSteps
                .Where(kv => kv.Key is NetworkGenerator.TrackingNames.Networks or NetworkGenerator.TrackingNames.Blocks)
                .SelectMany(kv => kv.Value).ToList();
            steps.Add(tracked.Sum(s => s.ElapsedTime.TotalMilliseconds));
            var byStep = driver.GetRunResult().Results.Single().TrackedSteps;
            double Step(string name) => byStep.TryGetValue(name, out var runs) ? runs.Sum(s => s.ElapsedTime.TotalMilliseconds) : 0;
            networkSteps.Add(Step(NetworkGenerator.TrackingNames.Networks));
            blockSteps.Add(Step(NetworkGenerator.TrackingNames.Blocks));
            totals.Add(driver.GetTimingInfo().ElapsedTime.TotalMilliseconds);
            var o = tracked.SelectMany(s => s.Outputs).ToList();
            outputs = o.Count;
            changed += o.Count(x => x.Reason is IncrementalStepRunReason.Modified or IncrementalStepRunReason.New);
        }
        static double Median(List<double> v) { var s = v.OrderBy(x => x).ToList(); return s[s.Count / 2]; }
        Console.WriteLine($"keystroke in an unrelated file, median of {keystrokes}: Networks+Blocks steps {Median(steps):F2} ms (Networks {Median(networkSteps):F2}, Blocks {Median(blockSteps):F2}), whole driver run {Median(totals):F2} ms; models changed: {changed} of {outputs * keystrokes}");
    }

    /// <summary>Loads another build of the generator beside this one (Roslyn itself is shared with this process).</summary>
    static IIncrementalGenerator Load(string path)
    {
        var context = new GeneratorContext(Path.GetFullPath(path));
        var assembly = context.LoadFromAssemblyPath(Path.GetFullPath(path));
        return (IIncrementalGenerator)Activator.CreateInstance(assembly.GetType("NetDsl.Generators.NetworkGenerator", throwOnError: true)!)!;
    }

    sealed class GeneratorContext : System.Runtime.Loader.AssemblyLoadContext
    {
        readonly string path;
        public GeneratorContext(string path) : base("generator " + path) => this.path = path;
        protected override System.Reflection.Assembly? Load(System.Reflection.AssemblyName name) =>
            name.Name == "NetDsl.Generators" ? LoadFromAssemblyPath(path) : null;
    }
}
