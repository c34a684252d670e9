using System;
using System.Collections.Generic;
using System.Linq;
using NetDsl.Experiments;
using Xunit;

namespace NetDsl.Cli.Tests;

/// <summary>
/// The ready-made experiments select variants by their typed settings (<see cref="VariantInfo.Axes"/>): the names each preset
/// runs, and the settings text every catalog variant carries into results.json, are pinned to what string matching selected
/// and wrote before the settings were typed (captured from commit 586cf7f).
/// </summary>
public sealed class CatalogSelectionTests
{
    static readonly (string Experiment, string Preset, string[] Names)[] Selected =
    [
        ("bn-residual", "quick", ["DepthNet.Residual.BnAfterConv.Depth3", "DepthNet.Residual.NoBn.Depth3", "DepthNet.Plain.BnAfterConv.Depth3", "DepthNet.Plain.NoBn.Depth3"]),
        ("bn-residual", "full", ["DepthNet.Residual.BnAfterConv.Depth3", "DepthNet.Residual.NoBn.Depth3", "DepthNet.Plain.BnAfterConv.Depth3", "DepthNet.Plain.NoBn.Depth3"]),
        ("gradient-flow", "quick", ["DepthNet.Residual.BnAfterConv.Depth1", "DepthNet.Residual.BnAfterConv.Depth3", "DepthNet.Residual.BnAfterConv.Depth5", "DepthNet.Residual.BnAfterConv.Depth9", "DepthNet.Residual.NoBn.Depth1", "DepthNet.Residual.NoBn.Depth3", "DepthNet.Residual.NoBn.Depth5", "DepthNet.Residual.NoBn.Depth9", "DepthNet.Plain.BnAfterConv.Depth1", "DepthNet.Plain.BnAfterConv.Depth3", "DepthNet.Plain.BnAfterConv.Depth5", "DepthNet.Plain.BnAfterConv.Depth9", "DepthNet.Plain.NoBn.Depth1", "DepthNet.Plain.NoBn.Depth3", "DepthNet.Plain.NoBn.Depth5", "DepthNet.Plain.NoBn.Depth9"]),
        ("gradient-flow", "full", ["DepthNet.Residual.BnAfterConv.Depth1", "DepthNet.Residual.BnAfterConv.Depth3", "DepthNet.Residual.BnAfterConv.Depth5", "DepthNet.Residual.BnAfterConv.Depth9", "DepthNet.Residual.NoBn.Depth1", "DepthNet.Residual.NoBn.Depth3", "DepthNet.Residual.NoBn.Depth5", "DepthNet.Residual.NoBn.Depth9", "DepthNet.Plain.BnAfterConv.Depth1", "DepthNet.Plain.BnAfterConv.Depth3", "DepthNet.Plain.BnAfterConv.Depth5", "DepthNet.Plain.BnAfterConv.Depth9", "DepthNet.Plain.NoBn.Depth1", "DepthNet.Plain.NoBn.Depth3", "DepthNet.Plain.NoBn.Depth5", "DepthNet.Plain.NoBn.Depth9"]),
        ("bn-placement", "quick", ["VggNet.NoBn.ReLU", "VggNet.NoBn.Sigmoid", "VggNet.BnAfterConv.ReLU", "VggNet.BnAfterConv.Sigmoid", "VggNet.BnAfterActivation.ReLU", "VggNet.BnAfterActivation.Sigmoid"]),
        ("bn-placement", "full", ["VggNet.NoBn.ReLU", "VggNet.NoBn.Sigmoid", "VggNet.BnAfterConv.ReLU", "VggNet.BnAfterConv.Sigmoid", "VggNet.BnAfterActivation.ReLU", "VggNet.BnAfterActivation.Sigmoid"]),
        ("smoothness", "quick", ["VggNet.NoBn.ReLU", "VggNet.BnAfterConv.ReLU"]),
        ("smoothness", "full", ["VggNet.NoBn.ReLU", "VggNet.BnAfterConv.ReLU"]),
        ("covariate-shift", "quick", ["VggNet.NoBn.ReLU", "VggNet.BnAfterConv.ReLU"]),
        ("covariate-shift", "full", ["VggNet.NoBn.ReLU", "VggNet.BnAfterConv.ReLU"]),
        ("preactivation", "quick", ["OrderNet.PostAct", "OrderNet.BnAfterAddition", "OrderNet.ReluBeforeAddition", "OrderNet.ReluOnlyPreAct", "OrderNet.PreAct"]),
        ("preactivation", "full", ["OrderNet.PostAct", "OrderNet.BnAfterAddition", "OrderNet.ReluBeforeAddition", "OrderNet.ReluOnlyPreAct", "OrderNet.PreAct"]),
        ("degradation", "quick", ["DepthNet.Residual.BnAfterConv.Depth1", "DepthNet.Residual.BnAfterConv.Depth5", "DepthNet.Plain.BnAfterConv.Depth1", "DepthNet.Plain.BnAfterConv.Depth5"]),
        ("degradation", "full", ["DepthNet.Residual.BnAfterConv.Depth1", "DepthNet.Residual.BnAfterConv.Depth5", "DepthNet.Plain.BnAfterConv.Depth1", "DepthNet.Plain.BnAfterConv.Depth5"]),
        ("he2015-depth", "quick", ["CifarResNet.Plain.Depth3", "CifarResNet.Plain.Depth9", "CifarResNet.Residual.Depth3", "CifarResNet.Residual.Depth9"]),
        ("he2015-depth", "full", ["CifarResNet.Plain.Depth3", "CifarResNet.Plain.Depth5", "CifarResNet.Plain.Depth7", "CifarResNet.Plain.Depth9", "CifarResNet.Plain.Depth18", "CifarResNet.Residual.Depth3", "CifarResNet.Residual.Depth5", "CifarResNet.Residual.Depth7", "CifarResNet.Residual.Depth9", "CifarResNet.Residual.Depth18"]),
        ("he2016-units", "quick", ["CifarOrderNet.PostAct", "CifarOrderNet.BnAfterAddition", "CifarOrderNet.ReluBeforeAddition", "CifarOrderNet.ReluOnlyPreAct", "CifarOrderNet.PreAct"]),
        ("he2016-units", "full", ["CifarOrderNet.PostAct", "CifarOrderNet.BnAfterAddition", "CifarOrderNet.ReluBeforeAddition", "CifarOrderNet.ReluOnlyPreAct", "CifarOrderNet.PreAct"]),
        // Added with the experiment (not from the string era): BatchNorm and GroupNorm with He's initialization, none with three starts.
        ("normalization-free", "quick", ["NormFreeNet.BatchNorm.HeFanIn.Depth3", "NormFreeNet.BatchNorm.HeFanIn.Depth9", "NormFreeNet.GroupNorm.HeFanIn.Depth3", "NormFreeNet.GroupNorm.HeFanIn.Depth9", "NormFreeNet.NoNorm.HeFanIn.Depth3", "NormFreeNet.NoNorm.HeFanIn.Depth9", "NormFreeNet.NoNorm.Fixup.Depth3", "NormFreeNet.NoNorm.Fixup.Depth9", "NormFreeNet.NoNorm.SkipInit.Depth3", "NormFreeNet.NoNorm.SkipInit.Depth9"]),
        ("normalization-free", "full", ["NormFreeNet.BatchNorm.HeFanIn.Depth3", "NormFreeNet.BatchNorm.HeFanIn.Depth9", "NormFreeNet.GroupNorm.HeFanIn.Depth3", "NormFreeNet.GroupNorm.HeFanIn.Depth9", "NormFreeNet.NoNorm.HeFanIn.Depth3", "NormFreeNet.NoNorm.HeFanIn.Depth9", "NormFreeNet.NoNorm.Fixup.Depth3", "NormFreeNet.NoNorm.Fixup.Depth9", "NormFreeNet.NoNorm.SkipInit.Depth3", "NormFreeNet.NoNorm.SkipInit.Depth9"]),
        ("shattering", "quick", ["ShatterNet.Plain.BnAfterConv.Depth2", "ShatterNet.Plain.BnAfterConv.Depth4", "ShatterNet.Plain.BnAfterConv.Depth8", "ShatterNet.Plain.BnAfterConv.Depth16", "ShatterNet.Plain.BnAfterConv.Depth24", "ShatterNet.Plain.BnAfterConv.Depth50", "ShatterNet.Plain.NoBn.Depth2", "ShatterNet.Plain.NoBn.Depth4", "ShatterNet.Plain.NoBn.Depth8", "ShatterNet.Plain.NoBn.Depth16", "ShatterNet.Plain.NoBn.Depth24", "ShatterNet.Plain.NoBn.Depth50", "ShatterNet.Residual.BnAfterConv.Depth2", "ShatterNet.Residual.BnAfterConv.Depth4", "ShatterNet.Residual.BnAfterConv.Depth8", "ShatterNet.Residual.BnAfterConv.Depth16", "ShatterNet.Residual.BnAfterConv.Depth24", "ShatterNet.Residual.BnAfterConv.Depth50", "ShatterNet.Residual.NoBn.Depth2", "ShatterNet.Residual.NoBn.Depth4", "ShatterNet.Residual.NoBn.Depth8", "ShatterNet.Residual.NoBn.Depth16", "ShatterNet.Residual.NoBn.Depth24", "ShatterNet.Residual.NoBn.Depth50", "ScaledShatterNet.Depth2", "ScaledShatterNet.Depth4", "ScaledShatterNet.Depth8", "ScaledShatterNet.Depth16", "ScaledShatterNet.Depth24", "ScaledShatterNet.Depth50"]),
        ("shattering", "full", ["ShatterNet.Plain.BnAfterConv.Depth2", "ShatterNet.Plain.BnAfterConv.Depth4", "ShatterNet.Plain.BnAfterConv.Depth8", "ShatterNet.Plain.BnAfterConv.Depth16", "ShatterNet.Plain.BnAfterConv.Depth24", "ShatterNet.Plain.BnAfterConv.Depth50", "ShatterNet.Plain.NoBn.Depth2", "ShatterNet.Plain.NoBn.Depth4", "ShatterNet.Plain.NoBn.Depth8", "ShatterNet.Plain.NoBn.Depth16", "ShatterNet.Plain.NoBn.Depth24", "ShatterNet.Plain.NoBn.Depth50", "ShatterNet.Residual.BnAfterConv.Depth2", "ShatterNet.Residual.BnAfterConv.Depth4", "ShatterNet.Residual.BnAfterConv.Depth8", "ShatterNet.Residual.BnAfterConv.Depth16", "ShatterNet.Residual.BnAfterConv.Depth24", "ShatterNet.Residual.BnAfterConv.Depth50", "ShatterNet.Residual.NoBn.Depth2", "ShatterNet.Residual.NoBn.Depth4", "ShatterNet.Residual.NoBn.Depth8", "ShatterNet.Residual.NoBn.Depth16", "ShatterNet.Residual.NoBn.Depth24", "ShatterNet.Residual.NoBn.Depth50", "ScaledShatterNet.Depth2", "ScaledShatterNet.Depth4", "ScaledShatterNet.Depth8", "ScaledShatterNet.Depth16", "ScaledShatterNet.Depth24", "ScaledShatterNet.Depth50"]),
    ];

