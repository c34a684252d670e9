namespace NetDsl.Inference;

/// <summary>
/// The training-mode path of generated modules with no probe attached: a ReLU whose input is a fresh output of a convolution,
/// linear layer, normalization layer or residual sum overwrites it (<c>relu_</c>), and a residual sum adds the shortcut into
/// the branch's fresh output (<c>add_</c>), as torchvision's ResNets do with <c>ReLU(inplace=True)</c> and
/// <c>out += identity</c>. Those producers keep their inputs, not their outputs, for the backward pass, so autograd's
/// results are unchanged: losses and gradients equal the tapped path's bit for bit (tested on every example architecture
/// and variant). What it saves is one activation-sized buffer per ReLU and per sum, and the memory traffic of writing it;
/// docs/benchmarks.md has the measured step time.
/// A unit any of whose layers has a forward hook or pre-hook takes the tapped path instead (see <see cref="UntappedPath"/>), so
/// hooks fire and see the outputs they saw before. A BatchNorm frozen in eval mode inside a module in training mode is folded
/// into the layer before it (see <see cref="BatchNormFolding"/>), so results equal the tapped path's within float32
/// rounding, not bit for bit; <see cref="BatchNormFolding.Enabled"/> false keeps it unfolded.
/// </summary>
public static class InPlaceTraining
{
    /// <summary>
    /// Whether generated modules in training mode with no probe attached take the in-place path (default true). Process-wide;
    /// read at every forward call. The eval-mode counterpart is <see cref="BatchNormFolding.Enabled"/>.
    /// </summary>
    public static bool Enabled { get; set; } = true;
}
