using System.Text.Json;
using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Cli;

public class QuantizeCliTests
{
    private static string Calibration => Path.Combine(RepoPaths.RepoRoot, "samples", "fashion-mnist", "train512-images-idx3-ubyte.gz");

    [Fact]
    public void Quantize_then_eval_is_the_documented_demo()
    {
        using var dir = new TempDirectory();
        string output = dir.File("int8.onnx"), json = dir.File("q.json"), report = dir.File("q.md");
        var q = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", output, "--data", Calibration, "--samples", "256", "--analysis-samples", "64", "--json", json, "--report", report);
        Assert.True(q.ExitCode == 0, q.Stderr);
        Assert.True(File.Exists(dir.File("int8.preprocess.json")), "the preprocessing sidecar travels with the model");
        using (var doc = JsonDocument.Parse(File.ReadAllText(json)))
        {
            Assert.True(doc.RootElement.GetProperty("integer_kernels").GetInt32() >= 3);
            Assert.Equal(0, doc.RootElement.GetProperty("unfused").GetArrayLength());
            Assert.True(doc.RootElement.GetProperty("size_bytes").GetInt64() < 0.3 * new FileInfo(ShrinkCli.Sample).Length);
        }
        string md = File.ReadAllText(report);
        Assert.Contains("## Per-layer error", md);
        Assert.Contains("## Fusion check", md);

        var e = ShrinkCli.Run("eval", output, "--reference", ShrinkCli.Sample, "--data", ShrinkCli.SampleImages, "--batch", "8", "--runs", "5", "--json", "-");
        Assert.True(e.ExitCode == 0, e.Stderr);
        using var eval = JsonDocument.Parse(e.Stdout);
        double drop = eval.RootElement.GetProperty("reference_accuracy").GetDouble() - eval.RootElement.GetProperty("accuracy").GetDouble();
        Assert.True(drop <= 0.005, $"int8 lost {drop * 100:F2} points on the 1,000 sample images");
    }

