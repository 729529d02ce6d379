using Shrink.Data;
using Shrink.Methods.Quantization;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;
using Shrink.Tests.Cli;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods.Quantization;

public class StaticWeightRoundingTests
{
    private const int Features = 64, Outputs = 32, Samples = 256;

    // Inputs of rank 4 plus a little noise: strongly correlated features, where GPTQ's error feedback has room to work.
    private static float[] CorrelatedInputs(int seed)
    {
        var rng = new Random(seed);
        var mix = TinyModels.RandomFloats(4 * Features, seed + 1);
        var x = new float[Samples * Features];
        for (int s = 0; s < Samples; s++)
        {
            var z = Enumerable.Range(0, 4).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            for (int f = 0; f < Features; f++)
            {
                float v = 0.05f * (float)(rng.NextDouble() * 2 - 1);
                for (int k = 0; k < 4; k++) v += z[k] * mix[k * Features + f];
                x[s * Features + f] = v;
            }
        }
        return x;
    }

    private sealed record Fixture(TempDirectory Dir, OnnxModel Model, float[] X, Func<IReadOnlyList<ModelInputSpec>, IDataSource> Data) : IDisposable
    {
        public void Dispose() => Dir.Dispose();
    }

    private static Fixture Make(int seed = 3)
    {
        var dir = new TempDirectory();
        var x = CorrelatedInputs(seed);
        string npy = dir.File("x.npy");
        OutputSafetyCliTests.WriteNpyFloat(npy, [Samples, Features], x);
        var model = OnnxModel.FromProto(TinyModels.MatMulReluAdd(Features, Outputs, seed: seed), "tiny.onnx");
        return new Fixture(dir, model, x, inputs => DataSourceFactory.Open(npy, new DataOptions(), inputs));
    }

    private static QuantizationResult Quantize(Fixture f, int bits, string rounding = "rtn") =>
        new StaticQuantizer(new StaticQuantizationOptions { WeightBits = bits, WeightRounding = rounding, Samples = Samples, AnalysisSamples = 0 }).Quantize(f.Model, f.Data);

    // The int8 codes and per-column scales the MatMul's weight DequantizeLinear reads.
    private static (sbyte[] Codes, float[] Scales, long Axis) WeightCodes(OnnxModel quantized)
    {
        var graph = quantized.Graph;
        var matmul = graph.Nodes.Single(n => n.Name == "matmul");
        var dq = graph.Producer(matmul.Inputs[1])!;
        Assert.Equal("DequantizeLinear", dq.OpType);
        var codes = graph.FindInitializer(dq.Inputs[0])!;
        Assert.Equal(ElementType.Int8, codes.Type);
        return (codes.AsSpan<sbyte>().ToArray(), graph.FindInitializer(dq.Inputs[1])!.ToFloatArray(), dq.GetInt("axis", 1));
    }

    // ‖X(W − Ŵ)‖² / ‖XW‖² of the MatMul on the calibration inputs, Ŵ read back from the written codes and scales.
    private static double LayerOutputError(Fixture f, OnnxModel quantized)
    {
        var w = f.Model.Graph.FindInitializer("W")!.ToFloatArray();
        var (codes, scales, axis) = WeightCodes(quantized);
        Assert.Equal(1, axis);
        double num = 0, den = 0;
        for (int s = 0; s < Samples; s++)
        {
            for (int n = 0; n < Outputs; n++)
            {
                double exact = 0, rounded = 0;
                for (int k = 0; k < Features; k++)
                {
                    double xv = f.X[s * Features + k];
                    exact += xv * w[k * Outputs + n];
                    rounded += xv * codes[k * Outputs + n] * scales[n];
                }
                num += (exact - rounded) * (exact - rounded);
                den += exact * exact;
            }
        }
        return num / den;
    }

    private static double OutputError(Fixture f, OnnxModel quantized)
    {
        var input = new Dictionary<string, Onnx.TensorProto> { ["input"] = TinyModels.FloatTensor("input", [Samples, Features], f.X) };
        var reference = OrtRunner.RunOnce(f.Model.ToByteArray(), input)[0].Bytes;
        var actual = OrtRunner.RunOnce(quantized.ToByteArray(), input)[0].Bytes;
        double num = 0, den = 0;
        for (int i = 0; i < reference.Length; i += 4)
        {
            double r = BitConverter.ToSingle(reference, i), a = BitConverter.ToSingle(actual, i);
            num += (r - a) * (r - a);
            den += r * r;
        }
        return num / den;
    }

    [Fact]
    public void Four_bit_weights_keep_to_the_4_bit_grid_in_int8_and_cost_more_error_than_8_bits()
    {
        using var f = Make();
        var w8 = Quantize(f, 8);
        var w4 = Quantize(f, 4);

        var (codes4, _, _) = WeightCodes(w4.Model);
        Assert.All(codes4, c => Assert.InRange(c, -7, 7));
        Assert.Equal(7, codes4.Max(c => Math.Abs((int)c)));
        Assert.Equal(127, WeightCodes(w8.Model).Codes.Max(c => Math.Abs((int)c)));
        Assert.Equal(4, w4.WeightBits);
        Assert.True(w4.Fusion!.IntegerKernels >= 1, "ORT still fuses the 4-bit grid into an int8 kernel");

        double e8 = OutputError(f, w8.Model), e4 = OutputError(f, w4.Model);
        Assert.True(double.IsFinite(e4) && e4 < 0.05, $"4-bit output error {e4:G3}");
        Assert.True(e4 > 2 * e8, $"4-bit {e4:G3} against 8-bit {e8:G3}");
    }

