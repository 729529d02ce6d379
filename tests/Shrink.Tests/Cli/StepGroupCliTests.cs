using System.Text.Json;
using Shrink.Pipelines.Diffusion;
using Shrink.Runtime;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Cli;

public class StepGroupCliTests
{
    private static string TinyDdpm => Path.Combine(RepoPaths.SharedModels, "tiny_ddpm.onnx");
    private static string Resnet8 => Path.Combine(RepoPaths.SharedModels, "resnet8.onnx");

    [Fact]
    public void Activation_bits_and_step_groups_are_checked_before_any_work()
    {
        using var dir = new TempDirectory();
        string output = dir.File("q.onnx");
        var nine = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", output, "--data", ShrinkCli.SampleImages, "--activation-bits", "9");
        Assert.Equal(2, nine.ExitCode);
        Assert.Contains("--activation-bits must be in 2..8, not 9", nine.Stderr);
        var dynamic = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", output, "--mode", "dynamic", "--activation-bits", "6");
        Assert.Equal(2, dynamic.ExitCode);
        Assert.Contains("--activation-bits applies to static", dynamic.Stderr);
        var noPipeline = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", output, "--data", ShrinkCli.SampleImages, "--step-groups", "5");
        Assert.Equal(2, noPipeline.ExitCode);
        Assert.Contains("--step-groups applies to --pipeline", noPipeline.Stderr);
        var tooMany = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", output, "--pipeline", "ddim", "--steps", "4", "--step-groups", "5");
        Assert.Equal(2, tooMany.ExitCode);
        Assert.Contains("--step-groups must be in 1..4", tooMany.Stderr);
        var report = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", output, "--pipeline", "ddim", "--step-groups", "2", "--report", dir.File("r.md"));
        Assert.Equal(2, report.ExitCode);
        Assert.Contains("--report is not available with --step-groups", report.Stderr);
        Assert.Empty(dir.ListFiles());
    }

    [SharedFact]
    public void Six_bit_activations_narrow_the_written_zero_points_and_scales()
    {
        using var dir = new TempDirectory();
        string a8 = dir.File("a8.onnx"), a6 = dir.File("a6.onnx"), j8 = dir.File("a8.json"), j6 = dir.File("a6.json");
        foreach (var (path, json, bits) in new[] { (a8, j8, "8"), (a6, j6, "6") })
        {
            var q = ShrinkCli.Run("quantize", TinyDdpm, "-o", path, "--pipeline", "ddim", "--steps", "4", "--samples", "16", "--analysis-samples", "0",
                "--calibration", "minmax", "--activation-bits", bits, "--json", json);
            Assert.True(q.ExitCode == 0, q.Stderr);
        }
        var (scales6, zeroPoints6) = Activations(a6);
        var (scales8, zeroPoints8) = Activations(a8);
        Assert.NotEmpty(zeroPoints6);
        Assert.All(zeroPoints6.Values, z => Assert.InRange(z, 0, 63)); // uint8 codes 0..63 hold every range
        Assert.Contains(zeroPoints8.Values, z => z > 63);
        Assert.Equal(scales8.Keys.Order(), scales6.Keys.Order());
        foreach (var (tensor, s8) in scales8)
            Assert.InRange(scales6[tensor] / s8, 255 / 63f * 0.99f, 255 / 63f * 1.01f); // the same ranges over 63 steps instead of 255
    }

    /// <summary>Scale and zero point of each activation QuantizeLinear (by its input), uint8 only.</summary>
    private static (Dictionary<string, float> Scales, Dictionary<string, int> ZeroPoints) Activations(string path)
    {
        var model = Shrink.Model.OnnxModel.Load(path);
        var scales = new Dictionary<string, float>();
        var zps = new Dictionary<string, int>();
        foreach (var node in model.Graph.Nodes.Where(n => n.OpType == "QuantizeLinear" && n.Inputs.Count > 2))
        {
            if (model.Graph.FindInitializer(node.Inputs[2]) is not { Type: Shrink.Model.ElementType.UInt8 } zp || model.Graph.FindInitializer(node.Inputs[1]) is not { } scale) continue;
            if (model.Graph.FindInitializer(node.Inputs[0]) is not null) continue; // weights
            scales[node.Inputs[0]] = scale.AsSpan<float>()[0];
            zps[node.Inputs[0]] = zp.AsSpan<byte>()[0];
        }
        return (scales, zps);
    }

    [SharedFact(needsFashionMnist: true)]
    public void Step_groups_write_one_model_per_group_that_runs_in_ort_and_eval_switches_them_by_t()
    {
        using var dir = new TempDirectory();
        string output = dir.File("ddpm.a6.onnx"), json = dir.File("fd.json");
        var q = ShrinkCli.Run("quantize", TinyDdpm, "-o", output, "--pipeline", "ddim", "--steps", "4", "--samples", "16", "--analysis-samples", "0",
            "--calibration", "minmax", "--activation-bits", "6", "--step-groups", "2");
        Assert.True(q.ExitCode == 0, q.Stderr);
        Assert.False(File.Exists(output));
        Assert.Contains("group 1: steps 2..3 (t = 250..0)", q.Stdout);
        var manifest = DiffusionStepModels.Read(dir.File("ddpm.a6.steps.json"));
        Assert.Equal([dir.File("ddpm.a6.g0.onnx"), dir.File("ddpm.a6.g1.onnx")], manifest.Groups.Select(g => g.Model));
        Assert.Equal([500, 0], manifest.Groups.Select(g => g.MinT));
        Assert.Equal([750, 250], manifest.Groups.Select(g => g.MaxT));
        var scales = new List<float[]>();
        foreach (var group in manifest.Groups)
        {
            using var session = ModelSession.Open(group.Model);
            var sampler = new DiffusionSampler(session, new DiffusionSamplerOptions { Steps = 4, BatchSize = 2 });
            var x = sampler.InitialNoise(0, 2);
            sampler.Denoise(x, 2);
            Assert.All(x, v => Assert.True(float.IsFinite(v)));
            var model = Shrink.Model.OnnxModel.Load(group.Model);
            scales.Add([.. model.Graph.Nodes.Where(n => n.OpType == "QuantizeLinear" && model.Graph.FindInitializer(n.Inputs[1]) is not null)
                .Select(n => model.Graph.FindInitializer(n.Inputs[1])!.AsSpan<float>()[0])]);
        }
        Assert.Equal(scales[0].Length, scales[1].Length);
        Assert.NotEqual(scales[0], scales[1]); // each group has its own ranges
        var e = ShrinkCli.Run("eval", dir.File("ddpm.a6.steps.json"), "--reference", TinyDdpm, "--pipeline", "ddim", "--steps", "4", "--samples", "8",
            "--fd-model", Resnet8, "--fd-data", FashionMnist.TestImages, "--fd-samples", "200", "--json", json);
        Assert.True(e.ExitCode == 0, e.Stderr);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var models = doc.RootElement.GetProperty("models");
        Assert.Equal(2, models.GetArrayLength());
        Assert.True(models[0].GetProperty("frechet_distance").GetDouble() > 0);
        Assert.Equal(4, models[0].GetProperty("model_calls").GetInt64()); // 4 steps, one batch of 8, each call on its group's model
    }
}
