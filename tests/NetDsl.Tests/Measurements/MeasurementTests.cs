using System;
using System.Collections.Generic;
using System.Linq;
using NetDsl.Examples;
using NetDsl.Measurements;
using NetDsl.Tests.Generated.Twins;
using NetDsl.Tests.Instrumentation;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace NetDsl.Tests.Measurements;

public class MeasurementTests(ITestOutputHelper output)
{
    static readonly Scalar MinusOne = (-1).ToScalar();

    // ---- autocorrelation: closed forms ------------------------------------------------------------

    [Fact]
    public void ACF_of_an_alternating_sequence_is_minus_one_to_the_k_times_M_minus_k_over_M()
    {
        const int m = 256;
        var g = Enumerable.Range(0, m).Select(i => i % 2 == 0 ? 1.0 : -1.0).ToArray();
        var acf = ShatteredGradients.Autocorrelation(g, 10);
        for (int k = 0; k <= 10; k++) Assert.Equal((k % 2 == 0 ? 1 : -1) * (m - k) / (double)m, acf[k], 12);
    }

    [Fact]
    public void ACF_of_a_linear_ramp_at_lag_one_matches_its_closed_form()
    {
        // g_i = i: with u_i = i - (M-1)/2 and D = sum u_i^2 = M (M^2 - 1) / 12, ACF(1) = (D - (M-1)^2/4 - (M-1)/2) / D.
        const int m = 256;
        var g = Enumerable.Range(0, m).Select(i => (double)i).ToArray();
        double d = m * ((double)m * m - 1) / 12;
        Assert.Equal((d - (m - 1) * (m - 1) / 4.0 - (m - 1) / 2.0) / d, ShatteredGradients.Autocorrelation(g, 1)[1], 12);
    }

    [Fact]
    public void ACF_of_white_noise_stays_within_the_noise_bound()
    {
        var rng = new Random(42);
        var g = Enumerable.Range(0, 256).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var acf = ShatteredGradients.Autocorrelation(g, 10);
        Assert.Equal(1.0, acf[0], 12);
        Assert.All(acf.Skip(1), a => Assert.True(Math.Abs(a) < 4 / Math.Sqrt(256), $"|ACF| = {a}"));
    }

    [Fact]
    public void ACF_rejects_what_has_no_autocorrelation()
    {
        Assert.Throws<ArgumentException>(() => ShatteredGradients.Autocorrelation(new[] { 3.0, 3, 3 }, 1));
        Assert.Throws<ArgumentException>(() => ShatteredGradients.Autocorrelation(new[] { 1.0 }, 0));
        Assert.Throws<ArgumentException>(() => ShatteredGradients.Autocorrelation(new[] { 1.0, 2 }, 2));
        Assert.Equal(new[] { -2.0, -1, 0, 1 }, ShatteredGradients.Grid(4));
    }

    [Fact]
    public void Covariance_of_gradients_across_repetitions_matches_a_hand_computation()
    {
        var c = ShatteredGradients.Covariance(new[] { new[] { 1.0, 2 }, new[] { 3.0, 6 } });
        // means (2, 4); deviations (-1, -2) and (1, 2): C = [[1, 2], [2, 4]]
        Assert.Equal(new[,] { { 1.0, 2 }, { 2, 4 } }, c);
    }

    // ---- shattered gradients: the paper's direction (Balduzzi et al. 2017, Fig. 2 and 4) ------------

    static double Lag1(Func<nn.Module<Tensor, Tensor>> make)
    {
        manual_seed(0);
        var net = make();
        Initialization.Apply(net, InitScheme.HeFanIn); // He et al. 2015 initialization, as Balduzzi et al. use
        return ShatteredGradients.Autocorrelation(ShatteredGradients.InputGradients(net), 1)[1];
    }