    /// <summary>Every catalog variant's settings text, <c>axis=value</c> joined by commas, in the registry's order.</summary>
    static readonly (string Name, string Settings)[] Texts =
    [
        ("DepthNet.Residual.BnAfterConv.Depth1", "Residual=on,BatchNorm=BnAfterConv,Depth=1"),
        ("DepthNet.Residual.BnAfterConv.Depth3", "Residual=on,BatchNorm=BnAfterConv,Depth=3"),
        ("DepthNet.Residual.BnAfterConv.Depth5", "Residual=on,BatchNorm=BnAfterConv,Depth=5"),
        ("DepthNet.Residual.BnAfterConv.Depth9", "Residual=on,BatchNorm=BnAfterConv,Depth=9"),
        ("DepthNet.Residual.NoBn.Depth1", "Residual=on,BatchNorm=NoBn,Depth=1"),
        ("DepthNet.Residual.NoBn.Depth3", "Residual=on,BatchNorm=NoBn,Depth=3"),
        ("DepthNet.Residual.NoBn.Depth5", "Residual=on,BatchNorm=NoBn,Depth=5"),
        ("DepthNet.Residual.NoBn.Depth9", "Residual=on,BatchNorm=NoBn,Depth=9"),
        ("DepthNet.Plain.BnAfterConv.Depth1", "Residual=off,BatchNorm=BnAfterConv,Depth=1"),
        ("DepthNet.Plain.BnAfterConv.Depth3", "Residual=off,BatchNorm=BnAfterConv,Depth=3"),
        ("DepthNet.Plain.BnAfterConv.Depth5", "Residual=off,BatchNorm=BnAfterConv,Depth=5"),
        ("DepthNet.Plain.BnAfterConv.Depth9", "Residual=off,BatchNorm=BnAfterConv,Depth=9"),
        ("DepthNet.Plain.NoBn.Depth1", "Residual=off,BatchNorm=NoBn,Depth=1"),
        ("DepthNet.Plain.NoBn.Depth3", "Residual=off,BatchNorm=NoBn,Depth=3"),
        ("DepthNet.Plain.NoBn.Depth5", "Residual=off,BatchNorm=NoBn,Depth=5"),
        ("DepthNet.Plain.NoBn.Depth9", "Residual=off,BatchNorm=NoBn,Depth=9"),
        ("VggNet.NoBn.ReLU", "BatchNorm=NoBn,Activation=ReLU"),
        ("VggNet.NoBn.Sigmoid", "BatchNorm=NoBn,Activation=Sigmoid"),
        ("VggNet.BnAfterConv.ReLU", "BatchNorm=BnAfterConv,Activation=ReLU"),
        ("VggNet.BnAfterConv.Sigmoid", "BatchNorm=BnAfterConv,Activation=Sigmoid"),
        ("VggNet.BnAfterActivation.ReLU", "BatchNorm=BnAfterActivation,Activation=ReLU"),
        ("VggNet.BnAfterActivation.Sigmoid", "BatchNorm=BnAfterActivation,Activation=Sigmoid"),
        ("OrderNet.PostAct", "Order=Original"),
        ("OrderNet.BnAfterAddition", "Order=BnAfterAddition"),
        ("OrderNet.ReluBeforeAddition", "Order=ReluBeforeAddition"),
        ("OrderNet.ReluOnlyPreAct", "Order=ReluOnlyPreActivation"),
        ("OrderNet.PreAct", "Order=FullPreActivation"),
        ("CifarResNet.Plain.Depth3", "Residual=off,Depth=3"),
        ("CifarResNet.Plain.Depth5", "Residual=off,Depth=5"),
        ("CifarResNet.Plain.Depth7", "Residual=off,Depth=7"),
        ("CifarResNet.Plain.Depth9", "Residual=off,Depth=9"),
        ("CifarResNet.Plain.Depth18", "Residual=off,Depth=18"),
        ("CifarResNet.Residual.Depth3", "Residual=on,Depth=3"),
        ("CifarResNet.Residual.Depth5", "Residual=on,Depth=5"),
        ("CifarResNet.Residual.Depth7", "Residual=on,Depth=7"),
        ("CifarResNet.Residual.Depth9", "Residual=on,Depth=9"),
        ("CifarResNet.Residual.Depth18", "Residual=on,Depth=18"),
        ("CifarOrderNet.PostAct", "Order=Original"),
        ("CifarOrderNet.BnAfterAddition", "Order=BnAfterAddition"),
        ("CifarOrderNet.ReluBeforeAddition", "Order=ReluBeforeAddition"),
        ("CifarOrderNet.ReluOnlyPreAct", "Order=ReluOnlyPreActivation"),
        ("CifarOrderNet.PreAct", "Order=FullPreActivation"),
        ("NormFreeNet.BatchNorm.HeFanIn.Depth3", "Normalization=BatchNorm,Init=HeFanIn,Depth=3"),
        ("NormFreeNet.BatchNorm.HeFanIn.Depth9", "Normalization=BatchNorm,Init=HeFanIn,Depth=9"),
        ("NormFreeNet.GroupNorm.HeFanIn.Depth3", "Normalization=GroupNorm,Init=HeFanIn,Depth=3"),
        ("NormFreeNet.GroupNorm.HeFanIn.Depth9", "Normalization=GroupNorm,Init=HeFanIn,Depth=9"),
        ("NormFreeNet.NoNorm.HeFanIn.Depth3", "Normalization=NoNorm,Init=HeFanIn,Depth=3"),
        ("NormFreeNet.NoNorm.HeFanIn.Depth9", "Normalization=NoNorm,Init=HeFanIn,Depth=9"),
        ("NormFreeNet.NoNorm.Fixup.Depth3", "Normalization=NoNorm,Init=Fixup,Depth=3"),
        ("NormFreeNet.NoNorm.Fixup.Depth9", "Normalization=NoNorm,Init=Fixup,Depth=9"),
        ("NormFreeNet.NoNorm.SkipInit.Depth3", "Normalization=NoNorm,Init=SkipInit,Depth=3"),
        ("NormFreeNet.NoNorm.SkipInit.Depth9", "Normalization=NoNorm,Init=SkipInit,Depth=9"),
        ("ShatterNet.Plain.BnAfterConv.Depth2", "Residual=off,BatchNorm=BnAfterConv,Depth=2"),
        ("ShatterNet.Plain.BnAfterConv.Depth4", "Residual=off,BatchNorm=BnAfterConv,Depth=4"),
        ("ShatterNet.Plain.BnAfterConv.Depth8", "Residual=off,BatchNorm=BnAfterConv,Depth=8"),
        ("ShatterNet.Plain.BnAfterConv.Depth16", "Residual=off,BatchNorm=BnAfterConv,Depth=16"),
        ("ShatterNet.Plain.BnAfterConv.Depth24", "Residual=off,BatchNorm=BnAfterConv,Depth=24"),
        ("ShatterNet.Plain.BnAfterConv.Depth50", "Residual=off,BatchNorm=BnAfterConv,Depth=50"),
        ("ShatterNet.Plain.NoBn.Depth2", "Residual=off,BatchNorm=NoBn,Depth=2"),
        ("ShatterNet.Plain.NoBn.Depth4", "Residual=off,BatchNorm=NoBn,Depth=4"),
        ("ShatterNet.Plain.NoBn.Depth8", "Residual=off,BatchNorm=NoBn,Depth=8"),
        ("ShatterNet.Plain.NoBn.Depth16", "Residual=off,BatchNorm=NoBn,Depth=16"),
        ("ShatterNet.Plain.NoBn.Depth24", "Residual=off,BatchNorm=NoBn,Depth=24"),
        ("ShatterNet.Plain.NoBn.Depth50", "Residual=off,BatchNorm=NoBn,Depth=50"),
        ("ShatterNet.Residual.BnAfterConv.Depth2", "Residual=on,BatchNorm=BnAfterConv,Depth=2"),
        ("ShatterNet.Residual.BnAfterConv.Depth4", "Residual=on,BatchNorm=BnAfterConv,Depth=4"),
        ("ShatterNet.Residual.BnAfterConv.Depth8", "Residual=on,BatchNorm=BnAfterConv,Depth=8"),
        ("ShatterNet.Residual.BnAfterConv.Depth16", "Residual=on,BatchNorm=BnAfterConv,Depth=16"),
        ("ShatterNet.Residual.BnAfterConv.Depth24", "Residual=on,BatchNorm=BnAfterConv,Depth=24"),
        ("ShatterNet.Residual.BnAfterConv.Depth50", "Residual=on,BatchNorm=BnAfterConv,Depth=50"),
        ("ShatterNet.Residual.NoBn.Depth2", "Residual=on,BatchNorm=NoBn,Depth=2"),
        ("ShatterNet.Residual.NoBn.Depth4", "Residual=on,BatchNorm=NoBn,Depth=4"),
        ("ShatterNet.Residual.NoBn.Depth8", "Residual=on,BatchNorm=NoBn,Depth=8"),
        ("ShatterNet.Residual.NoBn.Depth16", "Residual=on,BatchNorm=NoBn,Depth=16"),
        ("ShatterNet.Residual.NoBn.Depth24", "Residual=on,BatchNorm=NoBn,Depth=24"),
        ("ShatterNet.Residual.NoBn.Depth50", "Residual=on,BatchNorm=NoBn,Depth=50"),
        ("ScaledShatterNet.Depth2", "Depth=2"),
        ("ScaledShatterNet.Depth4", "Depth=4"),
        ("ScaledShatterNet.Depth8", "Depth=8"),
        ("ScaledShatterNet.Depth16", "Depth=16"),
        ("ScaledShatterNet.Depth24", "Depth=24"),
        ("ScaledShatterNet.Depth50", "Depth=50"),
    ];

