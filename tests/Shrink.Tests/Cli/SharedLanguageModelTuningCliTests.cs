using System.Diagnostics;
using System.Text.Json;
using Shrink.Data;
using Shrink.Evaluation;
using Shrink.Tests.TestSupport;
using Xunit.Abstractions;

namespace Shrink.Tests.Cli;

/// <summary><c>shrink tune --metric perplexity</c> end to end on the shared tiny_gpt and its validation windows.</summary>
public sealed class SharedLanguageModelTuningCliTests(ITestOutputHelper output)
{
    [SharedFact]
    public void Tune_tiny_gpt_keeps_the_measured_perplexity_within_the_increase()
    {
        using var dir = new TempDirectory();
        string model = dir.File("tiny_gpt.onnx"), tuned = dir.File("tuned.onnx"), json = dir.File("tune.json");
        File.Copy(Path.Combine(RepoPaths.SharedModels, "tiny_gpt.onnx"), model);   // the sensitivity cache lands beside the copy
        string calib = Path.Combine(RepoPaths.SharedModels, "tiny_gpt.calib.npy"), val = Path.Combine(RepoPaths.SharedModels, "tiny_gpt.val.npy");
        var clock = Stopwatch.StartNew();

        var r = ShrinkCli.Run("tune", model, "--task", "lm", "--data", calib, "--samples", "16", "--eval-data", val, "--eval-samples", "64",
            "--metric", "perplexity", "--max-increase", "1%", "--bits", "4,8", "--sensitivity", "perturbation", "--max-trials", "5", "-o", tuned, "--json", json);

        output.WriteLine($"{clock.Elapsed.TotalSeconds:F0} s\n{r.Stdout}");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var evaluated = new ModelEvaluator(new EvaluationOptions { LatencyBatchSizes = [], Task = "lm", MaxSamples = 64 })
            .Evaluate(tuned, model, inputs => DataSourceFactory.Open(val, new DataOptions(), inputs));
        var ppl = evaluated.Metrics.Single(m => m.Name == "perplexity");
        output.WriteLine($"perplexity {ppl.Value:F4} vs fp32 {ppl.ReferenceValue:F4} on 64 windows; {new FileInfo(tuned).Length:N0} bytes vs {new FileInfo(model).Length:N0}");
        Assert.True(ppl.Value <= ppl.ReferenceValue!.Value * 1.01, $"perplexity {ppl.Value} over fp32 {ppl.ReferenceValue} + 1 %");
        Assert.InRange(ppl.ReferenceValue.Value, 7, 12);   // 9.262 on all 512 windows
        Assert.True(new FileInfo(tuned).Length < new FileInfo(model).Length / 3, "4/8-bit weights are well under a third of fp32");
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal(ppl.ReferenceValue.Value, doc.RootElement.GetProperty("reference").GetDouble(), 6);
    }
}