    [Fact]
    public void Feedforward_gradients_shatter_with_depth_and_residual_ones_do_not()
    {
        // Width 200, BatchNorm, ReLU, He init (Initialization.Apply, HeFanIn), 256 inputs on [-2, 2), seed 0. Measured: ff4 0.841,
        // ff24 0.038, ff50 0.045, res50 0.718, res50 with branch scale 0.1 0.897.
        double ff4 = Lag1(() => new Feedforward4()), ff24 = Lag1(() => new Feedforward24()), ff50 = Lag1(() => new Feedforward50());
        double res50 = Lag1(() => new Residual50()), res50Small = Lag1(() => new Residual50Small());
        output.WriteLine($"lag-1 ACF: ff4 {ff4:F3}, ff24 {ff24:F3}, ff50 {ff50:F3}, res50 {res50:F3}, res50 scale 0.1 {res50Small:F3}");
        Assert.True(ff4 > 0.4, $"depth 4 feedforward: {ff4}");
        Assert.True(Math.Abs(ff24) < 0.25, $"depth 24 feedforward: {ff24}");
        Assert.True(Math.Abs(ff50) < 0.25, $"depth 50 feedforward: {ff50}");
        Assert.True(res50 > 0.35, $"depth 50 residual: {res50}");
        Assert.True(res50Small > res50 + 0.05, $"branch scale 0.1 {res50Small} vs 1.0 {res50}");
    }

    [Fact]
    public void Input_gradients_leave_the_network_as_found()
    {
        var net = new Feedforward4();
        net.train();
        var before = net.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        ShatteredGradients.InputGradients(net);
        Assert.True(net.training);
        foreach (var (key, value) in net.state_dict()) Assert.True(value.equal(before[key]).all().item<bool>(), key);
        Assert.All(net.parameters(), p => Assert.Null(p.grad));
    }

    // ---- filter-normalized directions and slices (Li et al. 2018) -----------------------------------

    [Fact]
    public void Filter_normalized_directions_match_each_filters_norm_and_zero_biases_and_BatchNorm()
    {
        manual_seed(1);
        var net = new PostActNet();
        var d = LossLandscape.FilterNormalizedDirection(net);
        var ps = net.named_parameters().ToList();
        Assert.Equal(ps.Count, d.Count);
        for (int i = 0; i < ps.Count; i++)
        {
            var (name, p) = ps[i];
            Assert.Equal(p.shape, d[i].shape);
            if (p.dim() < 2)
            {
                Assert.Equal(0, d[i].abs().max().item<float>()); // biases and BatchNorm scale/shift
                continue;
            }
            for (long j = 0; j < p.shape[0]; j++)
            {
                double want = p[j].norm().item<float>(), got = d[i][j].norm().item<float>();
                Assert.True(Math.Abs(want - got) <= 1e-6 * Math.Max(1, want), $"{name}[{j}]: {got} vs {want}");
            }
        }
    }

    [Fact]
    public void Slices_evaluate_the_loss_along_the_direction_and_restore_the_weights_exactly()
    {
        manual_seed(2);
        var net = new PostActNet();
        net.train();
        using var x = randn(8, 1, 8, 8);
        using var y = tensor(new long[] { 0, 1, 2, 0, 1, 2, 0, 1 });
        Tensor Loss() => nn.functional.cross_entropy(net.call(x), y);
        var before = net.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var d1 = LossLandscape.FilterNormalizedDirection(net);
        var d2 = LossLandscape.FilterNormalizedDirection(net);

        var line = LossLandscape.Slice1D(net, Loss, d1, new[] { -1.0, 0, 1 });
        var plane = LossLandscape.Slice2D(net, Loss, d1, d2, new[] { 0.0, 1 }, new[] { 0.0, 1 });

        net.eval();
        double atOrigin;
        using (no_grad()) atOrigin = Loss().item<float>();
        Assert.Equal(atOrigin, line[1], 6);        // alpha = 0 is the trained point (eval mode)
        Assert.Equal(atOrigin, plane[0, 0], 6);
        Assert.Equal(line[2], plane[1, 0], 6);     // (1, 0) on the plane is alpha = 1 on the line
        Assert.NotEqual(line[0], line[1]);
        foreach (var (key, value) in net.state_dict()) Assert.True(value.equal(before[key]).all().item<bool>(), key);
        Assert.Throws<ArgumentException>(() => LossLandscape.Slice1D(net, Loss, d1.Take(2).ToList(), new[] { 0.0 }));
    }

