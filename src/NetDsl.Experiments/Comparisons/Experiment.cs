using System;
using System.Collections.Generic;
using System.Linq;
using NetDsl.Experiments.Training;

namespace NetDsl.Experiments;

/// <summary>What an experiment measures for each variant and seed.</summary>
[Flags]
public enum Measures
{
    /// <summary>Nothing beyond what other flags say.</summary>
    None = 0,
    /// <summary>Train on Fashion-MNIST and record train/test loss and accuracy per epoch.</summary>
    Training = 1,
    /// <summary>Gradient norms per layer and per unit input at initialization, and the residual split (He et al. 2016).</summary>
    InitialGradients = 2,
    /// <summary>Activation statistics per layer at initialization and after each epoch (dead/always-active ReLU, saturated sigmoid).</summary>
    Activations = 4,
    /// <summary>Santurkar et al. 2018's loss variation, gradient predictiveness and effective beta-smoothness during training.</summary>
    Smoothness = 8,
    /// <summary>Internal covariate shift (Santurkar et al. 2018, Definition 2.1) during training.</summary>
    CovariateShift = 16,
    /// <summary>A filter-normalized 1-D loss slice around the trained weights (Li et al. 2018).</summary>
    Slice = 32,
    /// <summary>Gradient autocorrelation of a scalar-input network at initialization (Balduzzi et al. 2017); no data.</summary>
    Shattering = 64,
}

/// <summary>A preset: which variants run, for how long, on how much data, at which learning rates and seeds.</summary>
/// <param name="Name"><c>quick</c> or <c>full</c>.</param>
/// <param name="Include">Selects the preset's variants from the experiment's.</param>
/// <param name="Epochs">Epochs (ignored without <see cref="Measures.Training"/>).</param>
/// <param name="Subset">Training images before the validation split (null: the whole training split).</param>
/// <param name="Seeds">Seeds run by default.</param>
/// <param name="LearningRates">The grid: every variant trains at each rate, and its row uses the rate with the best validation
/// accuracy. Chosen so that every variant of the preset trains at one of them (measured; README and docs/findings.md).</param>
/// <param name="MeasureEvery">Steps between Santurkar et al. measurements.</param>
/// <param name="SlicePoints">Points of the 1-D slice on [-1, 1].</param>
/// <param name="BatchSize">Images per SGD step. Quick presets use 64: twice the steps of 128 in a short budget, with rates scaled
/// to match (the linear scaling rule of Goyal et al. 2017: 0.05 at 64 is He et al.'s 0.1 at 128).</param>
/// <param name="TestSubset">Test images evaluated (the first N; null: all). Quick presets evaluate 2,000 after every epoch of every job.</param>
/// <param name="Schedule">The learning-rate schedule (the papers' presets use He et al.'s step schedule).</param>
/// <param name="Augment">Random crop and horizontal flip of training images (He et al. 2015's augmentation).</param>
public sealed record Preset(string Name, Func<VariantInfo, bool> Include, int Epochs, int? Subset, int[] Seeds, double[] LearningRates,
    int MeasureEvery = 25, int SlicePoints = 21, int BatchSize = 128, int? TestSubset = null, Schedule Schedule = Schedule.Cosine, bool Augment = false);

/// <summary>A ready-made experiment: one of the questions of the papers, the variants that answer it, and what to measure.</summary>
/// <param name="Name">Command-line name (<c>degradation</c>).</param>
/// <param name="Question">Number of the question in the design (1 to 7).</param>
/// <param name="Title">Short title.</param>
/// <param name="Description">The question and the papers it comes from.</param>
/// <param name="Variants">Every variant the experiment can run, in report order.</param>
/// <param name="What">Measurements taken.</param>
/// <param name="Quick">Minutes on 2 cores with the bundled data.</param>
/// <param name="Full">The full dataset and longer training.</param>
public sealed record Experiment(string Name, int Question, string Title, string Description, IReadOnlyList<VariantInfo> Variants, Measures What, Preset Quick, Preset Full)
{
    /// <summary>The preset named <paramref name="name"/> (<c>quick</c> or <c>full</c>), or null.</summary>
    public Preset? PresetNamed(string name) => name switch
    {
        "quick" => Quick,
        "full" => Full,
        _ => null,
    };

