using Shrink.Calibration;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;

namespace Shrink.Tests.Methods.Quantization.Qdq;

public class QuantMathActivationBitsTests
{
    [Fact]
    public void Six_bit_uint8_activations_use_64_codes_and_reconstruct_the_range_within_half_a_step()
    {
        const float min = -1.3f, max = 2.1f;
        var p = QuantMath.ForRange(CalibrationRange.Create(min, max), ElementType.UInt8, symmetric: false, bits: 6);
        Assert.Equal(ElementType.UInt8, p.Type); // still an 8-bit Q/DQ that ORT fuses
        Assert.Equal((max - min) / 63, p.Scale, 6);
        var rng = new Random(5);
        int lowest = int.MaxValue, highest = int.MinValue;
        for (int i = 0; i <= 10_000; i++)
        {
            float x = i == 0 ? min : i == 1 ? max : min + (float)rng.NextDouble() * (max - min);
            int q = QuantMath.Quantize(x, p.Scale, p.ZeroPoint, p.QMin, p.QMax);
            lowest = Math.Min(lowest, q);
            highest = Math.Max(highest, q);
            Assert.True(Math.Abs((q - p.ZeroPoint) * p.Scale - x) <= p.Scale / 2 + 1e-6f, $"x = {x}");
        }
        Assert.Equal(0, lowest);
        Assert.Equal(63, highest); // the range spans exactly 64 levels: 0..63
        Assert.Equal(p.ZeroPoint, QuantMath.Quantize(0f, p.Scale, p.ZeroPoint, p.QMin, p.QMax)); // 0 stays exact
        var eight = QuantMath.ForRange(CalibrationRange.Create(min, max), ElementType.UInt8, symmetric: false);
        Assert.Equal(p.Scale, eight.Scale * 255 / 63, 5); // 6 bits: a step ~4× wider than 8 bits
    }

    [Fact]
    public void Six_bit_int8_and_symmetric_grids_are_centred_as_the_type_says()
    {
        var p = QuantMath.ForRange(CalibrationRange.Create(-1f, 3f), ElementType.Int8, symmetric: false, bits: 6);
        Assert.Equal(-32, QuantMath.Quantize(-1f, p.Scale, p.ZeroPoint, p.QMin, p.QMax));
        Assert.Equal(31, QuantMath.Quantize(3f, p.Scale, p.ZeroPoint, p.QMin, p.QMax));
        var sym = QuantMath.ForRange(CalibrationRange.Create(-1f, 3f), ElementType.UInt8, symmetric: true, bits: 6);
        Assert.Equal(128, sym.ZeroPoint);
        Assert.Equal(3f / 31, sym.Scale, 6);
        Assert.Equal(128 + 31, QuantMath.Quantize(3f, sym.Scale, sym.ZeroPoint, sym.QMin, sym.QMax)); // ±absMax: codes 97..159, 63 levels
        Assert.Equal(128 - 31, QuantMath.Quantize(-3f, sym.Scale, sym.ZeroPoint, sym.QMin, sym.QMax));
        Assert.Equal((0, 63), QuantMath.ActivationGrid(ElementType.UInt8, 6));
        Assert.Equal((-128, 127), QuantMath.ActivationGrid(ElementType.Int8, 8));
        Assert.Throws<ArgumentOutOfRangeException>(() => QuantMath.ActivationGrid(ElementType.UInt8, 9));
        Assert.Throws<ArgumentOutOfRangeException>(() => QuantMath.ActivationGrid(ElementType.UInt8, 1));
    }
}