    // ---- Santurkar et al. 2018 probes on a quadratic --------------------------------------------------

    sealed class Quadratic : nn.Module<Tensor, Tensor>
    {
        public readonly Parameter w = new(tensor(new double[] { 1, 1, 1 }));
        public Quadratic() : base("quadratic") => RegisterComponents();
        static readonly Scalar Half = 0.5.ToScalar();
        public override Tensor forward(Tensor a) => w.dot(a.matmul(w)).mul(Half); // L = 1/2 w^T A w
    }

    [Fact]
    public void Santurkar_probes_equal_their_closed_forms_on_a_quadratic()
    {
        // L = 1/2 w^T A w, g = A w; grad L(w - eta g) = g - eta A g, so ||grad - g|| = eta ||A g||,
        // beta_eff = ||A g|| / ||g||, L(w - eta g) = 1/2 (w - eta g)^T A (w - eta g).
        var q = new Quadratic();
        using var a = diag(tensor(new double[] { 1, 2, 3 }));
        var etas = new[] { 0.05, 0.1, 0.2 };
        var r = Smoothness.Probe(q, () => q.call(a), etas);

        double[] w = { 1, 1, 1 }, diagonal = { 1, 2, 3 };
        var g = w.Select((v, i) => diagonal[i] * v).ToArray();            // (1, 2, 3)
        var ag = g.Select((v, i) => diagonal[i] * v).ToArray();           // (1, 4, 9)
        double gNorm = Math.Sqrt(g.Sum(v => v * v)), agNorm = Math.Sqrt(ag.Sum(v => v * v));
        double L(double eta) => 0.5 * w.Select((v, i) => diagonal[i] * Math.Pow(v - eta * g[i], 2)).Sum();
        for (int k = 0; k < etas.Length; k++)
        {
            Assert.Equal(L(etas[k]), r.Losses[k], 10);
            Assert.Equal(etas[k] * agNorm, r.GradientChanges[k], 10);
        }
        Assert.Equal(agNorm / gNorm, r.EffectiveBetaSmoothness, 10);     // sqrt(98 / 14) = sqrt(7)
        Assert.Equal(etas.Max(e => L(e)) - etas.Min(e => L(e)), r.LossVariation, 10);
        Assert.Equal(new double[] { 1, 1, 1 }, q.w.data<double>().ToArray()); // weights as found
    }

    [Fact]
    public void Santurkar_probes_leave_weights_buffers_grads_and_the_optimizer_untouched()
    {
        manual_seed(4);
        var net = new PostActNet();
        var sgd = optim.SGD(net.parameters(), 0.1, momentum: 0.9);
        using var x = randn(8, 1, 8, 8);
        using var y = tensor(new long[] { 0, 1, 2, 0, 1, 2, 0, 1 });
        Tensor Loss() => nn.functional.cross_entropy(net.call(x), y);
        // One real step first, so momentum buffers and .grad exist.
        sgd.zero_grad(); Loss().backward(); sgd.step();
        var state = net.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var grads = net.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone());
        var optimizerState = sgd.state_dict();
        var momentum = optimizerState.State.Select(s => ((TorchSharp.Modules.SGD.State)s).momentum_buffer!.clone()).ToList();

        var r = Smoothness.Probe(net, Loss, new[] { 0.05, 0.1, 0.2, 0.4 });
        var shift = CovariateShift.Measure(net, Loss, net.named_parameters().Select(p => p.name).Where(n => n.EndsWith("conv1.weight", System.StringComparison.Ordinal) || n.EndsWith("conv2.weight", System.StringComparison.Ordinal) || n == "fc.weight").ToList(), 0.1);