    [Fact]
    public void Every_preset_of_every_experiment_selects_the_variants_it_selected_by_string()
    {
        Assert.Equal(Catalog.All.Select(e => e.Name).Distinct().Count() * 2, Selected.Length);
        foreach (var (name, preset, expected) in Selected)
        {
            var experiment = Catalog.Find(name)!;
            var actual = experiment.VariantsOf(experiment.PresetNamed(preset)!).Select(v => v.Name).ToArray();
            Assert.True(expected.SequenceEqual(actual), $"{name} {preset}: expected {string.Join(", ", expected)}; got {string.Join(", ", actual)}");
        }
    }

    [Fact]
    public void Catalog_variants_carry_the_settings_text_they_carried_as_strings_and_it_agrees_with_their_typed_settings()
    {
        var all = Catalog.AllVariants().ToList();
        Assert.Equal(Texts.Select(t => t.Name), all.Select(v => v.Name));
        foreach (var (v, (_, text)) in all.Zip(Texts))
        {
            Assert.Equal(text, string.Join(",", v.Settings.Select(kv => kv.Key + "=" + kv.Value)));
            Assert.Equal(v.Settings, v.Axes.ToStrings());
            Assert.Equal(v.Axes, VariantSettings.Parse(v.Settings));
        }
    }
}
