using CsCheck;
using Shrink.Calibration;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;

namespace Shrink.Tests.Properties;

/// <summary>Property-based checks (CsCheck, fixed seeds) of the int8 quantize/dequantize arithmetic in <see cref="QuantMath"/>.</summary>
public class QuantMathProperties
{
    private const long Iterations = 2000;

    /// <summary>A calibrated range that may or may not contain 0, with magnitudes from 1e-6 to 1e4.</summary>
    private static readonly Gen<(float Min, float Max)> Range =
        Gen.Select(Gen.Float[-1f, 1f], Gen.Float[-1f, 1f], Gen.Int[-6, 4])
            .Select((a, b, e) => (MathF.Min(a, b) * MathF.Pow(10, e), MathF.Max(a, b) * MathF.Pow(10, e)));

    private static readonly Gen<ElementType> Type = Gen.OneOf(ElementType.UInt8, ElementType.Int8);

    /// <summary>Weights up to 50 in magnitude, subnormals included (see <see cref="SubnormalChannelWeightsRoundTripWithinHalfAStep"/>), or exactly 0.</summary>
    private static readonly Gen<float> Normal = Gen.OneOf(Gen.Float[-50f, 50f], Gen.Float[-1e-38f, 1e-38f], Gen.Const(0f));

    private static float Dequantize(int q, QuantParams p) => (q - p.ZeroPoint) * p.Scale;

    [Fact]
    public void RoundTripErrorIsAtMostHalfAStepInsideTheClipRange()
    {
        Gen.Select(Range, Type, Gen.Bool, Gen.Float[0f, 1f]).Sample((range, type, symmetric, t) =>
        {
            var p = QuantMath.ForRange(new CalibrationRange(range.Min, range.Max), type, symmetric);
            Assert.True(p.Scale > 0 && float.IsFinite(p.Scale), $"scale {p.Scale}");
            Assert.InRange(p.ZeroPoint, p.QMin, p.QMax);
            var (lo, hi) = p.Range;
            float x = lo + t * (hi - lo);
            int q = QuantMath.Quantize(x, p.Scale, p.ZeroPoint, p.QMin, p.QMax);
            float error = MathF.Abs(Dequantize(q, p) - x);
            // Half a step, plus float32 rounding of x / scale and of the products.
            float allowed = p.Scale / 2 * (1 + 1e-5f) + 4 * float.Epsilon + MathF.Abs(x) * 1e-6f;
            Assert.True(error <= allowed, $"x={x} range=[{lo},{hi}] scale={p.Scale} zp={p.ZeroPoint} q={q}: error {error} > {allowed}");
        }, seed: "0N0XIzNsQ0O2", iter: Iterations);
    }

    [Fact]
    public void TheCalibratedRangeLiesInsideTheClipRangeAndZeroIsExact()
    {
        Gen.Select(Range, Type, Gen.Bool).Sample((range, type, symmetric) =>
        {
            var p = QuantMath.ForRange(new CalibrationRange(range.Min, range.Max), type, symmetric);
            var (lo, hi) = p.Range;
            // Half a step (the zero point is rounded to an integer) plus float rounding of the range ends themselves.
            float slack = p.Scale / 2 * (1 + 1e-5f) + 1e-6f * MathF.Max(MathF.Abs(range.Min), MathF.Abs(range.Max));
            Assert.True(lo <= Math.Min(range.Min, 0) + slack, $"clip min {lo} above range min {range.Min} (scale {p.Scale})");
            Assert.True(hi >= Math.Max(range.Max, 0) - slack, $"clip max {hi} below range max {range.Max} (scale {p.Scale})");
            int q0 = QuantMath.Quantize(0f, p.Scale, p.ZeroPoint, p.QMin, p.QMax);
            Assert.Equal(0f, Dequantize(q0, p));
        }, seed: "0N0XIzNsQ0O3", iter: Iterations);
    }

