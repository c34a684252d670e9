using NetDsl;
using TorchSharp.Modules;

namespace NetDsl.Examples;

/// <summary>
/// Two fully connected layers with a ReLU between them: <c>[N, 4] -> [N, 32] -> ReLU -> [N, 3]</c>.
/// Everything else (constructor, registration, forward) is generated; hover the type to see its summary.
/// </summary>
[Network, Input(4), Activation(Nonlinearity.ReLU)]
public partial class TwoLayerMlp
{
    [Linear(32)] Linear fc1;
    [Linear(3)] Linear fc2;
}