    [Fact]
    public void Already_quantized_model_is_refused_and_nothing_is_written()
    {
        using var dir = new TempDirectory();
        string first = dir.File("int8.onnx");
        Assert.Equal(0, ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", first, "--mode", "dynamic").ExitCode);
        var r = ShrinkCli.Run("quantize", first, "-o", dir.File("twice.onnx"), "--mode", "dynamic");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("already quantized", r.Stderr);
        Assert.False(File.Exists(dir.File("twice.onnx")));
    }

    [Fact]
    public void Nan_weights_are_refused_naming_the_initializer()
    {
        using var dir = new TempDirectory();
        var model = OnnxModel.Load(ShrinkCli.Sample);
        var weight = model.Graph.Initializers.Values.First(t => t.Type == ElementType.Float && t.Dims.Count == 4);
        var values = weight.ToFloatArray();
        values[3] = float.NaN;
        weight.SetData<float>(weight.Dims.ToArray(), values, ElementType.Float);
        string bad = dir.File("nan.onnx");
        model.Save(bad);
        var r = ShrinkCli.Run("quantize", bad, "-o", dir.File("out.onnx"), "--data", Calibration, "--samples", "64");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(weight.Name, r.Stderr);
        Assert.False(File.Exists(dir.File("out.onnx")));
    }

    [Theory]
    [InlineData("--calibration", "kl")]
    [InlineData("--mode", "fast")]
    public void Bad_choices_are_usage_errors(string option, string value)
    {
        using var dir = new TempDirectory();
        var r = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", dir.File("o.onnx"), "--data", Calibration, option, value);
        Assert.Equal(2, r.ExitCode);
    }

    [Fact]
    public void Static_mode_without_data_and_overwriting_the_input_are_usage_errors()
    {
        using var dir = new TempDirectory();
        Assert.Equal(2, ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", dir.File("o.onnx")).ExitCode);
        Assert.Equal(2, ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", ShrinkCli.Sample, "--mode", "dynamic").ExitCode);
    }

    [Fact]
    public void Calibration_data_of_the_wrong_shape_fails_without_output()
    {
        using var dir = new TempDirectory();
        var r = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", dir.File("o.onnx"), "--data", "random:16", "--input-shape", "input=1,3,28,28");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("input", r.Stderr);
        Assert.False(File.Exists(dir.File("o.onnx")));
    }

    [Theory]
    [InlineData("4096", "--calibration-batch", "100000")]
    [InlineData("1000", "--weights", "int4", "--clip-steps", "1000000000")]
    [InlineData("minimum", "--memory-limit", "1K")]
    public void Options_over_their_limit_are_refused_before_any_work_naming_the_limit(string limit, params string[] options)
    {
        using var dir = new TempDirectory();
        string output = dir.File("out.onnx");
        var r = ShrinkCli.Run(["quantize", ShrinkCli.Sample, "-o", output, "--data", Calibration, .. options]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(options[^2], r.Stderr);
        Assert.Contains(limit, r.Stderr);
        Assert.False(File.Exists(output));
    }

    [Theory]
    [InlineData("256", "--threads", "1000")]
    [InlineData("4096", "--batch", "100000")]
    public void Eval_options_over_their_limit_are_refused_naming_the_limit(string limit, string option, string value)
    {
        var r = ShrinkCli.Run("eval", ShrinkCli.Sample, "--data", ShrinkCli.SampleImages, option, value);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(option, r.Stderr);
        Assert.Contains(limit, r.Stderr);
    }
    [Fact]
    public void Static_four_bit_gptq_weights_are_reported_and_still_fused_into_integer_kernels()
    {
        using var dir = new TempDirectory();
        string output = dir.File("w4.onnx"), json = dir.File("q.json"), report = dir.File("q.md");
        var q = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", output, "--data", Calibration, "--samples", "64", "--analysis-samples", "0",
            "--weight-bits", "4", "--method", "gptq", "--json", json, "--report", report);
        Assert.True(q.ExitCode == 0, q.Stderr);
        using (var doc = JsonDocument.Parse(File.ReadAllText(json)))
        {
            Assert.Equal(4, doc.RootElement.GetProperty("weight_bits").GetInt32());
            Assert.Equal("gptq", doc.RootElement.GetProperty("weight_rounding").GetString());
            Assert.Contains(doc.RootElement.GetProperty("weight_layers").EnumerateArray(), l => l.GetProperty("method").GetString() == "gptq");
            Assert.True(doc.RootElement.GetProperty("integer_kernels").GetInt32() >= 3);
        }
        Assert.Contains("4-bit weight grid in int8 containers (ORT runs int8 kernels), gptq", File.ReadAllText(report));
        var graph = OnnxModel.Load(output).Graph;
        var weightCodes = graph.Nodes.Where(n => n.OpType == "DequantizeLinear").Select(n => graph.FindInitializer(n.Inputs[0]))
            .Where(t => t is { Type: ElementType.Int8 } && t.Dims.Count >= 2).ToList();
        Assert.NotEmpty(weightCodes);
        Assert.All(weightCodes, t => Assert.All(t!.AsSpan<sbyte>().ToArray(), c => Assert.InRange(c, -8, 7)));
    }

    [Theory]
    [InlineData("--weight-bits 9", "--weight-bits must be in 2..8, not 9")]
    [InlineData("--weight-bits 1", "--weight-bits must be in 2..8, not 1")]
    [InlineData("--weights int4 --weight-bits 4", "--weight-bits sets the weight grid of static quantization; --weights int4")]
    [InlineData("--mode dynamic --weight-bits 4", "--weight-bits applies to static quantization")]
    [InlineData("--mode dynamic --method gptq", "--method gptq picks the weight rounding")]
    [InlineData("--method gptq --per-tensor-weights", "leave out --per-tensor-weights")]
    public void Weight_bit_usage_errors_name_the_options_and_write_nothing(string args, string message)
    {
        using var dir = new TempDirectory();
        string output = dir.File("out.onnx");
        var r = ShrinkCli.Run(["quantize", ShrinkCli.Sample, "-o", output, "--data", Calibration, .. args.Split(' ')]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Stderr);
        Assert.False(File.Exists(output));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Int8_splits_a_packed_attention_projection_unless_asked_to_keep_it(bool keep)
    {
        using var dir = new TempDirectory();
        string output = dir.File("q.onnx");
        string[] args = ["quantize", Methods.Pruning.ExportFixtures.PathOf("timm_unbind"), "-o", output, "--mode", "dynamic"];
        var r = ShrinkCli.Run(keep ? [.. args, "--packed-attention"] : args);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(!keep, r.Stdout.Contains("pre-processing: split-attention", StringComparison.Ordinal));
        Assert.Equal(keep, OnnxModel.Load(output).Graph.Nodes.Any(n => n.OpType == Shrink.Ops.OpTypes.Split));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Static_int8_fuses_biases_into_its_matmuls_unless_pure_qdq_is_asked(bool pure)
    {
        using var dir = new TempDirectory();
        string output = dir.File("q.onnx");
        string[] args = ["quantize", Methods.Pruning.ExportFixtures.PathOf("packed_causal_attention"), "-o", output, "--data", "random:8", "--input-shape", "x=1,6,16", "--analysis-samples", "0"];
        var r = ShrinkCli.Run(pure ? [.. args, "--pure-qdq"] : args);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var nodes = OnnxModel.Load(output).Graph.Nodes;
        // q, k, v and the output projection, each with its bias.
        Assert.Equal(pure ? 0 : 4, nodes.Count(n => n.OpType == Shrink.Ops.OpTypes.MatMulIntegerToFloat));
        Assert.Equal(pure ? 4 : 0, nodes.Count(n => n.OpType == Shrink.Ops.OpTypes.MatMul && (n.Name.Contains("qkv", StringComparison.Ordinal) || n.Name == "/proj/MatMul")));
        Assert.Equal(!pure, r.Stdout.Contains("written for ONNX Runtime: 4 int8 MatMul(s) with a bias", StringComparison.Ordinal));
    }

    [Fact]
    public void Pure_qdq_is_refused_outside_static_int8()
    {
        using var dir = new TempDirectory();
        var r = ShrinkCli.Run("quantize", Methods.Pruning.ExportFixtures.PathOf("timm_unbind"), "-o", dir.File("q.onnx"), "--mode", "dynamic", "--pure-qdq");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--pure-qdq", r.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("q.onnx")));
    }

    [Fact]
    public void Packed_attention_is_refused_where_nothing_is_split()
    {
        using var dir = new TempDirectory();
        var r = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", dir.File("q.onnx"), "--weights", "int4", "--packed-attention");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--packed-attention", r.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("q.onnx")));
    }
}

