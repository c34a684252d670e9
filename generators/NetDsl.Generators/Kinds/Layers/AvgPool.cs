using NetDsl.Generators.Model;

namespace NetDsl.Generators.Kinds.Layers;

/// <summary><c>[AvgPool(Kernel = 2, Stride, Padding)]</c> on an <c>AvgPool2d</c> field: <c>nn.AvgPool2d</c>, the mean of each window (see <see cref="Pool"/>).</summary>
internal sealed class AvgPool : Pool
{
    public override string Name => "AvgPool";
}
