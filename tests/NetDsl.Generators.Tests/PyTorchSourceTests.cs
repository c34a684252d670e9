using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace NetDsl.Generators.Tests;

/// <summary>
/// The generated <c>PyTorchSource</c> constant: its name is reserved like the other generated members, and user names that
/// Python cannot take as they are (keywords, non-ASCII, two blocks of one name) still give valid Python with the C#'s
/// state_dict keys. (Running the emitted Python against PyTorch: tests/NetDsl.Tests/Interop/PyTorchSourceTests.cs.)
/// </summary>
public sealed class PyTorchSourceTests
{
    const string Usings = "using NetDsl;\nusing TorchSharp.Modules;\n";

    /// <summary>Runs the generator and returns the value of <paramref name="type"/>'s PyTorchSource constant.</summary>
    static string Source(string code, string type)
    {
        var compilation = GeneratorHarness.Compile(code);
        GeneratorHarness.CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        Assert.Empty(diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error));
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Id != "CS8981"));
        var field = (IFieldSymbol)output.GetTypeByMetadataName(type)!.GetMembers("PyTorchSource").Single();
        Assert.True(field.IsConst);
        return (string)field.ConstantValue!;
    }

    [Fact]
    public void A_user_member_named_PyTorchSource_is_ND0018_and_a_network_named_so_is_ND0035()
    {
        var member = GeneratorHarness.Run(Usings + "namespace Scope;\n[Network, Input(4)] public partial class Net { [Linear(2)] Linear fc; public const string PyTorchSource = \"\"; }");
        Assert.Equal("ND0018", Assert.Single(member.GeneratorDiagnostics).Id);
        Assert.Empty(member.InGeneratedFiles);
        var type = GeneratorHarness.Run(Usings + "namespace Scope;\n[Network, Input(4)] public partial class PyTorchSource { [Linear(2)] Linear fc; }");
        Assert.Equal("ND0035", Assert.Single(type.GeneratorDiagnostics).Id);
        Assert.Empty(type.InGeneratedFiles);
    }

    [Fact]
    public void A_block_named_PyTorchSource_nests_in_variants_under_another_name()
    {
        var code = Usings + "namespace Scope;\n[Block, Residual] public partial class PyTorchSource { [Linear] Linear fc1; }\n"
            + "[Network, Input(4), Variants(Residual = new[] { true, false })] public partial class Net { [Stage(Blocks = 2, Channels = 4)] ModuleList<PyTorchSource> layers; [Linear(2)] Linear fc; }";
        var python = Source(code, "Scope.Net+Variants+Residual");
        Assert.Contains("class PyTorchSource_(nn.Module):", python);
        Assert.Contains("self.layers = nn.Sequential(PyTorchSource_(4, 4), PyTorchSource_(4, 4))", python);
    }

    [Fact]
    public void Names_Python_cannot_take_keep_their_state_dict_keys()
    {
        var code = Usings + """
            namespace A { [Block, Residual] public partial class Unit { [Linear] Linear @in; } }
            namespace B { [Block] public partial class Unit { [Linear] Linear größe; } }
            namespace Scope
            {
                [Block, Activation(Nonlinearity.ReLU)] public partial class None { [Linear] Linear @class; }
                [Network, Input(4)]
                public partial class nn
                {
                    [Stage(Blocks = 1, Channels = 4)] ModuleList<A.Unit> first;
                    [Stage(Blocks = 1, Channels = 4)] ModuleList<B.Unit> second;
                    [Stage(Blocks = 6, Channels = 4)] ModuleList<None> @lambda;
                    [Linear(2)] Linear fc;
                }
            }
            """;
        var python = Source(code, "Scope.nn");
        // Class names: keywords and the module's own globals get '_', a second block of one name gets another.
        Assert.Contains("class None_(nn.Module):", python);
        Assert.Contains("class nn_(nn.Module):", python);
        Assert.Contains("class Unit(nn.Module):", python);
        Assert.Contains("class Unit_(nn.Module):", python);
        // Sub-module names stay exactly the C#'s (the state_dict keys): registered and read by string where Python cannot spell them.
        Assert.Contains("self.add_module(\"in\", nn.Linear(in_features, width, bias=True))", python);
        Assert.Contains("branch = getattr(self, \"in\")(x)", python);
        Assert.Contains("self.add_module(\"größe\", nn.Linear(in_features, width, bias=True))", python);
        Assert.Contains("self.add_module(\"class\", nn.Linear(in_features, width, bias=True))", python);
        Assert.Contains("self.add_module(\"lambda\", nn.Sequential(None_(4, 4), *(None_(4, 4) for _ in range(5))))", python);
        Assert.Contains("out = getattr(self, \"lambda\")(out)", python);
        Assert.Contains("self.first = nn.Sequential(Unit(4, 4))", python);
        Assert.Contains("self.second = nn.Sequential(Unit_(4, 4))", python);
        Assert.DoesNotContain("self.class", python);
        Assert.DoesNotContain("self.in ", python);
    }
}
