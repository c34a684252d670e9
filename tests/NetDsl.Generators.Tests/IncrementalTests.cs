using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace NetDsl.Generators.Tests;

/// <summary>The pipeline caches: unrelated edits regenerate nothing, an edit regenerates only its class.</summary>
public class IncrementalTests
{
    const string Usings = "using NetDsl;\nusing TorchSharp.Modules;\nnamespace Demo;\n";
    const string BlockFile = Usings + "[Block, Residual, BatchNorm, Activation(Nonlinearity.ReLU)] public partial class B { [Conv] Conv2d conv1; [Conv] Conv2d conv2; }";
    const string NetA = Usings + "[Network, Input(1, 8, 8), BatchNorm, Activation(Nonlinearity.ReLU)] public partial class A { [Conv(8)] Conv2d conv1; [Stage(Blocks = 2, Channels = 8)] ModuleList<B> layer1; [GlobalAvgPool] AdaptiveAvgPool2d pool; [Linear(3)] Linear fc; }";
    const string NetC = Usings + "[Network, Input(4), Activation(Nonlinearity.Tanh)] public partial class C { [Linear(8)] Linear fc1; [Linear(2)] Linear fc2; }";
    const string Other = "class Unrelated { }";

    static readonly string[] Steps = { NetworkGenerator.TrackingNames.Networks, NetworkGenerator.TrackingNames.Blocks };

    static (GeneratorDriver Driver, CSharpCompilation Compilation) Start()
    {
        var compilation = GeneratorHarness.Compile(BlockFile, NetA, NetC, Other);
        return (GeneratorHarness.CreateDriver().RunGenerators(compilation), compilation);
    }

    static CSharpCompilation Replace(CSharpCompilation c, int file, string text) =>
        c.ReplaceSyntaxTree(c.SyntaxTrees.ElementAt(file), CSharpSyntaxTree.ParseText(text, GeneratorHarness.ParseOptions, path: $"File{file}.cs"));

    static List<(string Step, IncrementalStepRunReason Reason, object Value)> Outputs(GeneratorDriver driver) =>
        driver.GetRunResult().Results.Single().TrackedSteps
            .Where(kv => Steps.Contains(kv.Key))
            .SelectMany(kv => kv.Value.SelectMany(s => s.Outputs.Select(o => (kv.Key, o.Reason, o.Value))))
            .ToList();

    [Fact]
    public void Unrelated_edit_leaves_every_tracked_step_cached_or_unchanged()
    {
        var (driver, compilation) = Start();
        driver = driver.RunGenerators(Replace(compilation, 3, "class Unrelated { int keystroke; }"));

        var outputs = Outputs(driver);
        Assert.Equal(3, outputs.Count); // A, C, B
        Assert.All(outputs, o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{o.Step}: {o.Reason}"));
    }

    [Fact]
    public void An_unrelated_edit_reuses_every_networks_plan_without_running_it_again()
    {
        // The transform reads each network again (Roslyn re-runs it on every edit); inference and the variant matrix are the
        // NetworkPlans step, which must come from the cache when the read network is equal.
        var (driver, compilation) = Start();
        driver = driver.RunGenerators(Replace(compilation, 3, "class Unrelated { int keystroke; }"));
        var plans = driver.GetRunResult().Results.Single().TrackedSteps[NetworkGenerator.TrackingNames.NetworkPlans]
            .SelectMany(s => s.Outputs).ToList();
        Assert.Equal(2, plans.Count); // A and C
        Assert.All(plans, o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }

    [Fact]
    public void Editing_one_network_regenerates_that_network_only()
    {
        var (driver, compilation) = Start();
        driver = driver.RunGenerators(Replace(compilation, 2, NetC.Replace("Linear(2)", "Linear(5)")));

        var modified = Outputs(driver).Where(o => o.Reason is IncrementalStepRunReason.Modified or IncrementalStepRunReason.New).ToList();
        var changed = Assert.Single(modified);
        Assert.Contains("Name = C,", changed.Value.ToString());
        var c = driver.GetRunResult().GeneratedTrees.Single(t => t.FilePath.EndsWith("Demo.C.g.cs", System.StringComparison.Ordinal));
        Assert.Contains("Linear(8, 5", c.ToString());
    }

    [Fact]
    public void Pipeline_models_hold_no_symbols_syntax_locations_or_compilations()
    {
        var (driver, _) = Start();
        foreach (var (step, _, value) in Outputs(driver))
            AssertPlainData(value, step, new HashSet<object>(ReferenceEqualityComparer.Instance));
    }

    static readonly Type[] Forbidden = { typeof(ISymbol), typeof(SyntaxNode), typeof(Location), typeof(Compilation), typeof(SemanticModel), typeof(SyntaxTree) };

    static void AssertPlainData(object? value, string path, HashSet<object> seen)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum) return;
        var type = value.GetType();
        Assert.False(Forbidden.Any(f => f.IsAssignableFrom(type)), $"{path} holds a {type.Name}");
        if (!type.IsValueType && !seen.Add(value)) return;
        if (value is IEnumerable items)
        {
            int i = 0;
            foreach (var item in items) AssertPlainData(item, $"{path}[{i++}]", seen);
        }
        for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
            foreach (var field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                AssertPlainData(field.GetValue(value), $"{path}.{field.Name}", seen);
    }
}
