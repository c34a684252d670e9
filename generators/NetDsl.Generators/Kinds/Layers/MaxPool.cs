using NetDsl.Generators.Model;

namespace NetDsl.Generators.Kinds.Layers;

/// <summary><c>[MaxPool(Kernel = 2, Stride, Padding)]</c> on a <c>MaxPool2d</c> field: <c>nn.MaxPool2d</c>, the largest value of each window (see <see cref="Pool"/>).</summary>
internal sealed class MaxPool : Pool
{
    public override string Name => "MaxPool";
}
