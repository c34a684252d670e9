using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace NetDsl.Generators.Tests;

/// <summary>
/// One test per kind of fault of issue 11 (each with inputs of its own, not the issue's): the generator never throws,
/// never walks unbounded work, never writes code that does not compile, never lets a generated name meet a user name.
/// </summary>
public class FaultKindTests
{
    const string Usings = "using NetDsl;\nusing TorchSharp.Modules;\nusing static NetDsl.Layer;\n";

    /// <summary>Runs the generator on a thread and fails (instead of hanging the suite) when it does not return within a minute.</summary>
    static GeneratorHarness.Result RunGuarded(params string[] sources) => RunGuarded(GeneratorHarness.ParseOptions, sources);

    static GeneratorHarness.Result RunGuarded(CSharpParseOptions options, params string[] sources)
    {
        var run = Task.Run(() => GeneratorHarness.Run(options, sources));
        Assert.True(run.Wait(TimeSpan.FromMinutes(1)), "the generator did not return within a minute");
        return run.Result;
    }

    static (string Id, string File, string Text)[] Diagnostics(GeneratorHarness.Result r, string[] sources) =>
        r.GeneratorDiagnostics.Select(d =>
        {
            var file = d.Location.SourceTree?.FilePath ?? "";
            int index = file.StartsWith("File", StringComparison.Ordinal) ? int.Parse(file[4..^3], System.Globalization.CultureInfo.InvariantCulture) : -1;
            return (d.Id, file, index >= 0 ? sources[index].Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length) : "");
        }).OrderBy(d => d.Id, StringComparer.Ordinal).ThenBy(d => d.Item3, StringComparer.Ordinal).ToArray();

    // ---------------------------------------------------------------- 1. hint names

    [Fact]
    public void All_lower_case_type_names_draw_no_warning_in_generated_files()
    {
        // CS8981 in the user's own file is theirs to suppress; generated files declare the names again (partial parts, blocks
        // nested in variants, stubs) and must stay warning-free for warnings-as-errors builds.
        var user = GeneratorHarness.Compile(Usings + "namespace lab {\n" +
            "[Block, Residual, BatchNorm, Activation(Nonlinearity.ReLU)] public partial class unit { [Linear] Linear fc1; }\n" +
            "[Network, Input(4), Variants(Residual = new[] { true, false })] public partial class net { [Linear(4)] Linear fc_in; [Stage(Blocks = 2, Channels = 4)] ModuleList<unit> layer1; [Linear(2)] Linear fc; }\n" +
            "[Network, Input(4)] public partial class broken { [Linear(0)] Linear fc; } }");
        // The SDK's warning level (CS8981 is in a warning wave above the compiler's default level 4).
        user = user.WithOptions(user.Options.WithWarningLevel(9999));
        GeneratorHarness.CreateDriver().RunGeneratorsAndUpdateCompilation(user, out var output, out _);
        var warnings = output.GetDiagnostics().Where(d => d.Id == "CS8981").ToList();
        Assert.Contains(warnings, d => d.Location.SourceTree == user.SyntaxTrees[0]); // in the user's file: the case is real
        Assert.DoesNotContain(warnings, d => d.Location.SourceTree != user.SyntaxTrees[0]);
        Assert.Contains(output.SyntaxTrees, t => t.FilePath.Contains("Variants", StringComparison.Ordinal));
        Assert.Contains(output.SyntaxTrees, t => t.ToString().Contains("NetDsl reported errors for this class", StringComparison.Ordinal)); // the stub of 'broken'
    }

    [Fact]
    public void A_block_that_states_no_policy_in_a_network_that_does_is_reported_where_it_is_staged()
    {
        var result = GeneratorHarness.Run(Usings + "namespace Lab {\n" +
            "[Block, Residual] public partial class Bare { [Conv(Kernel = 3)] Conv2d conv1; }\n" +
            "[Block, Residual, BatchNorm] public partial class NormOnly { [Conv(Kernel = 3)] Conv2d conv1; }\n" +
            "[Block, Residual, BatchNorm, Activation(Nonlinearity.ReLU)] public partial class Full { [Conv(Kernel = 3)] Conv2d conv1; }\n" +
            "[Network, Input(1, 8, 8), BatchNorm, Activation(Nonlinearity.ReLU), Variants(Residual = new[] { true, false })] public partial class Net { [Conv(4)] Conv2d conv1; " +
            "[Stage(Channels = 4)] ModuleList<Bare> layer1; [Stage(Channels = 4)] ModuleList<NormOnly> layer2; [Stage(Channels = 4)] ModuleList<Full> layer3; [GlobalAvgPool] AdaptiveAvgPool2d pool; [Linear(2)] Linear fc; }\n" +
            "[Network, Input(1, 8, 8)] public partial class NoPolicies { [Conv(4)] Conv2d conv1; [Stage(Channels = 4)] ModuleList<Bare> layer1; [GlobalAvgPool] AdaptiveAvgPool2d pool; [Linear(2)] Linear fc; } }");
        var infos = result.GeneratorDiagnostics.Where(d => d.Id == "ND0040").Select(d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal([
            "Block 'Bare' states no [BatchNorm] or [Activation], so in 'Net' it runs without (a block type is generated once, from its own attributes), while the variants of a [Variants] matrix give it the network's; declare [BatchNorm], [Activation(...)] on 'Bare' to have it in both",
            "Block 'NormOnly' states no [Activation], so in 'Net' it runs without (a block type is generated once, from its own attributes), while the variants of a [Variants] matrix give it the network's; declare [Activation(...)] on 'NormOnly' to have it in both",
        ], infos);
        Assert.All(result.GeneratorDiagnostics.Where(d => d.Id == "ND0040"), d => Assert.Equal(DiagnosticSeverity.Info, d.Severity));
        Assert.Empty(result.InGeneratedFiles);
        // Information, not an error: the network and its variants are built, no stub.
        Assert.DoesNotContain(result.GeneratorDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Contains("public static global::NetDsl.ModelSummary Summary", result.Sources["Lab.Net.g.cs"], StringComparison.Ordinal);
        Assert.DoesNotContain(result.Sources.Values, text => text.Contains("NetDsl reported errors for this class", StringComparison.Ordinal));
    }

    /// <summary>The compiled assembly, as a project reference gives it to the compiler (private members are not imported).</summary>
    static MetadataReference Image(Compilation compilation)
    {
        using var stream = new System.IO.MemoryStream();
        var emit = compilation.Emit(stream);
        Assert.True(emit.Success, string.Join("\n", emit.Diagnostics));
        return MetadataReference.CreateFromImage(stream.ToArray());
    }

    [Fact]
    public void A_block_from_a_referenced_assembly_is_ND0039_not_a_silent_stub()
    {
        // The block compiled into another assembly: its layers have no source in the user's compilation.
        GeneratorHarness.CreateDriver().RunGeneratorsAndUpdateCompilation(
            GeneratorHarness.Compile(Usings + "namespace Lab.Blocks { [Block, Residual] public partial class Unit { [Conv(Kernel = 3)] Conv2d conv1; } }").WithAssemblyName("Lab.Blocks"),
            out var library, out _);
        var user = GeneratorHarness.Compile(Usings + "namespace Lab { [Network, Input(1, 8, 8)] public partial class Net { [Conv(4)] Conv2d conv1; " +
                                            "[Stage(Blocks = 2, Channels = 4)] ModuleList<Lab.Blocks.Unit> layer1; [GlobalAvgPool] AdaptiveAvgPool2d pool; [Linear(2)] Linear fc; } }")
            .AddReferences(Image(library));
        GeneratorHarness.CreateDriver().RunGeneratorsAndUpdateCompilation(user, out var output, out var diagnostics);
        Assert.Empty(user.GetDiagnostics().Where(x => x.Severity == DiagnosticSeverity.Error).Select(x => x.ToString()));
        var d = Assert.Single(diagnostics, x => x.Severity == DiagnosticSeverity.Error);
        Assert.Equal("ND0039", d.Id);
        Assert.Equal("Stage 'layer1' repeats the block 'Lab.Blocks.Unit' from the assembly 'Lab.Blocks'; NetDsl builds a block from its source, in the project that declares it, " +
                     "so declare the block in this project (or build the whole network in 'Lab.Blocks')", d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        var source = user.SyntaxTrees.Single().ToString();
        Assert.Equal(source.IndexOf("ModuleList<Lab.Blocks.Unit>", StringComparison.Ordinal), d.Location.SourceSpan.Start);
        Assert.Equal("ModuleList<Lab.Blocks.Unit>".Length, d.Location.SourceSpan.Length);
        Assert.DoesNotContain(output.SyntaxTrees, t => t.FilePath.Contains("Unit", StringComparison.Ordinal));
    }

    [Fact]
    public void Hint_names_are_unique_ignoring_case_across_every_kind_of_generated_file()
    {
        // A type with variants (a network file, variant files and a registry) beside: a namespace spelled like the type in
        // other case holding a network named like the registry; a namespace holding a network named like a variant file;
        // an invalid twin (a stub file); a block twin; a root namespace twin; and two Unicode names that upper-case alike.
        var sources = new[]
        {
            Usings + "namespace Zoo { [Network, Input(3), Variants(Activation = new[] { Nonlinearity.ReLU, Nonlinearity.Sigmoid })] public partial class Model { [Linear(6)] Linear fc1; [Linear(2)] Linear fc2; } }",
            Usings + "namespace Zoo.MODEL { [Network, Input(3)] public partial class Variants { [Linear(2)] Linear head; } }",
            Usings + "namespace Zoo.model.Variants { [Network, Input(3)] public partial class SIGMOID { [Linear(2)] Linear head; } }",
            Usings + "namespace Zoo { [Network] public partial class MoDeL { [Linear(2)] Linear head; } }",
            Usings + "namespace Zoo { [Block] public partial class mODEL { [Linear] Linear fc1; } }",
            Usings + "namespace ZOO { [Network, Input(3)] public partial class Model { [Linear(2)] Linear head; } }",
            Usings + "namespace Zoo { [Network, Input(3)] public partial class ſtem { [Linear(2)] Linear head; } [Network, Input(3)] public partial class Stem { [Linear(2)] Linear head; } }",
            Usings + "namespace Quiet { [Network, Input(3)] public partial class Lone { [Linear(2)] Linear head; } }",
        };
        var result = RunGuarded(sources);

        Assert.Equal(new[] { "ND0002" }, result.GeneratorDiagnostics.Select(d => d.Id));   // MoDeL has no [Input]: a stub
        var hints = result.Sources.Keys.ToList();
        Assert.Equal(12, hints.Count);
        Assert.Equal(hints.Count, hints.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.Contains("Quiet.Lone.g.cs", hints);                                          // no twin: the readable name
        Assert.Contains(hints, h => h.StartsWith("Zoo.-u017ftem", StringComparison.Ordinal)); // 'ſ' (upper case 'S') is escaped
        Assert.All(hints.Where(h => h.StartsWith("Zoo.Model", StringComparison.OrdinalIgnoreCase)), h => Assert.Contains("-c", h));
        Assert.Empty(result.CompilationDiagnostics);
    }

    // ---------------------------------------------------------------- 2. partial declarations

    [Fact]
    public void Partial_declarations_generate_once_per_class_and_layer_fields_must_sit_in_one_declaration()
    {
        // [Network] and [Block] each on two parts of one class: the user's CS0579, and one file per class.
        var twice = RunGuarded(
            Usings + "namespace Parts;\n[Network, Input(5)] public partial class Twice { [Linear(4)] Linear a; [Linear(2)] Linear b; }\n[Network] public partial class Twice { public int Width => 4; }",
            Usings + "namespace Parts;\n[Block] public partial class Unit { [Linear] Linear fc1; }\n[Block] public partial class Unit { }");
        Assert.Empty(twice.GeneratorDiagnostics);
        Assert.Equal(new[] { "Parts.Twice.g.cs", "Parts.Unit.g.cs" }, twice.Sources.Keys.OrderBy(k => k, StringComparer.Ordinal));
        Assert.NotEmpty(twice.CompilationDiagnostics);
        Assert.All(twice.CompilationDiagnostics, d => Assert.Equal("CS0579", d.Id));
        Assert.Empty(twice.InGeneratedFiles);

        // Layer fields in two parts (here: two files): C# gives no order, so it is an error at the second part's first field,
        // whatever the order of the files.
        var head = Usings + "namespace Parts;\n[Network, Input(6), Activation(Nonlinearity.Tanh)]\npublic partial class Split { [Linear(4)] Linear hidden; }";
        var tail = Usings + "namespace Parts;\npublic partial class Split\n{\n    [Linear(3)] Linear output;\n    public int Extra => 1;\n}";
        foreach (var files in new[] { new[] { head, tail }, new[] { tail, head } })
        {
            var split = RunGuarded(files);
            var d = Assert.Single(split.GeneratorDiagnostics);
            Assert.Equal("ND0031", d.Id);
            Assert.Contains("'Split' declares layer fields in 2 partial declarations", d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Contains("'hidden' (", d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Contains("'output' (", d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Contains("this stub only keeps", split.Sources["Parts.Split.g.cs"]);
            Assert.Empty(split.CompilationDiagnostics);
        }

        // All layers in one part, anything else in the others: generated as usual.
        var together = RunGuarded(head.Replace("[Linear(4)] Linear hidden;", "[Linear(4)] Linear hidden; [Linear(3)] Linear output;"), tail.Replace("[Linear(3)] Linear output;", ""));
        Assert.Empty(together.GeneratorDiagnostics);
        Assert.Contains("this.output = global::TorchSharp.torch.nn.Linear(4, 3, hasBias: true);", together.Sources["Parts.Split.g.cs"]);
        Assert.Empty(together.CompilationDiagnostics);
    }

    // ---------------------------------------------------------------- 3. unbounded work

    /// <summary>A chain of blocks, each holding <paramref name="stages"/> stages of <paramref name="blocks"/> of the previous one.</summary>
    static string Chain(int levels, int blocks, int stages)
    {
        var s = new StringBuilder(Usings + "namespace Deep;\n[Block, Residual, BatchNorm, Activation(Nonlinearity.ReLU)] public partial class L0 { [Linear] Linear fc1; }\n");
        for (int i = 1; i < levels; i++)
            s.Append(System.Globalization.CultureInfo.InvariantCulture, $"[Block] public partial class L{i} {{ {string.Concat(Enumerable.Range(0, stages).Select(k => $"[Stage(Blocks = {blocks})] ModuleList<L{i - 1}> s{k}; "))}}}\n");
        s.Append(System.Globalization.CultureInfo.InvariantCulture, $"[Network, Input(4)] public partial class Top {{ [Linear(4)] Linear stem; [Stage(Blocks = {blocks}, Channels = 4)] ModuleList<L{levels - 1}> body; [Linear(2)] Linear head; }}\n");
        return s.ToString();
    }

    [Fact]
    public void Work_is_bounded_for_nested_stages_large_depths_and_large_matrices()
    {
        // 15 levels of 5 nested blocks (5^15 = 3e10 instances): the blocks over the bound get ND0033 each, nothing is walked per instance.
        var nested = RunGuarded(Chain(levels: 15, blocks: 5, stages: 1));
        // L0 counts 5 rows per instance (fc1, bn1, relu and a possible projection), L5 = 5^6: the first block over the bound
        // says so; the blocks and the network above it are invalid through it and say nothing more.
        var over = Assert.Single(nested.GeneratorDiagnostics);
        Assert.Equal("ND0033", over.Id);
        Assert.StartsWith("Block 'L5' expands to 15,625 layers", over.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(nested.CompilationDiagnostics);

        // Two stages per level (the spec is a graph of 2^30 paths): the same.
        var dag = RunGuarded(Chain(levels: 30, blocks: 1, stages: 2));
        Assert.StartsWith("Block 'L11' expands to 10,240 layers", Assert.Single(dag.GeneratorDiagnostics).GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(dag.CompilationDiagnostics);

        // Within the bound, nested repetition is inferred once per distinct use and expanded into every row.
        var fits = RunGuarded(Chain(levels: 5, blocks: 3, stages: 1));
        Assert.Empty(fits.GeneratorDiagnostics);
        var rows = fits.Sources["Deep.Top.g.cs"].Split('\n').Count(l => l.TrimStart().StartsWith("new global::NetDsl.LayerSummary(", StringComparison.Ordinal));
        Assert.Equal(2 + 3 * 3 * 3 * 3 * 3 * 3, rows);   // stem, head, and 3^5 L0 units of fc1, bn1, relu
        Assert.Empty(fits.CompilationDiagnostics);

        // A depth variant of 10,000 blocks per stage: over the per-type bound, an error on [Variants], the network itself still builds.
        const string block = "[Block, Residual, BatchNorm, Activation(Nonlinearity.ReLU)] public partial class U { [Conv] Conv2d conv1; [Conv] Conv2d conv2; }\n";
        const string net = "public partial class N { [Conv(4)] Conv2d conv1; [Stage(Blocks = 2, Channels = 4)] ModuleList<U> a; [Stage(Blocks = 2, Channels = 8, Stride = 2)] ModuleList<U> b; [GlobalAvgPool] AdaptiveAvgPool2d pool; [Linear(2)] Linear fc; }";
        var deep = RunGuarded(Usings + "namespace Wide;\n" + block + "[Network, Input(1, 8, 8), BatchNorm, Activation(Nonlinearity.ReLU), Variants(Depth = new[] { 3, 10000 })]\n" + net);
        var tooDeep = Assert.Single(deep.GeneratorDiagnostics);
        Assert.Equal("ND0033", tooDeep.Id);
        Assert.StartsWith("Variant 'N.Depth10000' expands to 120,007 layers", tooDeep.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(new[] { "Wide.N.g.cs", "Wide.U.g.cs" }, deep.Sources.Keys.OrderBy(k => k, StringComparer.Ordinal));

        // 2 x 3 x 5 x 6 = 180 combinations: over the bound on variants, before any is planned.
        var many = RunGuarded(Usings + "namespace Wide;\n" + block + "[Network, Input(1, 8, 8), BatchNorm, Activation(Nonlinearity.ReLU), Variants(Residual = new[] { true, false }, "
            + "BatchNorm = new[] { BatchNormVariant.AfterConv, BatchNormVariant.AfterActivation, BatchNormVariant.None }, "
            + "Order = new[] { UnitOrder.Original, UnitOrder.BnAfterAddition, UnitOrder.ReluBeforeAddition, UnitOrder.ReluOnlyPreActivation, UnitOrder.FullPreActivation }, "
            + "Activation = new[] { Nonlinearity.None, Nonlinearity.ReLU, Nonlinearity.LeakyReLU, Nonlinearity.Sigmoid, Nonlinearity.Tanh, Nonlinearity.GELU })]\n" + net);
        Assert.Equal("ND0034", Assert.Single(many.GeneratorDiagnostics).Id);
        Assert.Contains("the matrix has 180 combinations, but NetDsl generates at most 128 variants per matrix", Assert.Single(many.GeneratorDiagnostics).GetMessage(System.Globalization.CultureInfo.InvariantCulture));

        // 60 depths of up to 3,000 layers each: every variant within the per-type bound, their sum over the matrix bound.
        var total = RunGuarded(Usings + "namespace Wide;\n" + block + "[Network, Input(1, 8, 8), BatchNorm, Activation(Nonlinearity.ReLU), Variants(Depth = new[] { "
            + string.Join(", ", Enumerable.Range(1, 60).Select(i => i * 8)) + " })]\n" + net);
        var sum = Assert.Single(total.GeneratorDiagnostics);
        Assert.Equal("ND0034", sum.Id);
        Assert.Contains("layers in total, but NetDsl generates at most 50,000 layers per matrix", sum.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Shape_inference_and_emission_honour_cancellation()
    {
        var result = GeneratorHarness.Run(Chain(levels: 5, blocks: 3, stages: 1));
        Assert.Empty(result.GeneratorDiagnostics);
        var compilation = GeneratorHarness.Compile(Chain(levels: 5, blocks: 3, stages: 1));
        var top = compilation.GetTypeByMetadataName("Deep.Top")!;
        var reader = new Parsing.ClassReader(CancellationToken.None, compilation);
        var layers = reader.ReadLayers(top, inBlock: false, System.Collections.Immutable.ImmutableStack<string>.Empty);
        var spec = new Model.NetworkSpec("Deep", "Top", new Model.EquatableArray<int>(new[] { 4 }), reader.ReadPolicy(top), new Model.EquatableArray<Model.LayerSpec>(layers.Select(l => l.Spec)), "Deep.Top");
        var none = layers.Select(_ => (Model.LocationInfo?)null).ToList();
        var inference = Planning.ShapeInference.Run(spec, none, none, null, CancellationToken.None);
        Assert.Equal(2 + 729, inference.Rows.Count);

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => Planning.ShapeInference.Run(spec, none, none, null, cancelled.Token));
        var model = new Model.NetworkModel(spec, new Model.EquatableArray<Model.SummaryRow>(inference.Rows), new Model.EquatableArray<long>(inference.StepInputs), new Model.EquatableArray<int>(inference.StepRanks));
        Assert.ThrowsAny<OperationCanceledException>(() => Emit.UnitEmitter.EmitNetwork(model, cancelled.Token));
        Assert.ThrowsAny<OperationCanceledException>(() => new Parsing.ClassReader(cancelled.Token, compilation).ReadLayers(top, inBlock: false, System.Collections.Immutable.ImmutableStack<string>.Empty));
    }

    // ---------------------------------------------------------------- 4. generated names vs user names

    [Theory]
    // Types in scope named like what generated code writes, including 'var' and contextual keywords.
    [InlineData("namespace Scope { public class var { } public class Summary { } public class Tap { } public class Variants { } public class nameof { } public class dynamic { } public class Tensor { } public class torch { } public class async { } public class scope { } public class y { }\n"
        + "[Block, Residual(Shortcut = Shortcut.ZeroPad), BatchNorm, Activation(Nonlinearity.ReLU)] public partial class Unit { [Conv] Conv2d conv1; [Conv] Conv2d conv2; }\n"
        + "[Network, Input(1, 8, 8), BatchNorm, Activation(Nonlinearity.ReLU), Variants(Residual = new[] { true, false })] public partial class Net { [Conv(4)] Conv2d conv1; [Stage(Blocks = 2, Channels = 8, Stride = 2)] ModuleList<Unit> layer1; [GlobalAvgPool] AdaptiveAvgPool2d pool; [Linear(2)] Linear fc; } }")]
    // Blocks named like the variant class's members (a layer, Summary, Tap, the variant's own name): nested types get other names.
    [InlineData("namespace Scope;\n[Block, Residual] public partial class fc { [Linear] Linear fc1; }\n[Block, Residual] public partial class Summary { [Linear] Linear fc1; }\n"
        + "[Block, Residual] public partial class Plain { [Linear] Linear fc1; }\n[Block, Residual] public partial class Plain_ { [Linear] Linear fc1; }\n"
        + "[Network, Input(4), Variants(Residual = new[] { true, false })] public partial class Net { [Linear(4)] Linear stem; [Stage(Blocks = 1, Channels = 4)] ModuleList<fc> a; [Stage(Blocks = 1, Channels = 4)] ModuleList<Summary> b; [Stage(Blocks = 1, Channels = 4)] ModuleList<Plain_> c; [Stage(Blocks = 1, Channels = 4)] ModuleList<Plain> d; [Linear(2)] Linear fc; }")]
    // Blocks named like members every module inherits from TorchSharp's Module (nested in a variant, they would hide them: CS0108).
    [InlineData("namespace Scope;\n[Block, Residual] public partial class name { [Linear] Linear fc1; }\n[Block, Residual] public partial class train { [Linear] Linear fc1; }\n"
        + "[Network, Input(4), Variants(Residual = new[] { true, false })] public partial class Net { [Linear(4)] Linear stem; [Stage(Blocks = 1, Channels = 4)] ModuleList<name> a; [Stage(Blocks = 1, Channels = 4)] ModuleList<train> b; [Linear(2)] Linear fc; }")]
    // Fields named like generated locals and parameters, keywords, and the names a variant adds where this variant adds none.
    [InlineData("namespace Scope;\n[Block, Residual, BatchNorm, Activation(Nonlinearity.ReLU)] public partial class B { [Linear] Linear sum; [Linear] Linear branch; }\n"
        + "[Network, Input(4), BatchNorm, Activation(Nonlinearity.ReLU), Variants(Order = new[] { UnitOrder.Original, UnitOrder.BnAfterAddition })] public partial class Net { [Linear(4)] Linear x; [Stage(Blocks = 2, Channels = 4)] ModuleList<B> @event; [Linear(3)] Linear bn_final; [Linear(2)] Linear relu_final; }")]
    // Classes named like contextual keywords (read as modifiers, or drawing CS8860, where generated code names them unescaped).
    [InlineData("namespace Scope;\n[Block, Residual] public partial class init { [Linear] Linear fc1; }\n[Block] public partial class with { [Linear] Linear fc1; }\n"
        + "[Network, Input(4), Variants(Residual = new[] { true, false })] public partial class record { [Linear(4)] Linear file; [Stage(Blocks = 2, Channels = 4)] ModuleList<init> value; [Stage(Blocks = 1, Channels = 4)] ModuleList<with> async; [Linear(2)] Linear var; }")]
    public void Generated_names_never_clash_with_user_names(string code)
    {
        var result = RunGuarded(Usings + code);
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.DoesNotContain(result.Sources.Values, s => s.Contains("this stub only keeps"));
        Assert.Empty(result.InGeneratedFiles);
        // Only the compiler's notes on the user's own type names: lower case (CS8981), 'record' (CS8860).
        Assert.All(result.CompilationDiagnostics, d => Assert.Contains(d.Id, new[] { "CS8981", "CS8860" }));
    }

    [Fact]
    public void A_type_the_variant_registry_would_hide_is_a_diagnostic()
    {
        // The network's matrix adds the nested class Net.Variants: inside Net it would take the place of the block Variants.
        const string prefix = Usings + "namespace Scope;\n[Block, Residual] public partial class Variants { [Linear] Linear fc1; }\n"
            + "[Network, Input(4), Variants(Residual = new[] { true, false })] public partial class Net { [Linear(4)] Linear stem; [Stage(Blocks = 2, Channels = 4)] ModuleList<";
        var result = RunGuarded(prefix + "Variants> layers; [Linear(2)] Linear fc; }");
        var d = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal("ND0038", d.Id);
        Assert.Equal((prefix.Length, "Variants".Length), (d.Location.SourceSpan.Start, d.Location.SourceSpan.Length));
        Assert.Contains("rename 'Scope.Variants' or write it qualified (global::Scope.Variants)", d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(result.InGeneratedFiles);

        // Written qualified, it means the block still: generated.
        var qualified = RunGuarded(prefix + "global::Scope.Variants> layers; [Linear(2)] Linear fc; }");
        Assert.Empty(qualified.GeneratorDiagnostics);
        Assert.Empty(qualified.CompilationDiagnostics);
    }

    [Theory]
    // A variant adds a module named like a user field: bn_final / relu_final (pre-activation), tanh (activation axis), bn1 (BatchNorm axis).
    [InlineData("[Network, Input(4), BatchNorm, Activation(Nonlinearity.ReLU), {|Variants(Order = new[] { UnitOrder.Original, UnitOrder.FullPreActivation })|}]\npublic partial class Net { [Linear(8)] Linear fc; [Stage(Blocks = 2, Channels = 8)] ModuleList<B> layers; [Linear(2)] Linear bn_final; }", "'bn_final' (the final BatchNorm that pre-activation variants add")]
    [InlineData("[Network, Input(4), BatchNorm, Activation(Nonlinearity.ReLU), {|Variants(Order = new[] { UnitOrder.Original, UnitOrder.FullPreActivation })|}]\npublic partial class Net { [Linear(8)] Linear fc; [Stage(Blocks = 2, Channels = 8)] ModuleList<B> layers; [Linear(2)] Linear relu_final; }", "'relu_final' (the final activation")]
    [InlineData("[Network, Input(4), Activation(Nonlinearity.ReLU), {|Variants(Activation = new[] { Nonlinearity.ReLU, Nonlinearity.Tanh })|}]\npublic partial class Net { [Linear(8)] Linear tanh; [Linear(2)] Linear fc; }", "'tanh' (the shared Tanh module")]
    [InlineData("[Network, Input(4), Activation(Nonlinearity.ReLU), {|Variants(BatchNorm = new[] { BatchNormVariant.AfterConv, BatchNormVariant.None })|}]\npublic partial class Net { [Linear(8)] Linear fc1; [Linear(2)] Linear bn1; }", "'bn1' (the BatchNorm of 'fc1'")]
    [InlineData("[Network, Input(4), {|Variants(Residual = new[] { true, false }, BatchNorm = new[] { BatchNormVariant.AfterConv, BatchNormVariant.None })|}]\npublic partial class Net { [Linear(8)] Linear Plain_NoBn; [Stage(Blocks = 2, Channels = 8)] ModuleList<B> layers; [Linear(2)] Linear fc; }", "'Plain_NoBn' (a member named like its class")]
    public void A_module_a_variant_adds_under_a_user_name_is_a_diagnostic(string markup, string message)
    {
        var start = markup.IndexOf("{|", StringComparison.Ordinal);
        var end = markup.IndexOf("|}", StringComparison.Ordinal);
        var prefix = Usings + "namespace Scope;\n[Block, Residual, BatchNorm, Activation(Nonlinearity.ReLU)] public partial class B { [Linear] Linear fc1; }\n";
        var code = prefix + markup.Remove(end, 2).Remove(start, 2);
        var result = RunGuarded(code);
        var d = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal("ND0018", d.Id);
        Assert.Contains(message, d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal((prefix.Length + start, end - start - 2), (d.Location.SourceSpan.Start, d.Location.SourceSpan.Length));
        Assert.DoesNotContain(result.Sources.Keys, k => k.Contains(".Variants", StringComparison.Ordinal));   // no variant is generated, the network is
        Assert.Contains("Scope.Net.g.cs", result.Sources.Keys);
        Assert.Empty(result.CompilationDiagnostics);
    }

    [Theory]
    [InlineData("[Network, Input(4)] public partial class {|Summary|} { [Linear(2)] Linear fc; }")]
    [InlineData("[Network, Input(4), Variants(Activation = new[] { Nonlinearity.ReLU, Nonlinearity.Tanh })] public partial class {|Variants|} { [Linear(3)] Linear fc1; [Linear(2)] Linear fc2; }")]
    [InlineData("[Block, Activation(Nonlinearity.ReLU)] public partial class {|relu|} { [Linear] Linear fc1; }")]
    [InlineData("[Block, Residual] public partial class {|downsample|} { [Linear] Linear fc1; }")]
    [InlineData("[Network, Input(4)] public partial class {|Tap|} { [Linear(2)] Linear fc; }")]
    public void A_class_named_like_a_member_generated_in_it_is_a_diagnostic(string markup)
    {
        var start = markup.IndexOf("{|", StringComparison.Ordinal);
        var end = markup.IndexOf("|}", StringComparison.Ordinal);
        var prefix = Usings + "namespace Scope;\n";
        var result = RunGuarded(prefix + markup.Remove(end, 2).Remove(start, 2));
        var d = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal("ND0035", d.Id);
        Assert.Equal((prefix.Length + start, end - start - 2), (d.Location.SourceSpan.Start, d.Location.SourceSpan.Length));
        Assert.Empty(result.InGeneratedFiles);
        Assert.All(result.CompilationDiagnostics, d => Assert.Equal("CS8981", d.Id));
    }

    // ---------------------------------------------------------------- 5. stubs and follow-on errors

    [Theory]
    // ND errors on classes that cannot take a stub, or take one: no warning on any layer field, nothing from generated files.
    [InlineData("[Network, Input(4)] file partial class Hidden { [Linear(2)] Linear fc; }", "ND0005", "")]
    [InlineData("[Network, Input(4)] public partial class Rooted : object { [Linear(2)] Linear fc; }", "ND0005", "")]
    [InlineData("[Block] public partial class Based : System.Object { [Linear] Linear fc1; }", "ND0005", "")]
    [InlineData("[Network, Input(4)] public class Whole { [Linear(3)] Linear fc1; [Linear(2)] Linear fc2; }", "ND0001", "")]
    [InlineData("[Network, Input(4)] public partial class Built { [Linear(2)] Linear fc; public Built(int seed) { } }", "ND0023", "")]
    [InlineData("[Network, Input(4)] public partial class Wrong { [Linear(0)] Linear fc; }", "ND0003", "")]
    // The user's own C# errors: theirs alone, no ND diagnostic and no follow-on error in generated code.
    [InlineData("[Network, Input(4)] public partial class Twice { [Linear(3)] Linear fc; [Linear(2)] Linear fc; }", "", "CS0102")]
    [InlineData("[Network, Input(4)] public partial class Typed { [Linear(\"3\")] Linear fc; [Linear(2)] Linear head; }", "", "CS1503")]
    [InlineData("[Network, Input(4)] public partial class Named { [Linear(3)] Linear fc; public void fc() { } }", "", "CS0102")]
    // Half-written code: a declarator or a class without its name.
    [InlineData("[Network, Input(4)] public partial class Cut { [Linear(3)] Linear fc,; }", "", "CS1001")]
    [InlineData("[Network, Input(4)] public partial class { [Linear(3)] Linear fc; }", "", "CS1001")]
    public void Rejected_classes_compile_cleanly_and_users_see_only_the_ND_diagnostic_and_their_own_errors(string code, string nd, string cs)
    {
        var result = RunGuarded(Usings + "namespace Stubs;\n" + code);
        Assert.Equal(nd.Length == 0 ? Array.Empty<string>() : new[] { nd }, result.GeneratorDiagnostics.Select(d => d.Id));
        Assert.Empty(result.InGeneratedFiles);
        Assert.Equal(cs.Length == 0 ? Array.Empty<string>() : new[] { cs }, result.CompilationDiagnostics.Select(d => d.Id).Distinct());
        // Stubs only for classes that can take a part (not file-local, no base class, no constructor of their own).
        if (code.Contains("file ", StringComparison.Ordinal) || code.Contains(" : ", StringComparison.Ordinal) || code.Contains("Built(", StringComparison.Ordinal))
            Assert.Empty(result.Sources);
    }

    [Fact]
    public void A_missing_using_leaves_only_the_compilers_errors()
    {
        // Mid-edit: NetDsl's attributes do not resolve; the unassigned-field warnings are not added to the errors.
        var result = RunGuarded("using TorchSharp.Modules;\nnamespace Stubs;\n[Network, Input(4)] public partial class Net { [Linear(3)] Linear fc1; [Linear(2)] Linear fc2; }");
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.All(result.CompilationDiagnostics, d => Assert.Equal(DiagnosticSeverity.Error, d.Severity));
        Assert.All(result.CompilationDiagnostics, d => Assert.Contains(d.Id, new[] { "CS0246", "CS0616" }));   // unknown attribute; 'Linear' is TorchSharp's module
    }

    [Fact]
    public void A_source_type_in_the_place_of_one_generated_code_uses_is_one_diagnostic_and_nothing_is_generated()
    {
        var result = RunGuarded(Usings + "namespace Stubs { [Network, Input(4)] public partial class Net { [Linear(2)] Linear fc; } }\nnamespace TorchSharp { public class torch { } }");
        var d = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal("ND0037", d.Id);
        Assert.Contains("The project declares the type 'TorchSharp.torch', which takes the place of 'TorchSharp.torch'", d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(result.Sources);
    }

    // ---------------------------------------------------------------- 6. consumer language version

    [Fact]
    public void Generated_code_compiles_at_every_language_version_from_7_3_and_older_versions_get_one_diagnostic()
    {
        // C# 7.3 syntax on the user's side: block namespace, no newer features.
        const string code = Usings + "namespace Old {\n"
            + "[Block, Residual(Shortcut = Shortcut.ZeroPad), BatchNorm, Activation(Nonlinearity.ReLU)] public partial class Cifar { [Conv(Kernel = 3)] Conv2d conv1; [Conv(Kernel = 3)] Conv2d conv2; }\n"
            + "[Block(Taps = false), Residual, BatchNorm, Activation(Nonlinearity.ReLU)] public partial class Projected { [Conv(Kernel = 3)] Conv2d conv1; }\n"
            + "[Network, Input(1, 12, 12), BatchNorm, Activation(Nonlinearity.ReLU), Variants(Residual = new[] { true, false }, Order = new[] { UnitOrder.Original, UnitOrder.FullPreActivation })]\n"
            + "public partial class Small { [Conv(4)] Conv2d conv1; [Stage(Blocks = 2, Channels = 4)] ModuleList<Cifar> layer1; [Stage(Blocks = 1, Channels = 8, Stride = 2)] ModuleList<Projected> layer2; [GlobalAvgPool] AdaptiveAvgPool2d pool; [Linear(2)] Linear fc; }\n"
            + "[Network, Input(4)] public partial class Broken { [Linear(0)] Linear fc; }\n"
            + "}";
        var latest = RunGuarded(code).Sources.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        Assert.Equal(9, latest.Count);   // 2 blocks, the network, 4 variants and their registry, a stub
        var versions = Enum.GetValues<LanguageVersion>();
        Assert.Contains(LanguageVersion.CSharp1, versions);
        foreach (var version in versions)
        {
            var options = new CSharpParseOptions(version);
            var result = RunGuarded(options, code);
            if (options.LanguageVersion >= LanguageVersion.CSharp7_3)
            {
                Assert.Equal(latest, result.Sources.Keys.OrderBy(k => k, StringComparer.Ordinal));
                Assert.Equal(new[] { "ND0003" }, result.GeneratorDiagnostics.Select(d => d.Id));
                Assert.True(!result.InGeneratedFiles.Any(), $"C# {version.ToDisplayString()}: {string.Join("; ", result.InGeneratedFiles)}");
            }
            else
            {
                var d = Assert.Single(result.GeneratorDiagnostics);
                Assert.Equal("ND0036", d.Id);
                Assert.Equal($"NetDsl's generated code needs C# 7.3 or later, but this project compiles with C# {options.LanguageVersion.ToDisplayString()}; set <LangVersion> to 7.3 or later, or remove it to use the SDK's default", d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
                Assert.Empty(result.Sources);
            }
        }
    }

    // ---------------------------------------------------------------- 7. "same" padding and the real output size

    [Fact]
    public void An_even_kernel_with_same_padding_is_a_diagnostic_and_block_docs_state_the_real_output_size()
    {
        var even = RunGuarded(Usings + "namespace Pad;\n[Network, Input(2, 9, 9)] public partial class Net { [Conv(4, Kernel = 4)] Conv2d conv1; [Conv(4, Kernel = 2, Padding = 1)] Conv2d conv2; [GlobalAvgPool] AdaptiveAvgPool2d pool; [Linear(2)] Linear fc; }");
        var d = Assert.Single(even.GeneratorDiagnostics);
        Assert.Equal("ND0032", d.Id);
        Assert.Equal("'conv1' has an even kernel (4) and the default \"same\" padding (kernel / 2 on each side), which cannot keep the size: it grows every side by one; set Padding explicitly (Padding = 1 shrinks by one, Padding = 2 grows by one) or use an odd kernel", d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));

        // A pooling layer after the block's last weight layer runs after the residual addition: the doc gives the size it makes.
        var pooled = RunGuarded(Usings + "namespace Pad;\n[Block, Residual, BatchNorm, Activation(Nonlinearity.ReLU)] public partial class Down { [Conv(Kernel = 3)] Conv2d conv1; [MaxPool(Kernel = 2)] MaxPool2d pool; }\n"
            + "[Network, Input(2, 15, 15)] public partial class Net { [Stage(Blocks = 1, Channels = 6, Stride = 2)] ModuleList<Down> layer1; [Flatten] Flatten flat; [Linear(2)] Linear fc; }");
        Assert.Empty(pooled.GeneratorDiagnostics);
        Assert.Contains("/// <summary>The forward pass: <c>[N, inChannels, H, W]</c> to <c>[N, planes, ((H - 1) / stride + 1 - 2) / 2 + 1, ((W - 1) / stride + 1 - 2) / 2 + 1]</c> (integer division).</summary>", pooled.Sources["Pad.Down.g.cs"]);
        // At H = 15, stride 2: (14 / 2 + 1 - 2) / 2 + 1 = 4, as the network's Summary has it.
        Assert.Contains("new global::NetDsl.LayerSummary(\"layer1.0.pool\", \"MaxPool2d\", new long[] { 6, 4, 4 }, 0, 0),", pooled.Sources["Pad.Net.g.cs"]);
        Assert.Empty(pooled.CompilationDiagnostics);
    }
}
