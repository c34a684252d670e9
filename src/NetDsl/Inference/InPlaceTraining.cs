namespace NetDsl.Inference;

/// <summary>
/// The training-mode path of generated modules with no probe attached: a ReLU whose input is a fresh output of a convolution,
/// linear layer, normalization layer or residual sum overwrites it (<c>relu_</c>), and a residual sum adds the shortcut into
/// the branch's fresh output (<c>add_</c>), as torchvision's ResNets do with <c>ReLU(inplace=True)</c> and
/// <c>out += identity</c>. Those producers keep their inputs, not their outputs, for the backward pass, so autograd's
/// results are unchanged: losses and gradients equal the tapped path's bit for bit (tested on every example architecture
/// and variant). What it saves is one activation-sized buffer per ReLU and per sum, and the memory traffic of writing it;
/// docs/benchmarks.md has the measured step time.
/// Layers called in place do not run through their module's <c>call</c>, so forward hooks registered on a ReLU module do not
/// fire on this path. Hooks on the other layers fire, but the output they receive from a convolution, linear or
/// normalization layer that a ReLU or a residual sum follows is then overwritten (as with <c>ReLU(inplace=True)</c>): a kept
/// output shows the values after the ReLU, and a hook that returns a replacement whose backward reads it (<c>tanh</c>,
/// <c>sigmoid</c>, <c>exp</c>) makes <c>backward()</c> fail with LibTorch's "modified by an inplace operation". A BatchNorm
/// frozen in eval mode inside a module in training mode is folded into the layer before it (see
/// <see cref="BatchNormFolding"/>): that pair's hooks do not fire, and results equal the tapped path's within float32
/// rounding, not bit for bit. Set <see cref="Enabled"/> to false when hooks read or replace layer outputs in training (a
/// probe attached also takes the tapped path).
/// </summary>
public static class InPlaceTraining
{
    /// <summary>
    /// Whether generated modules in training mode with no probe attached take the in-place path (default true). Process-wide;
    /// read at every forward call. The eval-mode counterpart is <see cref="BatchNormFolding.Enabled"/>.
    /// </summary>
    public static bool Enabled { get; set; } = true;
}
