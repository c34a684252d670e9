using System.Linq;
using System.Text;
using Snapshooter;
using Snapshooter.Xunit;
using Xunit;

namespace NetDsl.Generators.Tests;

/// <summary>
/// Every generated file of the example architectures, and the diagnostics for a file of mistakes, as
/// plain-text snapshots in __snapshots__/. CI runs with SNAPSHOOTER_STRICT_MODE=true, so a missing
/// snapshot fails; a changed one always fails. To accept new output: delete the affected .snap files and
/// run `dotnet test tests/NetDsl.Generators.Tests` once (see README, "Snapshots").
/// </summary>
public class SnapshotTests
{
    // One generator run over the examples serves every case.
    static readonly System.Lazy<System.Collections.Generic.Dictionary<string, string>> Examples = new(() => GeneratorHarness.Run(GeneratorHarness.ExampleSources()).Sources);

    public static TheoryData<string> GeneratedFiles()
    {
        var data = new TheoryData<string>();
        foreach (var name in Examples.Value.Keys.OrderBy(k => k, System.StringComparer.Ordinal))
            data.Add(name);
        return data;
    }

    [Theory]
    [MemberData(nameof(GeneratedFiles))]
    public void Generated_source_matches_snapshot(string hintName)
    {
        var source = Examples.Value[hintName];
        Snapshot.Match(source, SnapshotNameExtension.Create(hintName));
    }

    [Fact]
    public void Diagnostics_match_snapshot()
    {
        const string code = """
            using NetDsl;
            using TorchSharp.Modules;
            namespace Mistakes;

            [Network, Input(3, 32, 32)]
            public class NotPartial { [Conv(8)] Conv2d conv1; }

            [Block, Residual(Shortcut = Shortcut.Identity), BatchNorm, Activation(Nonlinearity.ReLU)]
            public partial class StrictBlock { [Conv] Conv2d conv1; [Conv] Conv2d conv2; }

            [Network, Input(3, 32, 32), BatchNorm, Activation(Nonlinearity.ReLU)]
            public partial class CannotAdd
            {
                [Conv(16)] Conv2d conv1;
                [Stage(Blocks = 2, Channels = 32, Stride = 2)] ModuleList<StrictBlock> layer1;
                [Linear(10)] Linear fc;
            }

            [Network, Input(1, 8, 8)]
            public partial class TooSmall
            {
                [Conv(4, Kernel = 5, Padding = 0)] Conv2d conv1;
                [MaxPool(Kernel = 4)] MaxPool2d pool;
                [Conv(4, Kernel = 3, Padding = 0)] Conv2d conv2;
            }
            """;
        var result = GeneratorHarness.Run(code);
        var text = new StringBuilder();
        foreach (var d in result.GeneratorDiagnostics.OrderBy(d => d.Location.GetLineSpan().StartLinePosition))
        {
            var span = d.Location.GetLineSpan();
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{d.Id} ({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1}): {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}\n");
        }
        Snapshot.Match(text.ToString(), SnapshotNameExtension.Create("diagnostics"));
    }
}