        Assert.True(r.EffectiveBetaSmoothness > 0 && r.LossVariation > 0);
        Assert.NotEmpty(shift);
        foreach (var (key, value) in net.state_dict()) Assert.True(value.equal(state[key]).all().item<bool>(), key);
        foreach (var (name, p) in net.named_parameters()) Assert.True(p.grad!.equal(grads[name]).all().item<bool>(), name);
        var after = sgd.state_dict().State.Select(s => ((TorchSharp.Modules.SGD.State)s).momentum_buffer!).ToList();
        for (int i = 0; i < momentum.Count; i++) Assert.True(after[i].equal(momentum[i]).all().item<bool>());
    }

    // ---- internal covariate shift (Santurkar et al. 2018, Definition 2.1) ---------------------------

    [Fact]
    public void Covariate_shift_is_zero_when_the_earlier_layers_do_not_move()
    {
        // fc1's outputs are all negative, so ReLU blocks every gradient to fc1: its update is zero and the gradient
        // of fc2's bias after "updating" fc1 is the same: distance 0, cosine 1. fc1 itself is first: zero by definition.
        var net = new ReluProbeNet();
        using (no_grad())
        {
            net.named_parameters().Single(p => p.name == "fc1.weight").parameter.copy_(tensor(new float[,] { { -1, -1 }, { -2, 0 }, { 0, -3 } }));
            net.named_parameters().Single(p => p.name == "fc1.bias").parameter.fill_(MinusOne);
        }
        using var x = tensor(new float[,] { { 1, 2 }, { 3, 1 } });
        var shift = CovariateShift.Measure(net, () => net.call(x).square().sum(), new[] { "fc1.weight", "fc2.bias" }, 0.5);
        Assert.Equal(0, shift[0].L2Distance);
        Assert.Equal(0, shift[1].L2Distance);
        Assert.Equal(1, shift[1].Cosine, 12);
    }

    [Fact]
    public void Covariate_shift_of_a_linear_chain_matches_a_direct_computation()
    {
        // y = W2 W1 x, L = sum(y): G2 = 1 (W1 x)^T, G1 = W2^T 1 x^T; after W1' = W1 - lr G1: G2' = 1 (W1' x)^T.
        manual_seed(6);
        var w1 = new Parameter(randn(2, 2, dtype: ScalarType.Float64));
        var w2 = new Parameter(randn(1, 2, dtype: ScalarType.Float64));
        var chain = new Chain(w1, w2);
        using var x = randn(2, 1, dtype: ScalarType.Float64);
        var shift = CovariateShift.Measure(chain, () => w2.matmul(w1.matmul(x)).sum(), new[] { "w1", "w2" }, 0.3);

        using var _ = no_grad();
        var ones = torch.ones(1, 1, dtype: ScalarType.Float64);
        var g1 = w2.t().matmul(ones).matmul(x.t());
        var g2 = ones.matmul(w1.matmul(x).t());
        using var rate = 0.3.ToScalar();
        var g2Shifted = ones.matmul((w1 - g1.mul(rate)).matmul(x).t());
        Assert.Equal((g2Shifted - g2).norm().item<double>(), shift[1].L2Distance, 10);
        Assert.Equal((g2Shifted * g2).sum().item<double>() / (g2Shifted.norm().item<double>() * g2.norm().item<double>()), shift[1].Cosine, 10);
    }

    sealed class Chain : nn.Module<Tensor, Tensor>
    {
        public readonly Parameter w1, w2;
        public Chain(Parameter a, Parameter b) : base("chain") { w1 = a; w2 = b; RegisterComponents(); }
        public override Tensor forward(Tensor x) => w2.matmul(w1.matmul(x));
    }
}