    /// <summary>The variants <paramref name="preset"/> runs.</summary>
    public IReadOnlyList<VariantInfo> VariantsOf(Preset preset) => Variants.Where(preset.Include).ToList();

    /// <summary>Where the variants come from, as plans record it: null for a built-in experiment of <see cref="Catalog"/>
    /// (found again by <see cref="Name"/>), a user's assembly for <see cref="UserNetworks.ExperimentOf"/>.</summary>
    public Sweeps.VariantSource? Origin { get; init; }
}

/// <summary>The ready-made experiments, one per question of the design (docs: README, "The main job").</summary>
public static class Catalog
{
    /// <summary>The experiment <c>netdsl compare</c> runs without <c>--experiment</c>.</summary>
    public const string Default = "bn-residual";

    static readonly int[] TwoSeeds = [0, 1];
    static readonly int[] ThreeSeeds = [0, 1, 2];
    static readonly double[] None = [];

    // Grids (batch 64 for quick, 128 for full). Without BatchNorm, 20-32-layer nets do not train at BatchNorm's rates (0.05 at
    // batch 64 leaves them at chance), so grids that include such variants reach down to 0.01.
    static readonly double[] QuickGrid = [0.01, 0.05];
    static readonly double[] QuickBnGrid = [0.02, 0.05];
    static readonly double[] FullGrid = [0.01, 0.03, 0.1];
    static readonly double[] FullBnGrid = [0.03, 0.1, 0.2];

    // The papers' presets, sized for a cluster: He et al.'s schedule (SGD, batch 128, momentum 0.9, weight decay 1e-4, the rate
    // divided by 10 at 50% and 75% of training, crop and flip), all 60,000 images less 10% for validation, 3 seeds, and a grid
    // of their 0.1 and the 0.01 they warm the 110-layer net up with. PaperEpochs: 64,000 iterations over 54,000 images, as their 64k.
    const int PaperEpochs = 152;
    static readonly double[] PaperGrid = [0.01, 0.1];