    [Fact]
    public void ValuesOutsideTheClipRangeSaturate()
    {
        Gen.Select(Range, Type, Gen.Bool, Gen.Float[1.01f, 1000f]).Sample((range, type, symmetric, factor) =>
        {
            var p = QuantMath.ForRange(new CalibrationRange(range.Min, range.Max), type, symmetric);
            var (lo, hi) = p.Range;
            float above = hi + MathF.Max(hi, p.Scale) * factor, below = lo - MathF.Max(-lo, p.Scale) * factor;
            Assert.Equal(p.QMax, QuantMath.Quantize(above, p.Scale, p.ZeroPoint, p.QMin, p.QMax));
            Assert.Equal(p.QMin, QuantMath.Quantize(below, p.Scale, p.ZeroPoint, p.QMin, p.QMax));
        }, seed: "0N0XIzNsQ0O4", iter: Iterations);
    }

    [Fact]
    public void PerChannelWeightsRoundTripWithinHalfAStepPerChannel()
    {
        var shape = Gen.Select(Gen.Int[1, 3], Gen.Int[1, 5], Gen.Int[1, 4], Gen.Int[0, 2]);
        shape.SelectMany((outer, channels, inner, axisChoice) =>
                Normal.Array[outer * channels * inner].Select(w => (outer, channels, inner, w)))
            .Sample(t =>
            {
                var (outer, channels, inner, w) = t;
                long[] dims = [outer, channels, inner];
                var q = new sbyte[w.Length];
                var scales = QuantMath.QuantizeWeightsPerChannel(w, dims, axis: 1, q);
                Assert.Equal(channels, scales.Length);
                for (int o = 0; o < outer; o++)
                    for (int c = 0; c < channels; c++)
                        for (int i = 0; i < inner; i++)
                        {
                            int k = (o * channels + c) * inner + i;
                            Assert.InRange(q[k], (sbyte)-127, (sbyte)127);
                            float error = MathF.Abs(q[k] * scales[c] - w[k]);
                            Assert.True(error <= scales[c] / 2 * (1 + 1e-5f) + MathF.Abs(w[k]) * 1e-6f, $"w[{k}]={w[k]} scale={scales[c]} q={q[k]}: error {error}");
                        }
            }, seed: "0N0XIzNsQ0O5", iter: 500);
    }

    [Fact]
    public void PerTensorWeightsRoundTripWithinHalfAStep()
    {
        Normal.Array[0, 64].Sample(w =>
        {
            var q = new sbyte[w.Length];
            float scale = QuantMath.QuantizeWeightsPerTensor(w, q);
            Assert.True(scale > 0 && float.IsFinite(scale));
            for (int i = 0; i < w.Length; i++)
                Assert.True(MathF.Abs(q[i] * scale - w[i]) <= scale / 2 * (1 + 1e-5f) + MathF.Abs(w[i]) * 1e-6f, $"w={w[i]} q={q[i]} scale={scale}");
        }, seed: "0N0XIzNsQ0O6", iter: 500);
    }

    // Found by PerChannelWeightsRoundTripWithinHalfAStepPerChannel (seed 2iziBXiz5G52): a channel of subnormal weights got a
    // subnormal scale whose inverse overflowed, so every weight saturated; weight scales now have MinScale as a floor.
    [Fact]
    public void SubnormalChannelWeightsRoundTripWithinHalfAStep()
    {
        float[] w = [-7.004e-41f, 5.835e-41f, 0f];
        var q = new sbyte[w.Length];
        var scales = QuantMath.QuantizeWeightsPerChannel(w, [1, 1, 3], axis: 1, q);
        for (int i = 0; i < w.Length; i++)
            Assert.True(MathF.Abs(q[i] * scales[0] - w[i]) <= scales[0] / 2 * (1 + 1e-5f), $"w={w[i]} q={q[i]} scale={scales[0]}");
    }
}
