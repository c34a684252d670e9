using NetDsl.Generators.Model;

namespace NetDsl.Generators.Kinds.Layers;

/// <summary>
/// <c>[Stage(Blocks = 2, Channels = 64, Stride = 2)]</c> on a <c>ModuleList&lt;TBlock&gt;</c> field: torchvision's
/// <c>layer1</c>, a list of blocks of a [Block] type, the first taking the stride and the channel change. Composite: its blocks
/// are units of their own, so reading the block (<c>ClassReader.ReadStage</c>), walking it (<c>ShapeInference</c>) and building it
/// (<c>UnitEmitter.EmitStage</c>, <c>PyTorchEmitter.Stage</c>) belong to the planner, which reads and builds other classes.
/// </summary>
internal sealed class Stage : ILayerKind
{
    public string Name => "Stage";
    public string? Attribute => "NetDsl.StageAttribute";
    public string? FieldType => null;
    public string? Example => null;
    public bool IsWeight => false;
    public bool Composite => true;
    public bool FreshOutput => false;
    public LayerSpec? Read(LayerRead r) => r.Reader.ReadStage(r);
    public bool? TakesMaps(LayerSpec l) => l.Block!.Spatial;
    public LayerOutput? Infer(LayerShape c) => throw Planner();
    public string ModuleType(LayerSpec l, bool map) => "ModuleList<" + l.Block!.TypeName + ">";
    public string Factory(LayerSpec l, LayerSizes s) => throw Planner();
    public string PyTorch(LayerSpec l, LayerSizes s) => throw Planner();
    public Nonlinearity? Activates(LayerSpec l) => null;
    public SizeStep? Size(LayerSpec l, int? stride) => null;

    static System.InvalidOperationException Planner() => new("a stage's blocks are walked and built by the planner (ShapeInference, UnitEmitter, PyTorchEmitter)");
}
