using System;
using System.Linq;
using Xunit;

namespace NetDsl.Generators.Tests;

/// <summary>
/// The generator does not reference the runtime library, so it keeps copies of the runtime's enums and reads attribute
/// arguments as their numbers: each copy must name the same members in the same order (a member added on one side only
/// would make the generator read another value than the user wrote).
/// </summary>
public class MirrorTests
{
    static string[] Mirror(string name) =>
        Enum.GetNames(typeof(NetworkGenerator).Assembly.GetType("NetDsl.Generators.Model." + name, throwOnError: true)!);

    [Theory]
    [InlineData(typeof(Nonlinearity), "Nonlinearity")]
    [InlineData(typeof(Shortcut), "ShortcutKind")]
    [InlineData(typeof(UnitOrder), "UnitOrder")]
    [InlineData(typeof(Init), "InitKind")]
    public void Each_mirrored_enum_names_the_runtimes_members_in_order(Type runtime, string mirror) =>
        Assert.Equal(Enum.GetNames(runtime), Mirror(mirror));

    [Fact]
    public void BatchNorm_placement_is_Layer_Conv_or_Activation_in_that_order()
    {
        Assert.Equal(["Conv", "Activation"], Enum.GetNames<Layer>());
        Assert.Equal(["Convolution", "Activation"], Mirror("BnAfter"));
    }

    [Fact]
    public void The_Normalization_axis_lists_the_catalogs_kinds_in_order_then_none()
    {
        // The catalog (Kinds/Normalization/Norms.cs) orders the axis values; NormKind has None first.
        var catalog = typeof(NetworkGenerator).Assembly.GetType("NetDsl.Generators.Kinds.Normalization.Norms", throwOnError: true)!;
        var all = (System.Collections.IEnumerable)catalog.GetField("All")!.GetValue(null)!;
        var names = all.Cast<object>().Select(k => (string)k.GetType().GetProperty("Name")!.GetValue(k)!).ToList();
        Assert.Equal(Enum.GetNames<NormalizationVariant>(), names.Append("None"));
        Assert.Equal(new[] { "None" }.Concat(names.Select(n => n.Replace("Norm", "", StringComparison.Ordinal))), Mirror("NormKind"));
        // Each kind's attribute exists in the runtime under the name the kind reads.
        foreach (var k in all.Cast<object>())
            Assert.NotNull(typeof(BatchNormAttribute).Assembly.GetType((string)k.GetType().GetProperty("Attribute")!.GetValue(k)!));
        Assert.Equal(["AfterConv", "AfterActivation", "None"], Enum.GetNames<BatchNormVariant>());
    }
}
