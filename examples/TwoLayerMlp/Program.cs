using System;
using System.Linq;
using NetDsl.Examples;
using TorchSharp;
using static TorchSharp.torch;

// Trains the generated TwoLayerMlp for a few SGD steps on three Gaussian blobs in 4-D and prints the loss.
const int steps = 20, perClass = 64;
torch.manual_seed(0);
var model = new TwoLayerMlp();

// Three classes, centred at +2 on different axes, unit noise: a task a 2-layer MLP learns in a few steps.
var centres = tensor(new float[,] { { 2, 0, 0, 0 }, { 0, 2, 0, 0 }, { 0, 0, 2, 0 } });
// Numbers reach TorchSharp as Scalars kept alive (a temporary one can be freed mid-call: see src/NetDsl/Native/Scalars.cs).
using var classCount = 3.ToScalar();
var labels = arange(classCount, dtype: ScalarType.Int64).repeat_interleave(perClass);
var inputs = centres.index_select(0, labels) + randn(3 * perClass, 4);

var optimizer = optim.SGD(model.parameters(), learningRate: 0.05, momentum: 0.9);
Console.WriteLine($"TwoLayerMlp: {model.parameters().Sum(p => p.numel())} parameters, {steps} SGD steps on {3 * perClass} samples");
for (int step = 1; step <= steps; step++)
{
    using var scope = NewDisposeScope();
    optimizer.zero_grad();
    var loss = nn.functional.cross_entropy(model.call(inputs), labels);
    loss.backward();
    optimizer.step();
    Console.WriteLine($"step {step,2}  loss {loss.item<float>():F4}");
}
