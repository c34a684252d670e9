using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using NetDsl.Analyzers;
using Xunit;

namespace NetDsl.Generators.Tests;

/// <summary>
/// NDA0001 (analyzers/NetDsl.Analyzers): no number reaches TorchSharp as a temporary Scalar, which the GC can free while
/// LibTorch reads it. The analyzer runs in every build of the repository; here on small sources and on generated code.
/// </summary>
public class TemporaryScalarAnalyzerTests
{
    const string Usings = "using TorchSharp;\nusing static TorchSharp.torch;\n";

    static string[] Flagged(string body)
    {
        var compilation = GeneratorHarness.Compile(Usings + "static class C {\n" + body + "\n}");
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var diagnostics = compilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new TemporaryScalarAnalyzer()))
            .GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
        Assert.All(diagnostics, d => Assert.Equal("NDA0001", d.Id));
        return diagnostics.Select(d => d.Location.SourceTree!.ToString().Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length)).ToArray();
    }

    [Theory]
    // An implicit conversion of a number to a Scalar argument.
    [InlineData("static Tensor F(Tensor x) => x.mul(0.5);", "0.5")]
    [InlineData("static Tensor F(Tensor x) => x.add(x, alpha: 2);", "2")]
    [InlineData("static Tensor F(Tensor x) => x.clamp_min(0);", "0")]
    [InlineData("static void F(Tensor x) => x.fill_(-1);", "-1")]
    // TorchSharp's operators with a number make the Scalar inside the operator.
    [InlineData("static Tensor F(Tensor x) => x * 0.1;", "x * 0.1")]
    [InlineData("static Tensor F(Tensor x) => 0.5 * x;", "0.5 * x")]
    [InlineData("static Tensor F(Tensor x) => x > 0;", "0")]
    [InlineData("static Tensor F(Tensor x) { x -= 1; return x; }", "x -= 1")]
    // A Scalar made and passed at once, or held by a plain local (dead during the call once its handle is read).
    [InlineData("static Tensor F(Tensor x) => x.mul(0.5.ToScalar());", "0.5.ToScalar()")]
    [InlineData("static Tensor F(Tensor x) { Scalar s = 0.5; return x.mul(s); }", "0.5")]
    [InlineData("static Tensor F(Tensor x) { var s = 0.5.ToScalar(); return x.mul(s); }", "0.5.ToScalar()")]
    [InlineData("static Tensor F(Tensor x) { for (Scalar s = 1; ;) return x.mul(s); }", "1")]
    public void A_temporary_scalar_is_flagged_where_it_is_made(string body, string flagged) =>
        Assert.Equal([flagged], Flagged(body));

    [Theory]
    [InlineData("static readonly Scalar Half = 0.5.ToScalar();\nstatic Tensor F(Tensor x) => x.mul(Half);")]
    [InlineData("static readonly Scalar Half = 0.5;\nstatic Tensor F(Tensor x) => x.mul(Half);")]
    [InlineData("static Tensor F(Tensor x) { using var s = 0.5.ToScalar(); return x.mul(s); }")]
    [InlineData("static Tensor F(Tensor x) { using (Scalar s = 0.5) return x.mul(s); }")]
    [InlineData("static Tensor F(Tensor x) { using var s = 0.5.ToScalar(); using (var t = x.mul(s)) return t * x; }")]
    // Not numbers: tensors, shapes and dtypes are not Scalars.
    [InlineData("static Tensor F(Tensor x) => x.square().sum() + x.reshape(2, 3).mean() * x;")]
    [InlineData("static Tensor F() => zeros(2, 3, dtype: ScalarType.Float64);")]
    public void A_scalar_kept_alive_or_no_scalar_is_not_flagged(string body) =>
        Assert.Empty(Flagged(body));

    [Fact]
    public void Generated_branch_scale_uses_a_scalar_kept_alive()
    {
        // The unit of Balduzzi et al.'s scaled residual: the generator once emitted `branch * 0.1` in its forward.
        var result = GeneratorHarness.Run("using NetDsl;\nusing TorchSharp.Modules;\nnamespace Demo {\n" +
            "[Block, Residual(BranchScale = 0.1), BatchNorm, Activation(Nonlinearity.ReLU)] public partial class Unit { [Linear] Linear fc1; }\n" +
            "[Network, Input(4)] public partial class Net { [Linear(4)] Linear fc_in; [Stage(Blocks = 2, Channels = 4)] ModuleList<Unit> layer1; [Linear(2)] Linear fc; } }");
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Empty(result.InGeneratedFiles); // the harness runs NDA0001 over generated files, as the build does
        var unit = result.Sources.Single(kv => kv.Key.Contains("Unit", System.StringComparison.Ordinal)).Value;
        Assert.Contains("private static readonly global::TorchSharp.Scalar branchScale = global::TorchSharp.ScalarExtensionMethods.ToScalar(0.1);", unit, System.StringComparison.Ordinal);
        Assert.Contains(".mul(branchScale)", unit, System.StringComparison.Ordinal);
        Assert.DoesNotContain("* 0.1", unit, System.StringComparison.Ordinal);
    }

    [Fact]
    public void A_user_layer_named_like_the_branch_scale_field_is_ND0018()
    {
        var result = GeneratorHarness.Run("using NetDsl;\nusing TorchSharp.Modules;\nnamespace Demo {\n" +
            "[Block, Residual(BranchScale = 0.1)] public partial class Unit { [Linear] Linear branchScale; }\n" +
            "[Network, Input(4)] public partial class Net { [Stage(Blocks = 1, Channels = 4)] ModuleList<Unit> layer1; } }");
        Assert.Contains(result.GeneratorDiagnostics, d => d.Id == "ND0018" && d.GetMessage(System.Globalization.CultureInfo.InvariantCulture).Contains("branchScale", System.StringComparison.Ordinal));
    }
}
