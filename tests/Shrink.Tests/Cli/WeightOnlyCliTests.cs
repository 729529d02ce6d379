using System.Text.Json;
using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Cli;

public sealed class WeightOnlyCliTests
{
    private static string Calibration => Path.Combine(RepoPaths.RepoRoot, "samples", "fashion-mnist", "train512-images-idx3-ubyte.gz");

    [Fact]
    public void Int4_gptq_on_the_sample_writes_matmulnbits_a_report_and_keeps_the_accuracy()
    {
        using var dir = new TempDirectory();
        string output = dir.File("w4.onnx"), json = dir.File("w4.json"), report = dir.File("w4.md");
        var q = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", output, "--weights", "int4", "--data", Calibration, "--samples", "128", "--json", json, "--report", report);
        Assert.True(q.ExitCode == 0, q.Stderr);
        Assert.Contains("weights", q.Stderr); // progress over the layers
        var model = OnnxModel.Load(output);
        Assert.Equal(2, model.Graph.Nodes.Count(n => n.OpType == "MatMulNBits"));
        Assert.Equal(2, model.Graph.Nodes.Count(n => n.OpType == "DequantizeLinear"));
        Assert.Equal(21, model.OpsetVersion()); // int4 DequantizeLinear
        using (var doc = JsonDocument.Parse(File.ReadAllText(json)))
        {
            var root = doc.RootElement;
            Assert.Equal("weight-only", root.GetProperty("mode").GetString());
            Assert.True(root.GetProperty("quantized_weight_bytes").GetInt64() <= 0.16 * root.GetProperty("float_weight_bytes").GetInt64());
            foreach (var layer in root.GetProperty("layers").EnumerateArray())
                Assert.True(layer.GetProperty("method_error").GetDouble() <= layer.GetProperty("rtn_error").GetDouble() * 1.05, layer.ToString());
        }
        Assert.Contains("## Layers", File.ReadAllText(report));
        Assert.True(File.Exists(dir.File("w4.preprocess.json")));

        var e = ShrinkCli.Run("eval", output, "--reference", ShrinkCli.Sample, "--data", ShrinkCli.SampleImages, "--batch", "8", "--runs", "5", "--json", "-");
        Assert.True(e.ExitCode == 0, e.Stderr);
        using var eval = JsonDocument.Parse(e.Stdout);
        double drop = eval.RootElement.GetProperty("reference_accuracy").GetDouble() - eval.RootElement.GetProperty("accuracy").GetDouble();
        Assert.True(drop <= 0.01, $"int4 lost {drop * 100:F2} points on the 1,000 sample images");
    }

    [Fact]
    public void Round_to_nearest_needs_no_data_and_three_bits_say_how_they_are_stored()
    {
        using var dir = new TempDirectory();
        var q = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", dir.File("w3.onnx"), "--weights", "int3", "--group-size", "0");
        Assert.True(q.ExitCode == 0, q.Stderr);
        Assert.Contains("rtn", q.Stdout);
        Assert.Contains("4-bit containers", q.Stdout);
    }

    [Theory]
    [InlineData("--weights", "int5")]
    [InlineData("--method", "awq")]
    public void Bad_choices_are_usage_errors(string option, string value)
    {
        using var dir = new TempDirectory();
        Assert.Equal(2, ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", dir.File("o.onnx"), "--weights", "int4", option, value).ExitCode);
    }

    [Fact]
    public void Gptq_without_data_fails_naming_the_option_and_writes_nothing()
    {
        using var dir = new TempDirectory();
        var r = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", dir.File("o.onnx"), "--weights", "int4", "--method", "gptq");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--data", r.Stderr);
        Assert.False(File.Exists(dir.File("o.onnx")));
        var s = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", dir.File("o.onnx"), "--weights", "int4", "--activations", "uint8");
        Assert.Equal(2, s.ExitCode);
    }
}
