using MyLab;
using NetDsl.Native;
using TorchSharp;
using static TorchSharp.torch;

// Keep freed tensor memory instead of mapping it afresh every step (see NetDsl's README, "Speed on Linux").
TorchSharpRuntime.KeepFreedMemory();
torch.manual_seed(0);

// Every variant of the matrix: its compile-time summary, and one training-mode step on a random batch.
Console.WriteLine($"{"variant",-32} {"parameters",12} {"MACs / sample",14} {"loss",8}");
foreach (var variant in LabNet.Variants.All)
{
    using var scope = NewDisposeScope();
    var model = variant.Create();
    model.train();
    var x = randn(8, 1, 28, 28);
    var y = randint(0, 10, new long[] { 8 });
    var loss = nn.functional.cross_entropy(model.call(x), y);
    loss.backward();
    Console.WriteLine($"{variant.Name,-32} {variant.Summary.TotalParameters,12:N0} {variant.Summary.TotalMultiplyAccumulates,14:N0} {loss.item<float>(),8:F3}");
}
Console.WriteLine();
Console.WriteLine("Compare them on Fashion-MNIST: netdsl compare --project .   (netdsl list --project . shows what it finds)");
