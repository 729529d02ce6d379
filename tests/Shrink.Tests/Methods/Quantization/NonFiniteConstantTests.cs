using Onnx;
using Shrink.Data;
using Shrink.Methods.Quantization;
using Shrink.Methods.Quantization.Dynamic;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Model;
using Shrink.Tests.TestSupport;
using Shrink.Validation;

namespace Shrink.Tests.Methods.Quantization;

/// <summary>
/// Exported attention masks fill masked positions with −inf (or float-min) through a constant read by Where or Add; such
/// constants must not stop quantization, and must stay exact in the quantized model.
/// </summary>
public sealed class NonFiniteConstantTests
{
    private const int Features = 32;

    // x [batch, 32] → MatMul(W) → Where(keep, ·, −inf) → Softmax → output; keep masks the upper half of each row.
    private static ModelProto MaskedAttention(float weightNaNAt = -1)
    {
        var w = TinyModels.RandomFloats(Features * Features, 11);
        if (weightNaNAt >= 0) w[(int)weightNaNAt] = float.NaN;
        var g = new GraphProto { Name = "masked" };
        g.Input.Add(TinyModels.FloatInfo("x", "batch", Features));
        g.Output.Add(TinyModels.FloatInfo("output", "batch", Features));
        g.Initializer.Add(TinyModels.FloatTensor("W", [Features, Features], w));
        g.Initializer.Add(TinyModels.RawTensor("keep", (int)TensorProto.Types.DataType.Bool, [Features], Enumerable.Range(0, Features).Select(i => (byte)(i < Features / 2 ? 1 : 0)).ToArray()));
        g.Initializer.Add(TinyModels.FloatTensor("neg_inf", [], [float.NegativeInfinity]));
        g.Node.Add(TinyModels.Node("MatMul", ["x", "W"], ["scores"], "matmul"));
        g.Node.Add(TinyModels.Node("Where", ["keep", "scores", "neg_inf"], ["masked"], "where"));
        var softmax = TinyModels.Node("Softmax", ["masked"], ["output"], "softmax");
        softmax.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = -1 });
        g.Node.Add(softmax);
        return TinyModels.BuildModel(g);
    }

    private static Dictionary<string, TensorProto> Input() =>
        new() { ["x"] = TinyModels.FloatTensor("x", [3, Features], TinyModels.RandomFloats(3 * Features, 12)) };

    // The −inf constant is still there, unchanged, and the Where reads it directly; the masked half of each row is 0.
    private static void AssertMaskKept(OnnxModel quantized)
    {
        var constant = quantized.Graph.FindInitializer("neg_inf");
        Assert.NotNull(constant);
        Assert.Equal(float.NegativeInfinity, constant.AsSpan<float>()[0]);
        Assert.Equal("neg_inf", quantized.Graph.Nodes.Single(n => n.OpType == "Where").Inputs[2]);
        Assert.DoesNotContain(quantized.Graph.Nodes, n => n.Inputs.Contains("neg_inf") && n.OpType != "Where");
        var y = OrtRunner.RunOnce(quantized.ToByteArray(), Input())[0];
        var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(y.Bytes).ToArray();
        for (int i = 0; i < values.Length; i++)
        {
            Assert.True(float.IsFinite(values[i]), $"output {i} is {values[i]}");
            if (i % Features >= Features / 2) Assert.Equal(0f, values[i]);
        }
        Assert.Equal(3, values.Chunk(Features).Count(row => Math.Abs(row.Sum() - 1f) < 1e-3f));
    }

    [Fact]
    public void A_minus_infinity_mask_constant_passes_the_finiteness_check_and_a_nan_weight_does_not()
    {
        FiniteWeights.Ensure(OnnxModel.FromProto(MaskedAttention()), "masked");
        var e = Assert.Throws<ShrinkException>(() => FiniteWeights.Ensure(OnnxModel.FromProto(MaskedAttention(weightNaNAt: 5)), "masked"));
        Assert.Contains("initializer 'W' (read by node 'matmul', MatMul) holds NaN or Inf at element 5", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dynamic_quantization_quantizes_the_matmul_and_keeps_the_mask_exact()
    {
        var result = new DynamicQuantizer(new StaticQuantizationOptions()).Quantize(OnnxModel.FromProto(MaskedAttention()));
        Assert.Equal(1, result.QuantizedByOp["MatMul"]);
        Assert.Contains(result.Model.Graph.Nodes, n => n.OpType == "DynamicQuantizeMatMul");
        AssertMaskKept(result.Model);
    }

    [Fact]
    public void Static_quantization_quantizes_the_matmul_and_keeps_the_where_and_its_mask_in_float()
    {
        var result = new StaticQuantizer(new StaticQuantizationOptions { Samples = 8, AnalysisSamples = 0 })
            .Quantize(OnnxModel.FromProto(MaskedAttention()), inputs => DataSourceFactory.Open("random:8", new DataOptions(), inputs));
        Assert.Equal(1, result.QuantizedByOp["MatMul"]);
        Assert.DoesNotContain(result.Plan!.Quantized, n => n.OpType == "Where");
        AssertMaskKept(result.Model);
    }

    [Fact]
    public void Weight_only_rtn_quantizes_the_matmul_and_keeps_the_mask_exact()
    {
        var result = new WeightOnlyQuantizer(new WeightOnlyOptions { Bits = 4, GroupSize = 16, Method = "rtn" }).Quantize(OnnxModel.FromProto(MaskedAttention()), null);
        Assert.Single(result.Layers);
        AssertMaskKept(result.Model);
    }

    [SharedFact]
    public void Tiny_gpt_with_its_causal_mask_quantizes_dynamically_weight_only_and_statically_and_loads_in_ort()
    {
        using var dir = new TempDirectory();
        string model = Path.Combine(RepoPaths.SharedModels, "tiny_gpt.onnx");
        var runs = new[]
        {
            ("dynamic", new[] { "--mode", "dynamic" }),
            ("int4", new[] { "--weights", "int4", "--method", "rtn" }),
            // Static with random token ids: the int64 calibration file tiny_gpt.calib.npy is not a format the data readers take.
            ("static", new[] { "--data", "random:8", "--input-shape", "input_ids=1,16", "--analysis-samples", "0" }),
        };
        foreach (var (name, args) in runs)
        {
            string output = dir.File($"tiny_gpt_{name}.onnx");
            var run = ShrinkCli.Run(["quantize", model, "-o", output, .. args]);
            Assert.True(run.ExitCode == 0, $"{name}: exit {run.ExitCode}: {run.Stderr}{run.Stdout}");
            using var session = OrtRunner.Open(output);
            Assert.NotEmpty(session.OutputMetadata);
            Assert.True(new FileInfo(output).Length < new FileInfo(model).Length, $"{name}: the quantized model is not smaller");
        }
    }
}
