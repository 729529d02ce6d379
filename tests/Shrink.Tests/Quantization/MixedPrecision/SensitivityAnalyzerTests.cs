using Shrink.Quantization.MixedPrecision;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Quantization.MixedPrecision;

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

    [Fact]
    public void Bad_options_are_refused_by_name()
    {
        var problem = new SoftmaxRegression();
        var e = Assert.Throws<ShrinkException>(() => new SensitivityAnalyzer(new SensitivityOptions { Bits = [5] }).Analyze(problem.Model, problem.Open(false)));
        Assert.Contains("5", e.Message);
        Assert.Throws<ShrinkException>(() => new SensitivityAnalyzer(new SensitivityOptions { Method = "fisher" }).Analyze(problem.Model, problem.Open(false)));
    }
}
