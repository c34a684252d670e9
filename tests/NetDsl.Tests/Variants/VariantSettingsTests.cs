using System;
using System.Collections.Generic;
using System.Linq;
using NetDsl.Examples;
using NetDsl.Tests.Generated.Constructs;
using Xunit;
using Shattering = NetDsl.Tests.Measurements;
using PyTorchSource = NetDsl.Tests.Interop.PyTorchSource;

namespace NetDsl.Tests.Variants;

/// <summary>
/// The registry's typed settings (<see cref="VariantInfo.Axes"/>): exact values for every variant of the example and test matrices,
/// the text (<see cref="VariantInfo.Settings"/>) agreeing with them and with the variant's name, and <see cref="VariantSettings"/>'s
/// text form read and written both ways, with its errors.
/// </summary>
public class VariantSettingsTests
{
    const BatchNormVariant AfterConv = BatchNormVariant.AfterConv, AfterActivation = BatchNormVariant.AfterActivation, NoBn = BatchNormVariant.None;
    const UnitOrder Original = UnitOrder.Original, BnAfterAddition = UnitOrder.BnAfterAddition, ReluBeforeAddition = UnitOrder.ReluBeforeAddition,
        ReluOnlyPre = UnitOrder.ReluOnlyPreActivation, FullPre = UnitOrder.FullPreActivation;

    static VariantSettings S(bool? residual = null, BatchNormVariant? batchNorm = null, NormalizationVariant? normalization = null, UnitOrder? order = null,
        Nonlinearity? activation = null, int? depth = null, Init? init = null) => new(residual, batchNorm, normalization, order, activation, depth, init);

    /// <summary>The registry lists exactly <paramref name="expected"/> (names and typed settings, in order), and every variant's text agrees.</summary>
    static void Expect(IReadOnlyList<VariantInfo> registry, params (string Name, VariantSettings Axes)[] expected)
    {
        Assert.Equal(expected.Select(e => e.Name), registry.Select(v => v.Name));
        foreach (var (v, (_, axes)) in registry.Zip(expected))
        {
            Assert.True(axes == v.Axes, $"{v.Name}: expected {axes}, got {v.Axes}");
            Agrees(v, registry);
        }
    }