    [Fact]
    public void Gptq_at_4_bits_has_a_lower_layer_output_error_than_round_to_nearest()
    {
        using var f = Make();
        var rtn = Quantize(f, 4);
        var gptq = Quantize(f, 4, "gptq");

        var (codes, _, _) = WeightCodes(gptq.Model);
        Assert.All(codes, c => Assert.InRange(c, -8, 7));
        double rtnError = LayerOutputError(f, rtn.Model), gptqError = LayerOutputError(f, gptq.Model);
        Assert.True(gptqError < 0.5 * rtnError, $"gptq {gptqError:G3} against rtn {rtnError:G3}");

        // The report's row agrees with what was written.
        var row = Assert.Single(gptq.WeightLayers);
        Assert.Equal("gptq", row.Method);
        Assert.Equal("gptq", gptq.WeightRounding);
        Assert.True(row.MethodError < row.RtnError, $"reported gptq {row.MethodError:G3} against rtn {row.RtnError:G3}");
        Assert.Equal(gptqError, row.MethodError!.Value, 0.2 * gptqError);
        Assert.True(OutputError(f, gptq.Model) < OutputError(f, rtn.Model));
    }

    [Fact]
    public void Gptq_codes_of_conv_and_gemm_weights_land_in_the_right_places()
    {
        // A misplaced code (e.g. a transposed layout) would wreck the output; GPTQ must do at least as well as RTN here.
        var model = OnnxModel.Load(ShrinkCli.Sample);
        Func<IReadOnlyList<ModelInputSpec>, IDataSource> data = inputs =>
            DataSourceFactory.Open(ShrinkCli.SampleImages, new DataOptions { Preprocessing = Preprocessing.LoadSidecar(ShrinkCli.Sample)! }, inputs);
        QuantizationResult Run(string rounding) => new StaticQuantizer(new StaticQuantizationOptions
        {
            WeightBits = 4,
            WeightRounding = rounding,
            Samples = 128,
            AnalysisSamples = 64,
            SuggestExclusions = 0,
        }).Quantize(model, data);
        var rtn = Run("rtn");
        var gptq = Run("gptq");
        Assert.Contains(gptq.WeightLayers, l => l.OpType == "Conv" && l.Method == "gptq");
        Assert.Contains(gptq.WeightLayers, l => l.OpType == "Gemm" && l.Method == "gptq");
        Assert.All(gptq.WeightLayers, l => Assert.True(l.MethodError <= l.RtnError, $"{l.Name}: gptq {l.MethodError:G3} against rtn {l.RtnError:G3}"));
        Assert.True(gptq.Output!.OutputSqnrDb >= rtn.Output!.OutputSqnrDb - 0.5, $"gptq {gptq.Output.OutputSqnrDb:F1} dB against rtn {rtn.Output.OutputSqnrDb:F1} dB");
        Assert.True(gptq.Output.Top1Agreement >= 0.9, $"top-1 agreement {gptq.Output.Top1Agreement:P1}");
    }

    [Fact]
    public void Eight_bit_round_to_nearest_writes_the_same_bytes_as_the_default_options()
    {
        using var f = Make();
        var defaults = new StaticQuantizer(new StaticQuantizationOptions { Samples = Samples, AnalysisSamples = 0 }).Quantize(f.Model, f.Data);
        var explicitRtn = Quantize(f, 8, "rtn");
        Assert.Equal(defaults.Model.ToByteArray(), explicitRtn.Model.ToByteArray());
        Assert.Empty(explicitRtn.WeightLayers);

        // And those bytes are plain abs-max int8: scale = max |w| / 127 per output column, codes rounded to nearest.
        var w = f.Model.Graph.FindInitializer("W")!.ToFloatArray();
        var (codes, scales, _) = WeightCodes(defaults.Model);
        for (int n = 0; n < Outputs; n++)
        {
            float absMax = Enumerable.Range(0, Features).Max(k => Math.Abs(w[k * Outputs + n]));
            Assert.Equal(absMax / 127f, scales[n]);
            for (int k = 0; k < Features; k++)
                Assert.Equal((int)MathF.Round(w[k * Outputs + n] * (1f / scales[n]), MidpointRounding.ToEven), codes[k * Outputs + n]);
        }
    }

    [Fact]
    public void Gptq_with_per_tensor_weights_is_refused_before_any_work()
    {
        using var f = Make();
        var e = Assert.Throws<ShrinkException>(() => new StaticQuantizer(new StaticQuantizationOptions { WeightBits = 4, WeightRounding = "gptq", PerChannelWeights = false })
            .Quantize(f.Model, _ => throw new InvalidOperationException("data opened")));
        Assert.Contains("per-tensor", e.Message);
        var bits = Assert.Throws<ShrinkException>(() => new StaticQuantizer(new StaticQuantizationOptions { WeightBits = 9 }).Quantize(f.Model, f.Data));
        Assert.Contains("weight_bits", bits.Message);
    }
}
