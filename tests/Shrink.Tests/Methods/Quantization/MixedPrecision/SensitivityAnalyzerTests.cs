using Shrink.Methods.Quantization.MixedPrecision;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods.Quantization.MixedPrecision;

public sealed class SensitivityAnalyzerTests
{
    private static readonly SensitivityOptions Precise = new() { Tolerance = 0.01, MinProbes = 16, MaxProbes = 400, BatchSize = 32 };

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Hutchinson_trace_of_softmax_regression_matches_the_analytic_trace(bool labels)
    {
        var problem = new SoftmaxRegression();
        var result = new SensitivityAnalyzer(Precise).Analyze(problem.Model, problem.Open(labels));
        Assert.Equal(labels ? "ce" : "kl", result.Loss);
        var layer = Assert.Single(result.Layers);
        Assert.Equal("fc", layer.Name);
        double analytic = problem.AnalyticTrace();
        Assert.InRange(layer.Trace!.Value, 0.95 * analytic, 1.05 * analytic);
        Assert.True(layer.TraceStandardError < 0.02 * analytic, $"standard error {layer.TraceStandardError} for trace {layer.Trace}");
        // Ω = mean trace × ‖Q_b(W) − W‖², falling with the width.
        Assert.Equal(layer.Trace.Value / layer.Parameters * layer.QuantizationError[4], layer.Omega[4], 9);
        Assert.True(layer.Omega[2] > layer.Omega[3] && layer.Omega[3] > layer.Omega[4] && layer.Omega[4] > layer.Omega[8]);
    }

    [Fact]
    public void Perturbation_measures_the_loss_change_of_quantizing_one_layer()
    {
        var problem = new SoftmaxRegression();
        var result = new SensitivityAnalyzer(new SensitivityOptions { Method = "perturbation" }).Analyze(problem.Model, problem.Open(false));
        var layer = Assert.Single(result.Layers);
        Assert.Null(layer.Trace);
        Assert.True(layer.Omega[2] > layer.Omega[4] && layer.Omega[4] > layer.Omega[8] && layer.Omega[8] >= 0, string.Join(", ", layer.Omega));
        // For KL from the model's own outputs, the loss change is ½ ΔwᵀFΔw to second order: close to the trace-based Ω at 8 bits.
        var hutchinson = new SensitivityAnalyzer(Precise).Analyze(problem.Model, problem.Open(false)).Layers[0];
        Assert.InRange(layer.Omega[8], 0.1 * hutchinson.Omega[8], 10 * hutchinson.Omega[8]);
    }