    /// <summary>The text is the typed settings' text, reads back to them, and the name spells the settings that vary in the registry.</summary>
    static void Agrees(VariantInfo v, IReadOnlyList<VariantInfo> registry)
    {
        Assert.Equal(v.Axes.ToStrings().ToList(), v.Settings.ToList()); // same entries, same order
        Assert.Equal(v.Axes, VariantSettings.Parse(v.Settings));
        Assert.Equal(VariantSettings.AxisNames.Where(a => v.Settings.ContainsKey(a)), v.Settings.Keys);
        // The name's parts come from the planner's own spelling of each value: an independent check of the typed values.
        var varying = VariantSettings.AxisNames.Where(a => registry.Select(r => r.Settings.GetValueOrDefault(a)).Distinct().Count() > 1).ToHashSet();
        var parts = new List<string>();
        var x = v.Axes;
        if (x.Residual is { } r && varying.Contains("Residual")) parts.Add(r ? "Residual" : "Plain");
        if (x.BatchNorm is { } b && varying.Contains("BatchNorm")) parts.Add(b switch { AfterConv => "BnAfterConv", AfterActivation => "BnAfterActivation", _ => "NoBn" });
        if (x.Normalization is { } n && varying.Contains("Normalization")) parts.Add(n == NormalizationVariant.None ? "NoNorm" : n.ToString());
        if (x.Order is { } o && varying.Contains("Order"))
            parts.Add(o switch { Original => "PostAct", ReluOnlyPre => "ReluOnlyPreAct", FullPre => "PreAct", _ => o.ToString() });
        if (x.Init is { } i && varying.Contains("Init")) parts.Add(i.ToString());
        if (x.Activation is { } a && varying.Contains("Activation")) parts.Add(a.ToString());
        if (x.Depth is { } d && varying.Contains("Depth")) parts.Add("Depth" + d.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(v.Name.Split('.')[0] + "." + (parts.Count == 0 ? "Default" : string.Join(".", parts)), v.Name);
    }

    [Fact]
    public void Example_matrices_have_exactly_these_typed_settings()
    {
        Expect(BnResidualMatrix.Variants.All,
            ("BnResidualMatrix.Residual.BnAfterConv", S(residual: true, batchNorm: AfterConv)),
            ("BnResidualMatrix.Residual.BnAfterActivation", S(residual: true, batchNorm: AfterActivation)),
            ("BnResidualMatrix.Residual.NoBn", S(residual: true, batchNorm: NoBn)),
            ("BnResidualMatrix.Plain.BnAfterConv", S(residual: false, batchNorm: AfterConv)),
            ("BnResidualMatrix.Plain.BnAfterActivation", S(residual: false, batchNorm: AfterActivation)),
            ("BnResidualMatrix.Plain.NoBn", S(residual: false, batchNorm: NoBn)));
        Expect(PreActMatrix.Variants.All,
            ("PreActMatrix.PostAct.Depth1", S(order: Original, depth: 1)),
            ("PreActMatrix.PostAct.Depth3", S(order: Original, depth: 3)),
            ("PreActMatrix.PreAct.Depth1", S(order: FullPre, depth: 1)),
            ("PreActMatrix.PreAct.Depth3", S(order: FullPre, depth: 3)));
        // The text as results.json stores it.
        Assert.Equal(new Dictionary<string, string> { ["Residual"] = "off", ["BatchNorm"] = "NoBn" }, BnResidualMatrix.Variants.All[5].Settings);
        Assert.Equal(new Dictionary<string, string> { ["Order"] = "FullPreActivation", ["Depth"] = "3" }, PreActMatrix.Variants.All[3].Settings);
    }

    [Fact]
    public void Test_matrices_have_exactly_these_typed_settings()
    {
        Expect(NormMatrixNet.Variants.All,
            ("NormMatrixNet.BatchNorm", S(normalization: NormalizationVariant.BatchNorm)),
            ("NormMatrixNet.GroupNorm", S(normalization: NormalizationVariant.GroupNorm)),
            ("NormMatrixNet.LayerNorm", S(normalization: NormalizationVariant.LayerNorm)),
            ("NormMatrixNet.InstanceNorm", S(normalization: NormalizationVariant.InstanceNorm)),
            ("NormMatrixNet.NoNorm", S(normalization: NormalizationVariant.None)));
        // Normalization x Init: zero-gamma without normalization and Fixup with it mean nothing (ND0027).
        Expect(InitMatrixNet.Variants.All,
            new[] { Init.PyTorchDefault, Init.HeFanIn, Init.HeFanOut, Init.ZeroGamma, Init.SkipInit }.Select(i => ($"InitMatrixNet.BatchNorm.{i}", S(normalization: NormalizationVariant.BatchNorm, init: i)))
                .Concat(new[] { Init.PyTorchDefault, Init.HeFanIn, Init.HeFanOut, Init.Fixup, Init.SkipInit }.Select(i => ($"InitMatrixNet.NoNorm.{i}", S(normalization: NormalizationVariant.None, init: i)))).ToArray());
        Expect(BnMatrixNet.Variants.All,
            ("BnMatrixNet.Residual.BnAfterConv", S(residual: true, batchNorm: AfterConv)),
            ("BnMatrixNet.Residual.BnAfterActivation", S(residual: true, batchNorm: AfterActivation)),
            ("BnMatrixNet.Residual.NoBn", S(residual: true, batchNorm: NoBn)),
            ("BnMatrixNet.Plain.BnAfterConv", S(residual: false, batchNorm: AfterConv)),
            ("BnMatrixNet.Plain.BnAfterActivation", S(residual: false, batchNorm: AfterActivation)),
            ("BnMatrixNet.Plain.NoBn", S(residual: false, batchNorm: NoBn)));
        Expect(OrderMatrixNet.Variants.All,
            ("OrderMatrixNet.PostAct.Depth1", S(order: Original, depth: 1)),
            ("OrderMatrixNet.PostAct.Depth2", S(order: Original, depth: 2)),
            ("OrderMatrixNet.BnAfterAddition.Depth1", S(order: BnAfterAddition, depth: 1)),
            ("OrderMatrixNet.BnAfterAddition.Depth2", S(order: BnAfterAddition, depth: 2)),
            ("OrderMatrixNet.ReluBeforeAddition.Depth1", S(order: ReluBeforeAddition, depth: 1)),
            ("OrderMatrixNet.ReluBeforeAddition.Depth2", S(order: ReluBeforeAddition, depth: 2)),
            ("OrderMatrixNet.ReluOnlyPreAct.Depth1", S(order: ReluOnlyPre, depth: 1)),
            ("OrderMatrixNet.ReluOnlyPreAct.Depth2", S(order: ReluOnlyPre, depth: 2)),
            ("OrderMatrixNet.PreAct.Depth1", S(order: FullPre, depth: 1)),
            ("OrderMatrixNet.PreAct.Depth2", S(order: FullPre, depth: 2)));
        Expect(ActivationMatrixNet.Variants.All,
            ("ActivationMatrixNet.ReLU", S(activation: Nonlinearity.ReLU)),
            ("ActivationMatrixNet.LeakyReLU", S(activation: Nonlinearity.LeakyReLU)),
            ("ActivationMatrixNet.Sigmoid", S(activation: Nonlinearity.Sigmoid)),
            ("ActivationMatrixNet.Tanh", S(activation: Nonlinearity.Tanh)),
            ("ActivationMatrixNet.GELU", S(activation: Nonlinearity.GELU)),
            ("ActivationMatrixNet.None", S(activation: Nonlinearity.None)));
        // Residual x order: a plain block keeps only the orders that need no addition (ND0027 lists the others).
        (string, VariantSettings)[] OrderMatrix(string network) =>
        [
            ($"{network}.Residual.PostAct", S(residual: true, order: Original)),
            ($"{network}.Residual.BnAfterAddition", S(residual: true, order: BnAfterAddition)),
            ($"{network}.Residual.ReluBeforeAddition", S(residual: true, order: ReluBeforeAddition)),
            ($"{network}.Residual.ReluOnlyPreAct", S(residual: true, order: ReluOnlyPre)),
            ($"{network}.Residual.PreAct", S(residual: true, order: FullPre)),
            ($"{network}.Plain.PostAct", S(residual: false, order: Original)),
            ($"{network}.Plain.PreAct", S(residual: false, order: FullPre)),
        ];
        Expect(Shattering.OrderMatrix.Variants.All, OrderMatrix("OrderMatrix"));
        Expect(Shattering.OrderMatrix50.Variants.All, OrderMatrix("OrderMatrix50"));
        Expect(PyTorchSource.OrderMatrix.Variants.All,
            ("OrderMatrix.PostAct", S(order: Original)),
            ("OrderMatrix.BnAfterAddition", S(order: BnAfterAddition)),
            ("OrderMatrix.ReluBeforeAddition", S(order: ReluBeforeAddition)),
            ("OrderMatrix.ReluOnlyPreAct", S(order: ReluOnlyPre)),
            ("OrderMatrix.PreAct", S(order: FullPre)));
        Assert.Equal(new Dictionary<string, string> { ["Normalization"] = "NoNorm" }, NormMatrixNet.Variants.All[4].Settings);
        Assert.Equal(new Dictionary<string, string> { ["Normalization"] = "NoNorm", ["Init"] = "Fixup" }, InitMatrixNet.Variants.All[8].Settings);
        Assert.Equal(new Dictionary<string, string> { ["Residual"] = "on", ["Order"] = "ReluOnlyPreActivation" }, Shattering.OrderMatrix.Variants.All[3].Settings);
    }

    [Fact]
    public void Every_value_of_every_axis_is_written_and_read_back()
    {
        var all = new List<(VariantSettings Axes, string Axis, string Text)>
        {
            (S(residual: true), "Residual", "on"), (S(residual: false), "Residual", "off"),
            (S(batchNorm: AfterConv), "BatchNorm", "BnAfterConv"), (S(batchNorm: AfterActivation), "BatchNorm", "BnAfterActivation"), (S(batchNorm: NoBn), "BatchNorm", "NoBn"),
            (S(normalization: NormalizationVariant.BatchNorm), "Normalization", "BatchNorm"), (S(normalization: NormalizationVariant.GroupNorm), "Normalization", "GroupNorm"),
            (S(normalization: NormalizationVariant.LayerNorm), "Normalization", "LayerNorm"), (S(normalization: NormalizationVariant.InstanceNorm), "Normalization", "InstanceNorm"),
            (S(normalization: NormalizationVariant.None), "Normalization", "NoNorm"),
            (S(depth: 1), "Depth", "1"), (S(depth: 50), "Depth", "50"), (S(depth: int.MaxValue), "Depth", "2147483647"),
        };
        all.AddRange(Enum.GetValues<UnitOrder>().Select(o => (S(order: o), "Order", o.ToString())));
        all.AddRange(Enum.GetValues<Nonlinearity>().Select(a => (S(activation: a), "Activation", a.ToString())));
        all.AddRange(Enum.GetValues<Init>().Select(i => (S(init: i), "Init", i.ToString())));
        Assert.Equal(2 + 3 + 5 + 3 + 5 + 6 + 6, all.Count); // every member of every enum
        foreach (var (axes, axis, text) in all)
        {
            Assert.Equal(new Dictionary<string, string> { [axis] = text }, axes.ToStrings());
            Assert.Equal(axes, VariantSettings.Parse(new Dictionary<string, string> { [axis] = text }));
        }
        var full = S(true, NoBn, NormalizationVariant.GroupNorm, FullPre, Nonlinearity.GELU, 9, Init.Fixup);
        Assert.Equal(new[] { "Residual", "BatchNorm", "Normalization", "Order", "Init", "Activation", "Depth" }, full.ToStrings().Keys);
        Assert.Equal(full, VariantSettings.Parse(full.ToStrings()));
        Assert.Empty(VariantSettings.None.ToStrings());
        Assert.Same(VariantSettings.None, VariantSettings.Parse(new Dictionary<string, string>()));
    }

    [Theory]
    [InlineData("Residual", "yes", "on, off")]
    [InlineData("Residual", "On", "on, off")]
    [InlineData("BatchNorm", "AfterConv", "BnAfterConv, BnAfterActivation, NoBn")]
    [InlineData("Normalization", "None", "BatchNorm, GroupNorm, LayerNorm, InstanceNorm, NoNorm")]
    [InlineData("Init", "fixup", "PyTorchDefault, HeFanIn, HeFanOut, ZeroGamma, Fixup, SkipInit")]
    [InlineData("Order", "PreAct", "Original, BnAfterAddition, ReluBeforeAddition, ReluOnlyPreActivation, FullPreActivation")]
    [InlineData("Activation", "relu", "None, ReLU, LeakyReLU, Sigmoid, Tanh, GELU")]
    [InlineData("Activation", "", "None, ReLU, LeakyReLU, Sigmoid, Tanh, GELU")]
    public void A_value_an_axis_does_not_take_is_refused_with_the_accepted_values(string axis, string value, string accepted)
    {
        var e = Assert.Throws<FormatException>(() => VariantSettings.Parse(new Dictionary<string, string> { [axis] = value }));
        Assert.Equal($"the variant setting {axis} = '{value}' is not one of the {axis} axis's values; use one of {accepted}", e.Message);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    [InlineData(" 3")]
    [InlineData("3.0")]
    [InlineData("")]
    [InlineData("99999999999")]
    public void A_depth_that_is_not_a_block_count_is_refused(string value)
    {
        var e = Assert.Throws<FormatException>(() => VariantSettings.Parse(new Dictionary<string, string> { ["Depth"] = value }));
        Assert.Contains($"Depth = '{value}' is not a number of blocks per stage", e.Message);
    }

    [Fact]
    public void Settings_that_no_value_can_spell_are_refused_when_written()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => S(batchNorm: (BatchNormVariant)3).ToStrings());
        Assert.Throws<ArgumentOutOfRangeException>(() => S(normalization: (NormalizationVariant)(-1)).ToStrings());
        Assert.Throws<ArgumentOutOfRangeException>(() => S(order: (UnitOrder)5).ToStrings());
        Assert.Throws<ArgumentOutOfRangeException>(() => S(activation: (Nonlinearity)6).ToStrings());
        Assert.Throws<ArgumentOutOfRangeException>(() => S(depth: 0).ToStrings());
        Assert.Throws<ArgumentOutOfRangeException>(() => S(init: (Init)6).ToStrings());
    }

