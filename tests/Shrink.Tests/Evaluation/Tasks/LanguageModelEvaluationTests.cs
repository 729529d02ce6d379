using Shrink.Data;
using Shrink.Evaluation;
using Shrink.Tests.TestSupport;
using static Shrink.Tests.Data.DataFixtures;

namespace Shrink.Tests.Evaluation.Tasks;

/// <summary>The evaluator on a language model: token windows in, perplexity by teacher forcing out, detected or given.</summary>
public sealed class LanguageModelEvaluationTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static EvaluationResult Evaluate(string model, string? reference, string data, string? task = null, int batch = 100) =>
        new ModelEvaluator(new EvaluationOptions { LatencyBatchSizes = [], Task = task, EvalBatchSize = batch })
            .Evaluate(model, reference, inputs => DataSourceFactory.Open(data, new DataOptions(), inputs));

    [Fact]
    public void Perplexity_of_a_detected_language_model_matches_the_arithmetic_in_double()
    {
        string model = TinyModels.WriteTo(TinyLanguageModel.Build(), _dir.File("lm.onnx"));
        long[] windows = TinyLanguageModel.Windows(7, 6);
        string data = Write(_dir.File("windows.npy"), Npy("<i8", [7, 6], Bytes(windows)));

        var result = Evaluate(model, null, data, batch: 3);   // batches of 3, 3, 1

        Assert.Equal("lm", result.Task);
        Assert.NotNull(result.TaskDetection);
        Assert.Equal(7, result.Samples);
        var ppl = result.Metrics.Single(m => m.Name == "perplexity");
        Assert.Equal(TinyLanguageModel.Perplexity(windows, 6), ppl.Value, tolerance: 1e-6 * ppl.Value);
        Assert.True(ppl.LowerIsBetter);
        Assert.Null(result.Accuracy);
    }

    [Fact]
    public void A_model_of_fixed_length_reads_windows_one_token_longer()
    {
        string model = TinyModels.WriteTo(TinyLanguageModel.Build(seq: 4), _dir.File("lm4.onnx"));
        long[] windows = TinyLanguageModel.Windows(5, 5);
        string data = Write(_dir.File("windows5.npy"), Npy("<i8", [5, 5], Bytes(windows)));

        var result = Evaluate(model, model, data, task: "lm");

        Assert.Null(result.TaskDetection);
        var ppl = result.Metrics.Single(m => m.Name == "perplexity");
        Assert.Equal(TinyLanguageModel.Perplexity(windows, 5), ppl.Value, tolerance: 1e-6 * ppl.Value);
        Assert.Equal(ppl.Value, ppl.ReferenceValue);
        Assert.Equal(0, result.Metrics.Single(m => m.Name == "perplexity_increase").Value);
    }

    [Fact]
    public void The_fidelity_task_measures_no_task_metric()
    {
        string model = TinyModels.WriteTo(TinyLanguageModel.Build(), _dir.File("lm.onnx"));
        string data = Write(_dir.File("windows.npy"), Npy("<i8", [2, 6], Bytes(TinyLanguageModel.Windows(2, 6))));

        var result = Evaluate(model, model, data, task: "fidelity");

        Assert.Equal("fidelity", result.Task);
        Assert.Empty(result.Metrics);
        Assert.Equal(1, result.Fidelity![0].Cosine!.Value, 9);
    }

    [SharedFact]
    public void Tiny_gpt_fp32_perplexity_on_the_validation_windows_is_9_262()
    {
        string model = Path.Combine(RepoPaths.SharedModels, "tiny_gpt.onnx");
        string data = Path.Combine(RepoPaths.SharedModels, "tiny_gpt.val.npy");

        var result = Evaluate(model, null, data, batch: 64);

        Assert.Equal("lm", result.Task);
        Assert.Equal(512, result.Samples);
        Assert.InRange(result.Metrics.Single(m => m.Name == "perplexity").Value, 9.257, 9.267);
    }
}