    /// <summary>Every experiment, by name.</summary>
    public static IReadOnlyList<Experiment> All { get; } =
    [
        new("bn-residual", 0, "BatchNorm and residual connections, trained side by side",
            "The default overview: a 20-layer network plain or residual, with or without BatchNorm (Ioffe & Szegedy 2015; He et al. 2015), " +
            "trained on Fashion-MNIST; which trains fastest and generalizes best, and how the gradient reaches the first layers at initialization.",
            DepthNet.Variants.All, Measures.Training | Measures.InitialGradients,
            Quick: new("quick", v => v.Axes.Depth == 3, Epochs: 3, Subset: 3000, ThreeSeeds, QuickGrid, BatchSize: 64, TestSubset: 2000),
            Full: new("full", v => v.Axes.Depth == 3, Epochs: 15, Subset: null, ThreeSeeds, FullGrid)),

        new("gradient-flow", 1, "Gradient flow at initialization vs depth",
            "Question 1, numerical stability: do gradients vanish or explode with depth, with and without BatchNorm, plain or residual? " +
            "Per-layer weight-gradient norms and log10 of the gradient ratio between the first and the last unit's input (He et al. 2016) at initialization.",
            DepthNet.Variants.All, Measures.InitialGradients,
            Quick: new("quick", _ => true, Epochs: 0, Subset: 8000, ThreeSeeds, None),
            Full: new("full", _ => true, Epochs: 0, Subset: null, [0, 1, 2, 3, 4], None)),

        new("bn-placement", 4, "BatchNorm placement and the use of the non-linearity",
            "Question 4: does BatchNorm's scale and shift keep sigmoid units out of saturation and ReLU units from being dead or always on, " +
            "and is BatchNorm after the activation sometimes better? A 6-convolution VGG-style net, BatchNorm none / after the convolution / after the activation, with ReLU and with sigmoid.",
            VggNet.Variants.All, Measures.Training | Measures.Activations,
            Quick: new("quick", _ => true, Epochs: 3, Subset: 3000, TwoSeeds, [0.01, 0.1], BatchSize: 64, TestSubset: 2000),
            Full: new("full", _ => true, Epochs: 15, Subset: null, ThreeSeeds, [0.01, 0.03, 0.1, 0.3])),

        new("smoothness", 3, "Loss-landscape smoothness with and without BatchNorm",
            "Question 3 (Santurkar et al. 2018, Fig. 4; Li et al. 2018): along the gradient, how much does the loss vary, how well does the gradient predict the next one, " +
            "and what is the effective beta-smoothness, with and without BatchNorm? Plus a filter-normalized 1-D slice around the trained weights.",
            VggNet.Variants.All.Where(v => v.Axes.Activation == Nonlinearity.ReLU && v.Axes.BatchNorm is BatchNormVariant.None or BatchNormVariant.AfterConv).ToList(),
            Measures.Training | Measures.Smoothness | Measures.Slice,
            Quick: new("quick", _ => true, Epochs: 2, Subset: 3000, ThreeSeeds, QuickGrid, MeasureEvery: 10, BatchSize: 64, TestSubset: 2000),
            Full: new("full", _ => true, Epochs: 10, Subset: null, ThreeSeeds, FullGrid, MeasureEvery: 50, SlicePoints: 51)),

        new("covariate-shift", 2, "Internal covariate shift with and without BatchNorm",
            "Question 2: does BatchNorm reduce internal covariate shift (Ioffe & Szegedy 2015) or not (Santurkar et al. 2018)? " +
            "Measured by Santurkar et al.'s Definition 2.1: the change of each layer's gradient when only the earlier layers take their update.",
            VggNet.Variants.All.Where(v => v.Axes.Activation == Nonlinearity.ReLU && v.Axes.BatchNorm is BatchNormVariant.None or BatchNormVariant.AfterConv).ToList(),
            Measures.Training | Measures.CovariateShift,
            Quick: new("quick", _ => true, Epochs: 2, Subset: 3000, ThreeSeeds, QuickGrid, MeasureEvery: 10, BatchSize: 64, TestSubset: 2000),
            Full: new("full", _ => true, Epochs: 10, Subset: null, ThreeSeeds, FullGrid, MeasureEvery: 50)),

        new("preactivation", 5, "Pre-activation vs post-activation residual units",
            "Question 5 (He et al. 2016, Fig. 4 and eq. 5): a skip connection gives the gradient 1 + dF/dx; which unit ordering keeps the identity path clean? " +
            "The five orderings in a 32-layer network: gradient ratio at initialization, shortcut share, and training curves.",
            OrderNet.Variants.All, Measures.Training | Measures.InitialGradients,
            Quick: new("quick", _ => true, Epochs: 2, Subset: 4000, TwoSeeds, QuickBnGrid, BatchSize: 64, TestSubset: 2000),
            Full: new("full", _ => true, Epochs: 15, Subset: null, ThreeSeeds, FullBnGrid)),

        new("degradation", 6, "Degradation: plain vs residual at growing depth",
            "Question 6 (He et al. 2015, Fig. 1 and 6): does a deeper plain network train worse than a shallower one, and do residual connections fix it? " +
            "Plain and residual networks with BatchNorm at 8 and 32 layers; training loss, test accuracy, and a 1-D loss slice (Li et al. 2018).",
            DepthNet.Variants.All.Where(v => v.Axes.BatchNorm == BatchNormVariant.AfterConv).ToList(),
            Measures.Training | Measures.InitialGradients | Measures.Slice,
            Quick: new("quick", v => v.Axes.Depth is 1 or 5, Epochs: 3, Subset: 3000, ThreeSeeds, QuickBnGrid, BatchSize: 64, TestSubset: 2000),
            Full: new("full", v => v.Axes.Depth is 1 or 5, Epochs: 8, Subset: null, ThreeSeeds, FullBnGrid, SlicePoints: 51)),

        new("he2015-depth", 6, "He et al. 2015 at paper scale: plain vs residual at 20 to 110 layers",
            "Question 6 as He et al. 2015 ran it (Sec. 4.2, Fig. 6, Table 6): their CIFAR networks of 6n+2 layers (n = 3, 5, 7, 9, 18: 20, 32, 44, 56, 110 layers), " +
            "plain and residual (option A), BatchNorm after every convolution, trained with their schedule on all of Fashion-MNIST. Does the plain network's " +
            "training error grow with depth while the residual network's falls? Sized for a cluster: `compare --dry-run` estimates the core-hours.",
            CifarResNet.Variants.All, Measures.Training | Measures.InitialGradients,
            Quick: new("quick", v => v.Axes.Depth is 3 or 9, Epochs: 1, Subset: 2000, [0], QuickBnGrid, BatchSize: 64, TestSubset: 2000),
            Full: new("full", _ => true, Epochs: PaperEpochs, Subset: null, ThreeSeeds, PaperGrid, Schedule: Schedule.Step, Augment: true)),

        new("he2016-units", 5, "He et al. 2016 at paper scale: five residual units at 110 layers",
            "Question 5 as He et al. 2016 ran it (Fig. 4, Table 2): the five orders of BatchNorm, ReLU and addition in a residual unit (original, BN after addition, " +
            "ReLU before addition, ReLU-only pre-activation, full pre-activation) in their 110-layer CIFAR network, with their schedule on all of Fashion-MNIST. " +
            "Sized for a cluster: `compare --dry-run` estimates the core-hours.",
            CifarOrderNet.Variants.All, Measures.Training | Measures.InitialGradients,
            Quick: new("quick", _ => true, Epochs: 1, Subset: 1000, [0], [0.05], BatchSize: 64, TestSubset: 1000),
            Full: new("full", _ => true, Epochs: PaperEpochs, Subset: null, ThreeSeeds, PaperGrid, Schedule: Schedule.Step, Augment: true)),

        new("normalization-free", 8, "Normalization or initialization: residual networks without BatchNorm",
            "Question 8: is it the normalization that lets deep residual networks train, or that each unit starts near the identity? " +
            "Residual networks of 20 and 56 layers with BatchNorm or GroupNorm (Wu & He 2018) and He's initialization, and without normalization " +
            "with He's, Fixup's (Zhang et al. 2019: zero-initialized last layer of each branch, branches scaled by L^(-1/(2m-2)), scalar biases and multiplier) " +
            "or SkipInit's (De & Smith 2020: a scalar alpha = 0 on each branch). Test accuracy against the BatchNorm network at each depth, and the gradient at initialization.",
            NormFreeNet.Variants.All.Where(v => v.Axes.Init == Init.HeFanIn || v.Axes.Normalization == NormalizationVariant.None).ToList(),
            Measures.Training | Measures.InitialGradients,
            // Fixup starts from zero logits and trains at the paper's 0.1 (batch 128); in a 2-epoch run at 0.05 it barely left
            // chance (measured 2026-11-30), so both grids reach 0.1.
            Quick: new("quick", _ => true, Epochs: 2, Subset: 3000, TwoSeeds, [0.01, 0.05, 0.1], BatchSize: 64, TestSubset: 2000),
            Full: new("full", _ => true, Epochs: 15, Subset: null, ThreeSeeds, FullGrid)),

        new("shattering", 7, "Shattered gradients",
            "Question 7 (Balduzzi et al. 2017, Fig. 1-3): f: R -> R of width 200 on 256 inputs in [-2, 2); does df/dx decorrelate into white noise with depth? " +
            "Feedforward vs residual (pre-activation, branch scale 1 and 0.1), with and without BatchNorm (statistics over the grid, then frozen), depths 2 to 50.",
            ShatterNet.Variants.All.Concat(ScaledShatterNet.Variants.All).ToList(), Measures.Shattering,
            Quick: new("quick", _ => true, Epochs: 0, Subset: 0, ThreeSeeds, None),
            Full: new("full", _ => true, Epochs: 0, Subset: 0, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], None)),
    ];

    /// <summary>The experiment named <paramref name="name"/>, or null.</summary>
    public static Experiment? Find(string name) => All.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Every variant of every experiment, by name (for <c>netdsl summary</c>).</summary>
    public static IEnumerable<VariantInfo> AllVariants() => All.SelectMany(e => e.Variants).DistinctBy(v => v.Name);
}