    [Fact]
    public void A_hand_built_variant_keeps_its_own_entries_and_is_typed_from_its_axis_entries()
    {
        var v = BnResidualMatrix.Variants.All[0];
        var own = new VariantInfo("Lab.Wide", new Dictionary<string, string> { ["Width"] = "64", ["Residual"] = "off" }, v.Summary, v.Create, "");
        Assert.Equal(S(residual: false), own.Axes);
        Assert.Equal("64", own.Settings["Width"]);
        // Replacing the text replaces the typed view with it.
        var changed = own with { Settings = new Dictionary<string, string> { ["Depth"] = "4" } };
        Assert.Equal(S(depth: 4), changed.Axes);
        var e = Assert.Throws<FormatException>(() => new VariantInfo("Lab.Bad", new Dictionary<string, string> { ["BatchNorm"] = "yes" }, v.Summary, v.Create, ""));
        Assert.Contains("BatchNorm = 'yes'", e.Message);
        Assert.Throws<ArgumentNullException>(() => new VariantInfo("Lab.Null", (IReadOnlyDictionary<string, string>)null!, v.Summary, v.Create, ""));
        Assert.Throws<ArgumentNullException>(() => new VariantInfo("Lab.Null", (VariantSettings)null!, v.Summary, v.Create, ""));
        // The typed constructor (what the registry calls) writes the text.
        var typed = new VariantInfo("Lab.Typed", S(residual: true, depth: 2), v.Summary, v.Create, "");
        Assert.Equal(new Dictionary<string, string> { ["Residual"] = "on", ["Depth"] = "2" }, typed.Settings);
    }
}
