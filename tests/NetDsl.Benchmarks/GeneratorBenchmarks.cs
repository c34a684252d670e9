using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using NetDsl.Generators;

namespace NetDsl.Benchmarks;

/// <summary>
/// The generator's cost: a cold run over 100 network classes (each in its own file, sharing 2 blocks),
/// and a re-run after a keystroke in an unrelated file (what the IDE does while you type).
/// </summary>
[Config(typeof(GeneratorConfig))]
public class GeneratorBenchmarks
{
    public const int Networks = 100;
    CSharpCompilation compilation = null!, edited = null!;
    GeneratorDriver warm = null!;

    public static CSharpCompilation BuildCompilation()
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = Enumerable.Range(0, Networks).Select(i => CSharpSyntaxTree.ParseText($$"""
            using NetDsl;
            using TorchSharp.Modules;
            namespace Bench;
            [Network, Input(3, 32, 32), BatchNorm, Activation(Nonlinearity.ReLU)]
            public partial class Net{{i}}
            {
                [Conv({{16 + i % 8}}, Kernel = 3)] Conv2d conv1;
                [Stage(Blocks = {{1 + i % 4}}, Channels = 16)] ModuleList<Basic> layer1;
                [Stage(Blocks = 2, Channels = 32, Stride = 2)] ModuleList<Basic> layer2;
                [Stage(Blocks = 2, Channels = 16, Stride = 2)] ModuleList<Wide> layer3;
                [GlobalAvgPool] AdaptiveAvgPool2d avgpool;
                [Linear(10)] Linear fc;
            }
            """, parse, path: $"Net{i}.cs")).ToList();
        trees.Add(CSharpSyntaxTree.ParseText("""
            using NetDsl;
            using TorchSharp.Modules;
            namespace Bench;
            [Block, Residual, BatchNorm, Activation(Nonlinearity.ReLU)]
            public partial class Basic { [Conv] Conv2d conv1; [Conv] Conv2d conv2; }
            [Block(Expansion = 4), Residual, BatchNorm, Activation(Nonlinearity.ReLU)]
            public partial class Wide { [Conv(Kernel = 1)] Conv2d conv1; [Conv] Conv2d conv2; [Conv(Kernel = 1)] Conv2d conv3; }
            """, parse, path: "Blocks.cs"));
        trees.Add(CSharpSyntaxTree.ParseText("class Unrelated { void M() { } }", parse, path: "Unrelated.cs"));
        var tpa = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var refs = tpa.Concat(new[] { typeof(NetworkAttribute).Assembly.Location, typeof(TorchSharp.torch).Assembly.Location })
            .Distinct().Select(p => (MetadataReference)MetadataReference.CreateFromFile(p));
        return CSharpCompilation.Create("Bench", trees, refs, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
    }

    public static GeneratorDriver Driver() =>
        CSharpGeneratorDriver.Create(new[] { new NetworkGenerator().AsSourceGenerator() },
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    public static CSharpCompilation Keystroke(CSharpCompilation c)
    {
        var tree = c.SyntaxTrees.Last();
        return c.ReplaceSyntaxTree(tree, tree.WithChangedText(tree.GetText().WithChanges(new Microsoft.CodeAnalysis.Text.TextChange(new Microsoft.CodeAnalysis.Text.TextSpan(27, 0), " "))));
    }

    [GlobalSetup]
    public void Setup()
    {
        compilation = BuildCompilation();
        edited = Keystroke(compilation);
        warm = Driver().RunGenerators(compilation);
    }

    [Benchmark(Description = "cold run, 100 networks + 2 blocks")]
    public GeneratorDriver Cold() => Driver().RunGenerators(compilation);

    [Benchmark(Description = "re-run after a keystroke in an unrelated file")]
    public GeneratorDriver Keystroke() => warm.RunGenerators(edited);
}
