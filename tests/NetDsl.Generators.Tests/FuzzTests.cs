using System;
using System.Linq;
using NetDsl.Fuzzing;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace NetDsl.Generators.Tests;

/// <summary>
/// The mutation fuzzer as a test: a fixed-seed slice of its stream (the first 300 mutants of seed 1) must give no
/// generator exception, no error or warning in a generated file, no unsuppressed warning on a layer field, no hang and
/// no network that differs from its Summary. The full run is a command (README, "Fuzzing the generator").
/// </summary>
public class FuzzTests
{
    [Fact]
    public void A_fixed_seed_slice_of_the_fuzzer_finds_no_crash_error_hang_or_summary_mismatch()
    {
        torch.set_num_threads(1);
        // 10 s, not the command's 1 s: this is a hang detector on a shared machine, not a speed target.
        var totals = Fuzzer.Run(new FuzzOptions { Seed = 1, Start = 0, Count = 300, TimeLimit = TimeSpan.FromSeconds(10) });

        Assert.True(totals.TotalFindings == 0, totals.ToString());
        Assert.Equal(300, totals.Mutants);
        Assert.True(totals.MutationKinds.Count >= 30, totals.ToString());
        // The slice reaches every stage of the oracle: rejections, clean compilations, models built and run.
        Assert.True(totals.Rejected > 50 && totals.Compiled > 30 && totals.ModelsRun > 100, totals.ToString());
    }

    [Fact]
    public void The_oracle_reports_a_model_that_differs_from_its_summary()
    {
        static nn.Module<Tensor, Tensor> Build() => nn.Sequential(("fc1", nn.Linear(4, 3)), ("relu", nn.ReLU()), ("fc2", nn.Linear(3, 2)));
        LayerSummary Row(string name, string kind, long[] shape, long parameters) => new(name, kind, shape, parameters, 0);
        var truth = new ModelSummary("Twin", new long[] { 4 }, new[]
        {
            Row("fc1", "Linear", new long[] { 3 }, 15), Row("relu", "ReLU", new long[] { 3 }, 0), Row("fc2", "Linear", new long[] { 2 }, 8),
        });
        Assert.Empty(ModelRun.Compare("Twin", truth, Build));

        // What a wrong generator would produce: a miscounted row, a wrong kind and shape, a row for a module that runs twice.
        var wrong = new ModelSummary("Twin", new long[] { 4 }, new[]
        {
            Row("fc1", "Linear", new long[] { 3 }, 16), Row("relu", "Tanh", new long[] { 3 }, 0), Row("fc2", "Linear", new long[] { 5 }, 8), Row("relu", "ReLU", new long[] { 5 }, 0),
        });
        var problems = ModelRun.Compare("Twin", wrong, Build);
        Assert.Contains("23 parameters, Summary says 24", problems);
        Assert.Contains("'fc1' has 15 parameters, Summary says 16", problems);
        Assert.Contains("'relu' is a ReLU, Summary says Tanh", problems);
        Assert.Contains("output [2, 2], Summary says [2, 5]", problems);
        Assert.Contains("call 2: ran fc2 [2], Summary says fc2 [5] (3 calls, 4 rows)", problems);

        // A module the Summary does not list, and construction that throws.
        var missing = new ModelSummary("Twin", new long[] { 4 }, new[] { Row("fc1", "Linear", new long[] { 3 }, 15), Row("fc2", "Linear", new long[] { 2 }, 8) });
        Assert.Contains("module 'relu' (ReLU) is not in the Summary", ModelRun.Compare("Twin", missing, Build));
        Assert.Equal(new[] { "construction threw InvalidOperationException: no" }, ModelRun.Compare("Twin", truth, () => throw new InvalidOperationException("no")));
    }

    [Fact]
    public void The_oracle_reports_a_normalization_layer_that_does_not_start_at_scale_1_shift_0()
    {
        var truth = new ModelSummary("Twin", new long[] { 4, 2, 2 }, new[] { new LayerSummary("gn", "GroupNorm", new long[] { 4, 2, 2 }, 8, 0) });
        static nn.Module<Tensor, Tensor> Build(double scale)
        {
            var gn = NormalizationLayers.GroupNorm(2, 4);
            using (no_grad()) nn.init.constant_(gn.weight!, scale);
            return nn.Sequential(("gn", gn));
        }
        Assert.Empty(ModelRun.Compare("Twin", truth, () => Build(1)));
        Assert.Equal(new[] { "'gn' (GroupNorm) starts with weight != 1 (off by up to 5.00E-001)" }, ModelRun.Compare("Twin", truth, () => Build(0.5)));
    }

    [Fact]
    public void The_oracle_reports_a_model_without_batch_statistics_whose_training_and_eval_outputs_differ()
    {
        var truth = new ModelSummary("Twin", new long[] { 4 }, new[]
        {
            new LayerSummary("fc", "Linear", new long[] { 4 }, 20, 0), new LayerSummary("mode", "ModeDependent", new long[] { 4 }, 0, 0),
        });
        var problems = ModelRun.Compare("Twin", truth, () => nn.Sequential(("fc", nn.Linear(4, 4)), ("mode", new ModeDependent())));
        Assert.Single(problems);
        Assert.StartsWith("eval: without BatchNorm or Dropout, training and eval mode differ by ", problems[0]);
    }

    /// <summary>A module that doubles its input in training mode only: what a normalization with batch statistics that is not a BatchNorm would look like.</summary>
    sealed class ModeDependent : nn.Module<Tensor, Tensor>
    {
        public ModeDependent() : base(nameof(ModeDependent)) { }
        public override Tensor forward(Tensor x) => training ? x + x : x.clone();
    }
}
