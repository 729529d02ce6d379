using Shrink.Calibration;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;

namespace Shrink.Tests.Methods.Quantization.Qdq;

public class QuantMathTests
{
    [Fact]
    public void Zero_is_exactly_representable_and_degenerate_ranges_are_sane()
    {
        var p = QuantMath.ForRange(CalibrationRange.Create(-0.37f, 2.9f), ElementType.UInt8, symmetric: false);
        Assert.Equal(p.ZeroPoint, QuantMath.Quantize(0f, p.Scale, p.ZeroPoint, 0, 255)); // 0 maps onto a level exactly
        Assert.InRange(p.ZeroPoint, 0, 255);
        Assert.True(Math.Abs(-p.ZeroPoint * p.Scale - -0.37f) <= p.Scale, "the grid's bottom sits within a step of the range's minimum");
        Assert.Equal(2.9f + 0.37f, 255 * p.Scale, 5);
        var zero = QuantMath.ForRange(CalibrationRange.Create(0, 0), ElementType.UInt8, symmetric: false);
        Assert.True(float.IsFinite(1f / zero.Scale) && zero.Scale > 0);
        var sym = QuantMath.ForRange(CalibrationRange.Create(-1f, 3f), ElementType.Int8, symmetric: true);
        Assert.Equal(0, sym.ZeroPoint);
        Assert.Equal(3f / 127.5f, sym.Scale, 6);
    }

    [Fact]
    public void Per_channel_weights_use_each_channels_abs_max_and_reconstruct_within_half_a_step()
    {
        // Conv-like weight [3 out, 2 in]: channel 1 is all zero.
        float[] w = [0.5f, -1.0f, 0f, 0f, 2.54f, 0.01f];
        var q = new sbyte[w.Length];
        var scales = QuantMath.QuantizeWeightsPerChannel(w, [3, 2], 0, q);
        Assert.Equal(1.0f / 127, scales[0], 7);
        Assert.Equal(1f, scales[1]); // all-zero channel: a sane scale, no division by zero
        Assert.Equal(2.54f / 127, scales[2], 7);
        Assert.Equal(-127, q[1]);
        Assert.Equal(127, q[4]);
        for (int i = 0; i < w.Length; i++)
            Assert.True(Math.Abs(q[i] * scales[i / 2] - w[i]) <= scales[i / 2] / 2 + 1e-7, $"element {i}");
    }

    [Fact]
    public void Per_channel_on_axis_1_splits_columns()
    {
        float[] w = [1f, 10f, -2f, 20f]; // [2 rows, 2 columns]; columns scale separately
        var q = new sbyte[4];
        var scales = QuantMath.QuantizeWeightsPerChannel(w, [2, 2], 1, q);
        Assert.Equal(2f / 127, scales[0], 7);
        Assert.Equal(20f / 127, scales[1], 7);
    }

    [Fact]
    public void Bias_uses_input_scale_times_weight_scale()
    {
        var q = QuantMath.QuantizeBias([0.5f, -0.25f], 0.01f, [0.1f, 0.05f]);
        Assert.Equal(new[] { 500, -500 }, q);
    }
}