    [Fact]
    public void Results_are_cached_beside_the_model_and_reused()
    {
        using var dir = new TempDirectory();
        var problem = new SoftmaxRegression();
        string path = dir.File("sr.onnx");
        problem.Model.Save(path);
        var options = new SensitivityOptions { Method = "perturbation" };
        int computed = 0;
        SensitivityResult Compute()
        {
            computed++;
            return new SensitivityAnalyzer(options).Analyze(problem.Model, problem.Open(false));
        }
        var first = SensitivityCache.GetOrCompute(path, options, "data", Compute);
        var second = SensitivityCache.GetOrCompute(path, options, "data", Compute);
        Assert.Equal(1, computed);
        Assert.True(File.Exists(SensitivityCache.PathFor(path)));
        Assert.False(first.FromCache);
        Assert.True(second.FromCache);
        Assert.Equal(first.Layers[0].Omega[4], second.Layers[0].Omega[4]);
        SensitivityCache.GetOrCompute(path, options with { Samples = 32 }, "data", Compute);
        Assert.Equal(2, computed); // other settings, another key
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_single_sigmoid_output_is_scored_by_binary_cross_entropy_not_a_one_class_kl(bool labels)
    {
        var problem = new SoftmaxRegression(classes: 1, head: "sigmoid");
        var result = new SensitivityAnalyzer(Precise).Analyze(problem.Model, problem.Open(labels));
        Assert.Equal("bce", result.Loss);
        var layer = Assert.Single(result.Layers);
        // tr H of the mean binary cross-entropy w.r.t. w (Fisher at the float model's own probabilities): (1/N) Σ p(1−p)‖x‖².
        double analytic = 0;
        for (int n = 0; n < problem.Samples; n++)
        {
            var x = problem.Inputs.AsSpan(n * problem.Features, problem.Features);
            double z = problem.Bias[0], norm = 0;
            for (int d = 0; d < problem.Features; d++)
            {
                z += (double)problem.Weight[d] * x[d];
                norm += (double)x[d] * x[d];
            }
            double p = 1 / (1 + Math.Exp(-z));
            analytic += p * (1 - p) * norm;
        }
        analytic /= problem.Samples;
        Assert.InRange(layer.Trace!.Value, 0.95 * analytic, 1.05 * analytic);
        Assert.True(layer.Omega[2] > layer.Omega[8] && layer.Omega[8] > 0, string.Join(", ", layer.Omega));
        var perturbation = new SensitivityAnalyzer(new SensitivityOptions { Method = "perturbation" }).Analyze(problem.Model, problem.Open(labels)).Layers[0];
        Assert.True(perturbation.Omega[2] != 0, "the one-class softmax KL made every sensitivity 0");
    }

    [Fact]
    public void A_negative_trace_is_warned_about_and_ranked_by_its_magnitude()
    {
        // Logit −(w·x)² with every label 0: the loss softplus(−u²) curves down around the small float weights.
        var problem = new SoftmaxRegression(classes: 1, head: "neg-square", weightScale: 0.01f, label: 0);
        var result = new SensitivityAnalyzer(Precise with { MaxProbes = 64 }).Analyze(problem.Model, problem.Open(true));
        var layer = Assert.Single(result.Layers);
        Assert.True(layer.Trace < 0, $"trace {layer.Trace}");
        Assert.Contains("trace < 0", layer.Warning);
        Assert.Contains("not locally convex", Assert.Single(result.Warnings));
        Assert.All(layer.Omega.Values, o => Assert.True(o > 0, string.Join(", ", layer.Omega)));
        Assert.Equal(-layer.Trace!.Value / layer.Parameters * layer.QuantizationError[4], layer.Omega[4], 9);
        Assert.Contains("trace < 0", global::Shrink.Reports.SensitivityReport.ToMarkdown(result, "neg.onnx"));
    }

    [Fact]
    public void Probing_stops_on_the_time_budget_and_reports_the_precision_reached()
    {
        var problem = new SoftmaxRegression();
        // A tolerance no estimate reaches: only the cap or the clock stops probing.
        var options = new SensitivityOptions { Tolerance = 1e-9, MinProbes = 4, MaxProbes = 40, BatchSize = 32 };
        var capped = new SensitivityAnalyzer(options with { TimeBudgetSeconds = double.PositiveInfinity }).Analyze(problem.Model, problem.Open(false)).Layers[0];
        Assert.Equal(40, capped.Probes);
        Assert.Equal("max probes", capped.StoppedBy);
        var timed = new SensitivityAnalyzer(options with { TimeBudgetSeconds = 1e-6 }).Analyze(problem.Model, problem.Open(false)).Layers[0];
        Assert.Equal(2, timed.Probes);
        Assert.Equal("time budget", timed.StoppedBy);
        Assert.Equal(timed.TraceStandardError!.Value / Math.Abs(timed.Trace!.Value), timed.RelativeStandardError!.Value, 9);
        // Two probes give a standard error estimate of their own (not necessarily larger than forty probes' one: the
        // estimate itself is noisy), so only its presence and sign are checked here.
        Assert.True(timed.RelativeStandardError is > 0 and < double.PositiveInfinity, $"{timed.RelativeStandardError}");
        Assert.True(capped.RelativeStandardError is > 0 and < double.PositiveInfinity, $"{capped.RelativeStandardError}");
        var loose = new SensitivityAnalyzer(Precise).Analyze(problem.Model, problem.Open(false)).Layers[0];
        Assert.Equal("tolerance", loose.StoppedBy);
        Assert.True(loose.RelativeStandardError <= Precise.Tolerance);
        Assert.Throws<ShrinkException>(() => new SensitivityAnalyzer(options with { TimeBudgetSeconds = 0 }).Analyze(problem.Model, problem.Open(false)));
    }

    [Fact]
    public void Bad_options_are_refused_by_name()
    {
        var problem = new SoftmaxRegression();
        var e = Assert.Throws<ShrinkException>(() => new SensitivityAnalyzer(new SensitivityOptions { Bits = [5] }).Analyze(problem.Model, problem.Open(false)));
        Assert.Contains("5", e.Message);
        Assert.Throws<ShrinkException>(() => new SensitivityAnalyzer(new SensitivityOptions { Method = "fisher" }).Analyze(problem.Model, problem.Open(false)));
    }
}
