using System.Text.Json.Nodes;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Cli;

public class EquivalenceCliTests
{
    [Theory]
    [InlineData("--smooth=1.5", "--smooth takes α in [0, 1] or auto, not '1.5'")]
    [InlineData("--smooth=strong", "--smooth takes α in [0, 1] or auto")]
    [InlineData("--rotation-seed=3", "--rotation-seed applies to --rotate")]
    [InlineData("--rotate=diagonal", "'klt+hadamard'")]
    [InlineData("--bias-correction=magic", "'analytic'")]
    public void Bad_equivalence_options_are_usage_errors_before_any_work(string option, string message)
    {
        using var dir = new TempDirectory();
        var run = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", dir.File("q.onnx"), "--data", ShrinkCli.SampleImages, option);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Stderr);
        Assert.Empty(dir.ListFiles());
    }

    [Fact]
    public void Equivalence_options_are_refused_where_they_do_not_apply()
    {
        using var dir = new TempDirectory();
        var dynamic = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", dir.File("q.onnx"), "--mode", "dynamic", "--rotate", "hadamard");
        Assert.Equal(2, dynamic.ExitCode);
        Assert.Contains("apply to static quantization and to --weights", dynamic.Stderr);
        var conflict = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", dir.File("q.onnx"), "--data", ShrinkCli.SampleImages, "--activations", "int4", "--activation-bits", "6");
        Assert.Equal(2, conflict.ExitCode);
        Assert.Contains("--activations int4 sets 4 activation bits", conflict.Stderr);
        var weightOnly = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", dir.File("q.onnx"), "--weights", "int4", "--activations", "int6");
        Assert.Equal(2, weightOnly.ExitCode);
        Assert.Empty(dir.ListFiles());
    }

    [Fact]
    public void Activations_int4_is_the_same_quantization_as_four_activation_bits()
    {
        using var dir = new TempDirectory();
        string named = dir.File("named.onnx"), bits = dir.File("bits.onnx");
        var a = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", named, "--data", ShrinkCli.SampleImages, "--samples", "64", "--analysis-samples", "0", "--activations", "int4");
        Assert.True(a.ExitCode == 0, a.Stderr);
        var b = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", bits, "--data", ShrinkCli.SampleImages, "--samples", "64", "--analysis-samples", "0", "--activation-bits", "4");
        Assert.True(b.ExitCode == 0, b.Stderr);
        Assert.Equal(File.ReadAllBytes(bits), File.ReadAllBytes(named));
        var eight = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", dir.File("eight.onnx"), "--data", ShrinkCli.SampleImages, "--samples", "64", "--analysis-samples", "0");
        Assert.True(eight.ExitCode == 0, eight.Stderr);
        Assert.NotEqual(File.ReadAllBytes(dir.File("eight.onnx")), File.ReadAllBytes(named));
    }

    [Fact]
    public void A_recipe_written_with_equivalence_options_reproduces_the_model_byte_for_byte()
    {
        using var dir = new TempDirectory();
        string first = dir.File("first.onnx"), recipe = dir.File("r.json"), second = dir.File("second.onnx");
        var made = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", first, "--data", ShrinkCli.SampleImages, "--samples", "64", "--analysis-samples", "0",
            "--per-tensor-weights", "--equalize", "--bias-correction", "empirical", "--recipe-out", recipe);
        Assert.True(made.ExitCode == 0, made.Stderr);
        var written = JsonNode.Parse(File.ReadAllText(recipe))!.AsObject();
        var equivalence = written["steps"]![0]!["options"]!["equivalence"]!;
        Assert.True((bool)equivalence["equalize"]!);
        Assert.Equal("empirical", (string?)equivalence["bias_correction"]);
        written["output"] = second;
        File.WriteAllText(recipe, written.ToJsonString());
        var run = ShrinkCli.Run("run", recipe);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(File.ReadAllBytes(first), File.ReadAllBytes(second));
    }
}
