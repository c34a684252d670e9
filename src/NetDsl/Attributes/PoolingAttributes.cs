using System;

namespace NetDsl;

/// <summary>
/// 2-D max pooling on a field of type <c>TorchSharp.Modules.MaxPool2d</c>:
/// <c>[N, C, H, W]</c> to <c>[N, C, floor((H + 2 * Padding - Kernel) / Stride) + 1, ...]</c>. No parameters.
/// </summary>
[AttributeUsage(AttributeTargets.Field, Inherited = false, AllowMultiple = false)]
public sealed class MaxPoolAttribute : Attribute
{
    /// <summary>Window size. Default 2.</summary>
    public int Kernel { get; set; } = 2;
    /// <summary>Stride. Default 0: equal to <see cref="Kernel"/> (PyTorch's default).</summary>
    public int Stride { get; set; }
    /// <summary>Implicit negative-infinity padding on each side. Default 0.</summary>
    public int Padding { get; set; }
}

/// <summary>
/// 2-D average pooling on a field of type <c>TorchSharp.Modules.AvgPool2d</c>:
/// <c>[N, C, H, W]</c> to <c>[N, C, floor((H + 2 * Padding - Kernel) / Stride) + 1, ...]</c>. No parameters.
/// </summary>
[AttributeUsage(AttributeTargets.Field, Inherited = false, AllowMultiple = false)]
public sealed class AvgPoolAttribute : Attribute
{
    /// <summary>Window size. Default 2.</summary>
    public int Kernel { get; set; } = 2;
    /// <summary>Stride. Default 0: equal to <see cref="Kernel"/>.</summary>
    public int Stride { get; set; }
    /// <summary>Zero padding on each side. Default 0.</summary>
    public int Padding { get; set; }
}

/// <summary>
/// Global average pooling on a field of type <c>TorchSharp.Modules.AdaptiveAvgPool2d</c> (output size 1):
/// <c>[N, C, H, W]</c> to <c>[N, C, 1, 1]</c>; a following <see cref="LinearAttribute">Linear</see> sees it
/// flattened to <c>[N, C]</c>, as in torchvision's <c>torch.flatten(x, 1)</c>. No parameters.
/// </summary>
[AttributeUsage(AttributeTargets.Field, Inherited = false, AllowMultiple = false)]
public sealed class GlobalAvgPoolAttribute : Attribute
{
}

/// <summary>
/// Zero padding on a field of type <c>TorchSharp.Modules.ZeroPad2d</c> (PyTorch's <c>nn.ZeroPad2d</c>):
/// <c>[N, C, H, W]</c> to <c>[N, C, H + 2 * Padding, W + 2 * Padding]</c>. No parameters.
/// </summary>
[AttributeUsage(AttributeTargets.Field, Inherited = false, AllowMultiple = false)]
public sealed class ZeroPadAttribute : Attribute
{
    /// <summary>Zeros added on each side of the height and width, 0 to 1,024. Default 1.</summary>
    public int Padding { get; set; } = 1;
}

/// <summary>Flattens <c>[N, C, H, W]</c> to <c>[N, C * H * W]</c> on a field of type <c>TorchSharp.Modules.Flatten</c>.</summary>
[AttributeUsage(AttributeTargets.Field, Inherited = false, AllowMultiple = false)]
public sealed class FlattenAttribute : Attribute
{
}

/// <summary>Dropout with probability <see cref="P"/> (training mode only) on a field of type <c>TorchSharp.Modules.Dropout</c>. Shape unchanged.</summary>
[AttributeUsage(AttributeTargets.Field, Inherited = false, AllowMultiple = false)]
public sealed class DropoutAttribute : Attribute
{
    /// <summary>Probability of zeroing an element, in [0, 1). Default 0.5.</summary>
    public double P { get; set; } = 0.5;
}
