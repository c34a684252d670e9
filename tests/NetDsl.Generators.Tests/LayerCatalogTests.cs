using System;
using System.Linq;
using System.Reflection;
using NetDsl.Generators.Kinds.Layers;
using Xunit;

namespace NetDsl.Generators.Tests;

/// <summary>
/// The layer-kind catalog (generators/NetDsl.Generators/Kinds/Layers/LayerCatalog.cs) is the one list of layer kinds: every
/// kind has one file in it, and every layer attribute of the runtime is read by one of them.
/// </summary>
public class LayerCatalogTests
{
    [Fact]
    public void Every_kind_file_is_listed_once_and_the_kinds_the_planner_names_are_the_listed_instances()
    {
        var kindTypes = typeof(ILayerKind).Assembly.GetTypes().Where(t => typeof(ILayerKind).IsAssignableFrom(t) && t is { IsClass: true, IsAbstract: false });
        Assert.Equal(kindTypes.Select(t => t.Name).OrderBy(n => n, StringComparer.Ordinal), LayerCatalog.All.Select(k => k.GetType().Name).OrderBy(n => n, StringComparer.Ordinal));
        foreach (var named in new[] { LayerCatalog.Conv, LayerCatalog.Stage, LayerCatalog.Norm, LayerCatalog.Activation })
            Assert.Contains(LayerCatalog.All, k => ReferenceEquals(k, named));
        Assert.Equal(LayerCatalog.All.Select(k => k.Name).Distinct().Count(), LayerCatalog.All.Count);
    }

    [Fact]
    public void The_runtimes_layer_attributes_are_exactly_the_catalogs()
    {
        // Layer attributes are the ones allowed on fields only (policy attributes such as [BatchNorm] also go on classes).
        var runtime = typeof(ConvAttribute).Assembly.GetTypes()
            .Where(t => typeof(Attribute).IsAssignableFrom(t) && t.GetCustomAttribute<AttributeUsageAttribute>()?.ValidOn == AttributeTargets.Field)
            .Select(t => t.FullName!).OrderBy(n => n, StringComparer.Ordinal);
        var catalog = LayerCatalog.All.Select(k => k.Attribute).OfType<string>().OrderBy(n => n, StringComparer.Ordinal);
        Assert.Equal(runtime, catalog);
        foreach (var k in LayerCatalog.All.Where(k => k.Attribute is not null))
        {
            Assert.Same(k, LayerCatalog.ByAttribute(k.Attribute!));
            Assert.Equal("NetDsl." + k.Name + "Attribute", k.Attribute);
        }
    }

    [Fact]
    public void Each_declared_field_type_is_a_TorchSharp_module_and_each_has_a_suggested_attribute()
    {
        foreach (var k in LayerCatalog.All.Where(k => k.FieldType is not null))
        {
            Assert.NotNull(typeof(TorchSharp.Modules.Conv2d).Assembly.GetType("TorchSharp.Modules." + k.FieldType));
            Assert.StartsWith("[" + k.Name, k.Example, StringComparison.Ordinal);
        }
    }
}
