using Onnx;
using Shrink.Calibration;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods.Quantization.Qdq;

/// <summary>Our quantization arithmetic against ONNX's own backend test cases (libonnx-testdata).</summary>
public class QuantMathConformanceTests
{
    private static TensorData Load(string test, string file)
    {
        string path = Path.Combine(RepoPaths.OnnxTestData, "node", test, "test_data_set_0", file);
        Assert.True(File.Exists(path), $"{path} is missing: apt-get install libonnx-testdata");
        using var stream = File.OpenRead(path);
        return new TensorData(TensorProto.Parser.ParseFrom(stream));
    }

    private static float[] Ints(TensorData t) => t.ToFloatArray();

    [Theory]
    [InlineData("test_quantizelinear", null)]
    [InlineData("test_quantizelinear_axis", 1)]
    public void QuantizeLinear_matches_onnx(string test, int? axis)
    {
        var x = Load(test, "input_0.pb").ToFloatArray();
        var scale = Load(test, "input_1.pb").ToFloatArray();
        var zp = Load(test, "input_2.pb");
        var expected = Load(test, "output_0.pb");
        var dims = Load(test, "input_0.pb").Dims;
        var zps = Ints(zp);
        var (qmin, qmax) = zp.Type == ElementType.UInt8 ? (0, 255) : (-128, 127);
        var (outer, channels, inner) = axis is int a ? QuantMath.Split(dims, a) : (1, 1, x.Length);
        var actual = new float[x.Length];
        for (long o = 0; o < outer; o++)
            for (int c = 0; c < channels; c++)
                for (long i = 0; i < inner; i++)
                {
                    long k = (o * channels + c) * inner + i;
                    actual[k] = QuantMath.Quantize(x[k], scale[axis is null ? 0 : c], (int)zps[axis is null ? 0 : c], qmin, qmax);
                }
        Assert.Equal(expected.ToFloatArray(), actual);
    }

    [Theory]
    [InlineData("test_dequantizelinear", null)]
    [InlineData("test_dequantizelinear_axis", 1)]
    public void DequantizeLinear_matches_onnx(string test, int? axis)
    {
        var q = Load(test, "input_0.pb");
        var values = q.ToFloatArray();
        var scale = Load(test, "input_1.pb").ToFloatArray();
        var zp = Ints(Load(test, "input_2.pb"));
        var expected = Load(test, "output_0.pb").ToFloatArray();
        var (outer, channels, inner) = axis is int a ? QuantMath.Split(q.Dims, a) : (1, 1, values.Length);
        var actual = new float[values.Length];
        for (long o = 0; o < outer; o++)
            for (int c = 0; c < channels; c++)
                for (long i = 0; i < inner; i++)
                {
                    long k = (o * channels + c) * inner + i;
                    int ch = axis is null ? 0 : c;
                    actual[k] = (values[k] - zp[ch]) * scale[ch];
                }
        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData("test_dynamicquantizelinear")]
    [InlineData("test_dynamicquantizelinear_max_adjusted")]
    [InlineData("test_dynamicquantizelinear_min_adjusted")]
    public void Asymmetric_uint8_parameters_match_DynamicQuantizeLinear(string test)
    {
        var x = Load(test, "input_0.pb").ToFloatArray();
        float expectedScale = Load(test, "output_1.pb").ToFloatArray()[0];
        int expectedZp = (int)Load(test, "output_2.pb").ToFloatArray()[0];
        var expectedY = Load(test, "output_0.pb").ToFloatArray();
        var p = QuantMath.ForRange(CalibrationRange.Create(x.Min(), x.Max()), ElementType.UInt8, symmetric: false);
        Assert.Equal(expectedScale, p.Scale);
        Assert.Equal(expectedZp, p.ZeroPoint);
        Assert.Equal(expectedY, x.Select(v => (float)QuantMath.Quantize(v, p.Scale, p.ZeroPoint, 0, 255)).ToArray());
    }
}
