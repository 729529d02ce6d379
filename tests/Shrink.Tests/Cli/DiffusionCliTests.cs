using System.Text.Json;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Cli;

public class DiffusionCliTests
{
    private static string TinyDdpm => Path.Combine(RepoPaths.SharedModels, "tiny_ddpm.onnx");
    private static string Resnet8 => Path.Combine(RepoPaths.SharedModels, "resnet8.onnx");

    [Fact]
    public void Eval_pipeline_options_are_checked_before_any_work()
    {
        var noFd = ShrinkCli.Run("eval", ShrinkCli.Sample, "--pipeline", "ddim");
        Assert.Equal(2, noFd.ExitCode);
        Assert.Contains("--fd-model", noFd.Stderr);
        var withData = ShrinkCli.Run("eval", ShrinkCli.Sample, "--pipeline", "ddim", "--data", ShrinkCli.SampleImages, "--fd-model", ShrinkCli.Sample, "--fd-data", ShrinkCli.SampleImages);
        Assert.Equal(2, withData.ExitCode);
        Assert.Contains("leave out --data", withData.Stderr);
        var steps = ShrinkCli.Run("eval", ShrinkCli.Sample, "--data", ShrinkCli.SampleImages, "--steps", "10");
        Assert.Equal(2, steps.ExitCode);
        Assert.Contains("--steps applies to --pipeline", steps.Stderr);
        var none = ShrinkCli.Run("eval", ShrinkCli.Sample);
        Assert.Equal(2, none.ExitCode);
        Assert.Contains("'--data' is required", none.Stderr);
        var notDiffusion = ShrinkCli.Run("eval", ShrinkCli.Sample, "--pipeline", "ddim", "--fd-model", ShrinkCli.Sample, "--fd-data", ShrinkCli.SampleImages, "--steps", "2", "--samples", "4");
        Assert.Equal(1, notDiffusion.ExitCode);
        Assert.Contains("integer timestep t", notDiffusion.Stderr);
        Assert.DoesNotContain("internal error", notDiffusion.Stderr);
    }

    [Fact]
    public void Quantize_pipeline_refuses_data_and_other_modes()
    {
        using var dir = new TempDirectory();
        var withData = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", dir.File("q.onnx"), "--pipeline", "ddim", "--data", ShrinkCli.SampleImages);
        Assert.Equal(2, withData.ExitCode);
        Assert.Contains("leave out --data", withData.Stderr);
        var dynamic = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", dir.File("q.onnx"), "--pipeline", "ddim", "--mode", "dynamic");
        Assert.Equal(2, dynamic.ExitCode);
        var steps = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", dir.File("q.onnx"), "--pipeline", "ddim", "--steps", "0");
        Assert.Equal(2, steps.ExitCode);
        Assert.Contains("--steps must be in 1..1000", steps.Stderr);
        var notDiffusion = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", dir.File("q.onnx"), "--pipeline", "ddim");
        Assert.Equal(1, notDiffusion.ExitCode);
        Assert.Contains("integer timestep t", notDiffusion.Stderr);
        var stepGroups = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", dir.File("q.onnx"), "--pipeline", "ddim", "--weights", "int4", "--step-groups", "2");
        Assert.Equal(2, stepGroups.ExitCode);
        Assert.Contains("leave out --step-groups with --weights", stepGroups.Stderr);
        Assert.Empty(dir.ListFiles());
    }

    [SharedFact]
    public void Weight_only_gptq_takes_its_layer_inputs_from_the_sampling_loop()
    {
        using var dir = new TempDirectory();
        string w4 = dir.File("ddpm.w4.onnx"), json = dir.File("q.json");
        var q = ShrinkCli.Run("quantize", TinyDdpm, "-o", w4, "--weights", "int4", "--pipeline", "ddim", "--steps", "4", "--samples", "16", "--json", json);
        Assert.True(q.ExitCode == 0, q.Stderr);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        // GPTQ ran on the sampler's x_t (no --data given): layers rounded by gptq with a measured error; the file is
        // smaller than the float one.
        var layers = doc.RootElement.GetProperty("layers").EnumerateArray().ToList();
        Assert.Contains(layers, l => l.GetProperty("method").GetString() == "gptq" && l.GetProperty("method_error").ValueKind == JsonValueKind.Number);
        Assert.StartsWith("16 samples", doc.RootElement.GetProperty("calibration").GetString());
        Assert.True(new FileInfo(w4).Length < new FileInfo(TinyDdpm).Length);
    }

    [SharedFact(needsFashionMnist: true)]
    public void Quantize_calibrates_in_the_sampling_loop_and_eval_scores_both_models_by_frechet_distance()
    {
        using var dir = new TempDirectory();
        string int8 = dir.File("ddpm.int8.onnx"), json = dir.File("fd.json");
        var q = ShrinkCli.Run("quantize", TinyDdpm, "-o", int8, "--pipeline", "ddim", "--steps", "4", "--samples", "16", "--analysis-samples", "0", "--calibration", "minmax");
        Assert.True(q.ExitCode == 0, q.Stderr);
        Assert.True(File.Exists(int8));
        var e = ShrinkCli.Run("eval", int8, "--reference", TinyDdpm, "--pipeline", "ddim", "--steps", "3", "--samples", "8", "--seed", "1",
            "--fd-model", Resnet8, "--fd-data", FashionMnist.TestImages, "--fd-samples", "200", "--json", json);
        Assert.True(e.ExitCode == 0, e.Stderr);
        Assert.Contains("ddim-3 (t = 666..0), 8 samples, seed 1", e.Stdout);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var models = doc.RootElement.GetProperty("models");
        Assert.Equal(2, models.GetArrayLength());
        Assert.Equal(64, doc.RootElement.GetProperty("feature_dimension").GetInt32());
        Assert.Equal(200, doc.RootElement.GetProperty("real_images").GetInt64());
        foreach (var m in models.EnumerateArray())
        {
            Assert.True(m.GetProperty("frechet_distance").GetDouble() > 0);
            Assert.Equal(3, m.GetProperty("model_calls").GetInt64()); // 3 steps, one batch of 8
        }
    }
}
