using System.Linq;
using NetDsl.Generators.Diagnostics;
using NetDsl.Generators.Kinds.Normalization;
using NetDsl.Generators.Model;

namespace NetDsl.Generators.Kinds.Layers;

/// <summary>
/// An explicit normalization layer: <c>[BatchNorm]</c>, <c>[GroupNorm]</c>, <c>[LayerNorm]</c> or <c>[InstanceNorm]</c> on a field
/// of the module's own type (<c>BatchNorm2d bn</c>). Everything kind-specific (the types, the module, its parameters, what it
/// cannot normalize) comes from the normalization catalog (<see cref="Norms"/>); this file says how such a field is a layer.
/// </summary>
internal sealed class Norm : ILayerKind
{
    public string Name => "Norm";
    public string? Attribute => null;
    public string? FieldType => null;
    public string? Example => null;
    public bool IsWeight => false;
    public bool Composite => false;
    public bool FreshOutput => true;

    public LayerSpec? Read(LayerRead r)
    {
        var kind = Norms.ByAttribute(r.Attribute?.AttributeClass?.ToDisplayString() ?? "")!;
        var type = kind.FieldTypes.FirstOrDefault(t => r.FieldType == Literals.Modules + t.Type);
        if (r.Norm is { Enabled: false })
            r.Report(DiagnosticDescriptors.InvalidValue, $"The BatchNorm of explicit layer '{r.Name}'", "Enabled = false", "enabled (remove the field for none)");
        else if (type.Type is not null && r.Norm is not null)
            return LayerSpec.Create(r.Name, this, norm: r.Norm, normRank: type.Rank);
        else
            r.Report(DiagnosticDescriptors.MisplacedPolicy, kind.Name, r.Name, string.Join(" or ", kind.FieldTypes.Select(f => f.Type)));
        return null;
    }

    public bool? TakesMaps(LayerSpec l) => l.NormRank == Ranks.Map ? true : l.NormRank == Ranks.Vector ? false : null;

    public LayerOutput? Infer(LayerShape c)
    {
        var l = c.Layer;
        var kind = Norms.Of(l.Norm!.Kind);
        if (l.NormRank != Ranks.Any && (l.NormRank == Ranks.Map) != c.Map)
        {
            // The declared type needs the other rank: name the type that fits here, or say there is none.
            var fits = kind.FieldTypes.FirstOrDefault(t => t.Rank == Ranks.Any || (t.Rank == Ranks.Map) == c.Map).Type;
            if (fits is not null)
                c.ReportAtType(DiagnosticDescriptors.WrongFieldType, l.Name, kind.FieldTypes.First(t => t.Rank == l.NormRank).Type, kind.Name, Literals.Modules + fits);
            else // the kind cannot run on this rank at all: its own reason and fix (InstanceNorm on vectors)
                c.ReportAtType(DiagnosticDescriptors.NormCannotRun, $"The {kind.Name} layer {c.Name}",
                    kind.Problem(l.Norm, c.Input[0], c.Map) ?? $"{kind.Name} does not run on {(c.Map ? "maps" : "vectors")}");
            return null;
        }
        if (kind.Problem(l.Norm, c.Input[0], c.Map) is { } problem)
        {
            c.Report(DiagnosticDescriptors.NormCannotRun, $"The {kind.Name} layer {c.Name}", problem);
            return null;
        }
        return new(c.Input, kind.Parameters(c.Input[0]));
    }

    public string ModuleType(LayerSpec l, bool map) => Norms.Of(l.Norm!.Kind).ModuleType(map);
    public string Factory(LayerSpec l, LayerSizes s) => Norms.Of(l.Norm!.Kind).Factory(l.Norm, s.In, s.Map);
    public string PyTorch(LayerSpec l, LayerSizes s) => Norms.Of(l.Norm!.Kind).PyTorch(l.Norm, s.In, s.Map);
    public Nonlinearity? Activates(LayerSpec l) => null;
    public SizeStep? Size(LayerSpec l, int? stride) => null;
}
