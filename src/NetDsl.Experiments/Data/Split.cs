using System;
using System.Collections.Generic;
using System.Linq;

namespace NetDsl.Experiments.Data;

/// <summary>A training split cut into the images a job trains on and the held-out validation images it selects on.</summary>
/// <param name="Train">Images trained on.</param>
/// <param name="Validation">Images used for every choice (epoch, learning rate); never trained on.</param>
/// <param name="ValidationIndices">Indices of the validation images in the split that was cut (ascending).</param>
public sealed record TrainValidation(ImageSet Train, ImageSet Validation, int[] ValidationIndices);

/// <summary>The validation split: stratified by class, fixed by a seed.</summary>
public static class ValidationSplit
{
    /// <summary>The default share of the training images held out for validation.</summary>
    public const double DefaultFraction = 0.1;

    /// <summary>
    /// Holds out <paramref name="fraction"/> of <paramref name="set"/> for validation, stratified by class: from each class c with
    /// n_c images, round(fraction x n_c) images chosen at random (at least one while the class has two or more), so every class
    /// keeps its share on both sides. The choice is a fixed function of <paramref name="seed"/> (the same seed gives the same
    /// split in every process); both sides keep the images' original order.
    /// </summary>
    /// <param name="set">The training images (already cut to the subset).</param>
    /// <param name="fraction">Share held out, in (0, 0.5].</param>
    /// <param name="seed">Seed of the split.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fraction"/> is outside (0, 0.5].</exception>
    /// <exception cref="ArgumentException">Fewer than two images, or no validation image results (the set is too small for the fraction).</exception>
    public static TrainValidation Cut(ImageSet set, double fraction, int seed)
    {
        if (!(fraction > 0 && fraction <= 0.5)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "the validation fraction must be in (0, 0.5]");
        if (set.Count < 2) throw new ArgumentException($"{set.Count} training image(s): too few to hold out a validation set", nameof(set));
        var random = new Random(unchecked(seed * 7_368_787 + 104_729));
        var held = new List<int>();
        foreach (var group in Enumerable.Range(0, set.Count).GroupBy(i => set.Labels[i]).OrderBy(g => g.Key))
        {
            var members = group.ToArray();
            var take = (int)Math.Round(fraction * members.Length, MidpointRounding.AwayFromZero);
            if (take == 0 && members.Length >= 2) take = 1;
            random.Shuffle(members);
            held.AddRange(members.Take(take));
        }
        if (held.Count == 0) throw new ArgumentException(FormattableString.Invariant($"{set.Count} training images hold out no validation image at fraction {fraction}; use more images or a larger fraction"), nameof(set));
        var validation = held.Order().ToArray();
        var isHeld = new bool[set.Count];
        foreach (var i in validation) isHeld[i] = true;
        var train = Enumerable.Range(0, set.Count).Where(i => !isHeld[i]).ToArray();
        return new TrainValidation(set.Select(train), set.Select(validation), validation);
    }
}
