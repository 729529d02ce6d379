using System.Text.Json;
using Shrink.Tests.Evaluation.Tasks;
using Shrink.Tests.TestSupport;
using static Shrink.Tests.Data.DataFixtures;

namespace Shrink.Tests.Cli;

/// <summary>--task through the real CLI: perplexity of a language model in eval, and calibration on the same next-token inputs in quantize.</summary>
public sealed class TaskCliTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static JsonElement Metric(JsonDocument json, string name) =>
        json.RootElement.GetProperty("metrics").EnumerateArray().Single(m => m.GetProperty("name").GetString() == name);

    [Fact]
    public void Eval_task_lm_reports_perplexity_of_model_and_reference()
    {
        string model = TinyModels.WriteTo(TinyLanguageModel.Build(), _dir.File("lm.onnx"));
        long[] windows = TinyLanguageModel.Windows(6, 8);
        string data = Write(_dir.File("windows.npy"), Npy("<i8", [6, 8], Bytes(windows)));
        string json = _dir.File("eval.json");

        var r = ShrinkCli.Run("eval", model, "--task", "lm", "--data", data, "--reference", model, "--no-latency", "--json", json);

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("perplexity (lower is better)", r.Stdout);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal("lm", doc.RootElement.GetProperty("task").GetString());
        var ppl = Metric(doc, "perplexity");
        Assert.Equal(TinyLanguageModel.Perplexity(windows, 8), ppl.GetProperty("value").GetDouble(), tolerance: 1e-5);
        Assert.Equal(ppl.GetProperty("value").GetDouble(), ppl.GetProperty("reference_value").GetDouble());
        Assert.True(ppl.GetProperty("lower_is_better").GetBoolean());
    }

    [Fact]
    public void Quantize_task_lm_calibrates_on_the_windows_without_their_last_token()
    {
        // The model reads exactly 4 tokens: windows of 5 fit only as next-token inputs (window[:-1]).
        string model = TinyModels.WriteTo(TinyLanguageModel.Build(seq: 4), _dir.File("lm4.onnx"));
        string data = Write(_dir.File("windows5.npy"), Npy("<i8", [16, 5], Bytes(TinyLanguageModel.Windows(16, 5))));
        string output = _dir.File("lm4.int8.onnx");

        var asClassifier = ShrinkCli.Run("quantize", model, "--task", "classification", "--data", data, "-o", output);
        var detected = ShrinkCli.Run("quantize", model, "--data", data, "-o", _dir.File("detected.onnx"));
        var r = ShrinkCli.Run("quantize", model, "--task", "lm", "--data", data, "-o", output);

        Assert.Equal(1, asClassifier.ExitCode);
        Assert.True(detected.ExitCode == 0, detected.Stderr);
        Assert.Contains("task: lm, detected from the model", detected.Stdout + detected.Stderr);
        Assert.True(r.ExitCode == 0, r.Stderr);
        string json = _dir.File("eval.json");
        var eval = ShrinkCli.Run("eval", output, "--reference", model, "--data", data, "--no-latency", "--json", json);
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        Assert.Contains("task: lm, detected from the model", eval.Stdout);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var ppl = Metric(doc, "perplexity");
        Assert.InRange(ppl.GetProperty("value").GetDouble() / ppl.GetProperty("reference_value").GetDouble(), 0.95, 1.05);
    }

    [Fact]
    public void An_unknown_task_is_a_usage_error_listing_the_tasks()
    {
        var r = ShrinkCli.Run("eval", ShrinkCli.Sample, "--task", "translation", "--data", "random:2", "--no-latency");

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("translation", r.Stderr);
        Assert.Contains("lm", r.Stderr);
    }
}
