using System.Globalization;
using MyLab;
using NetDsl.Experiments;

// Compares the variants of LabNet (Networks.cs) side by side on Fashion-MNIST, as `netdsl compare` would: every variant x seed x
// learning rate is a job, each variant's rate and epoch are chosen on validation, and the report gives test accuracy with 95%
// intervals over the seeds. Options (all optional):
//   dotnet run -- --images 1000 --test-images 1000 --epochs 1 --seeds 2 --output reports/lab --resume
var images = 1000;                 // training images (the first N; 10% of them held out for validation)
var testImages = 1000;             // test images evaluated after every epoch
var epochs = 1;
var seeds = 2;                     // seeds 0 .. N-1: two or more give the mean and a confidence interval
string? output = null;             // default: reports/LabNet-<time>
var resume = false;                // continue a stopped run (Ctrl+C stops after the current step with a checkpoint)
for (var i = 0; i < args.Length; i++)
{
    string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    int Number()
    {
        var (name, text) = (args[i], Value());
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n : throw new ArgumentException($"{name} takes a positive whole number (got '{text}')");
    }
    try
    {
        switch (args[i])
        {
            case "--images": images = Number(); break;
            case "--test-images": testImages = Number(); break;
            case "--epochs": epochs = Number(); break;
            case "--seeds": seeds = Number(); break;
            case "--output": output = Value(); break;
            case "--resume": resume = true; break;
            default: throw new ArgumentException($"unknown option '{args[i]}'");
        }
    }
    catch (ArgumentException e)
    {
        Console.Error.WriteLine($"error: {e.Message}; options: --images N --test-images N --epochs N --seeds N --output folder --resume");
        return 2;
    }
}

// Every variant of the matrix, with its compile-time summary.
Console.WriteLine($"{"variant",-32} {"parameters",12} {"MACs / sample",14}");
foreach (var variant in LabNet.Variants.All)
    Console.WriteLine($"{variant.Name,-32} {variant.Summary.TotalParameters,12:N0} {variant.Summary.TotalMultiplyAccumulates,14:N0}");
Console.WriteLine();

try
{
    var result = Comparison.Run(new ComparisonOptions
    {
        Variants = LabNet.Variants.All,          // or a subset: LabNet.Variants.All.Where(v => v.Settings["Residual"] == "on").ToList()
        // Data: Fashion-MNIST from $NETDSL_FASHION_MNIST, `netdsl data fetch`, Debian's dataset-fashion-mnist, else the bundled
        // 10,000-image test split; or Data = FashionMnist.Load("/my/folder", ImageDataset.Mnist).
        TrainingSubset = images,
        TestSubset = testImages,
        Epochs = epochs,
        Seeds = Enumerable.Range(0, seeds).ToArray(),
        LearningRates = [0.01, 0.05],
        Output = output,
        Resume = resume,
    });
    // result.Results holds every number (as results.json); result.Ranking the variants ranked on validation.
    return result.Status == ComparisonStatus.Completed ? 0 : 1;
}
catch (UsageException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
