using Shrink.Methods.Quantization.Qdq;

namespace Shrink.Methods.Quantization.WeightOnly;

/// <summary>
/// The integer grid of a low-bit weight format. Codes are unsigned, 0..2^bits−1, and dequantize as
/// (code − zeroPoint)·scale, as in ONNX Runtime's MatMulNBits. Symmetric grids fix the zero point at 2^(bits−1), so the
/// signed levels are −2^(bits−1)..2^(bits−1)−1 and the scale is abs-max / (2^(bits−1)−1), the usual convention
/// (PyTorch's reference RTN uses the same).
/// </summary>
public readonly record struct WeightGrid(int Bits, bool Symmetric)
{
    /// <summary>The largest code.</summary>
    public int MaxCode => (1 << Bits) - 1;

    /// <summary>The zero point of a symmetric grid.</summary>
    public int MiddleCode => 1 << (Bits - 1);

    /// <summary>The scale and zero point that cover <paramref name="min"/>..<paramref name="max"/> (clipped by the caller).</summary>
    public (float Scale, int ZeroPoint) ParamsFor(float min, float max)
    {
        if (Symmetric)
        {
            float absMax = Math.Max(Math.Abs(min), Math.Abs(max));
            int positive = MiddleCode - 1;
            // 2-bit symmetric has one positive level: abs-max / 1, as the reference does.
            float scale = absMax > 0 ? absMax / Math.Max(positive, 1) : 1f;
            return (Math.Max(scale, QuantMath.MinScale), MiddleCode);
        }
        min = Math.Min(min, 0f);
        max = Math.Max(max, 0f);
        if (max - min <= 0) return (1f, 0);
        float s = Math.Max((max - min) / MaxCode, QuantMath.MinScale);
        int zp = (int)Math.Clamp(MathF.Round(-min / s, MidpointRounding.ToEven), 0, MaxCode);
        return (s, zp);
    }

    /// <summary>The code of <paramref name="value"/>: round half to even, add the zero point, saturate.</summary>
    public int Quantize(float value, float scale, int zeroPoint) =>
        (int)Math.Clamp(MathF.Round(value / scale, MidpointRounding.ToEven) + zeroPoint, 0, MaxCode);

    /// <summary>The value a code stands for.</summary>
    public static float Dequantize(int code, float scale, int zeroPoint) => (code - zeroPoint) * scale;

    /// <summary>
    /// The scale and zero point of one group of values <c>values[k·stride]</c>, k &lt; count. With
    /// <paramref name="clipSteps"/> &gt; 1 the range is shrunk by factors 1, 1 − 0.5/(steps−1)·1, ... down to 0.5, and the
    /// one with the least <paramref name="importance"/>-weighted squared error wins (importance null: plain squared error).
    /// </summary>
    public (float Scale, int ZeroPoint) FindParams(ReadOnlySpan<float> values, int count, int stride, ReadOnlySpan<float> importance, int clipSteps)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        for (int k = 0; k < count; k++)
        {
            float v = values[k * stride];
            if (v < min) min = v;
            if (v > max) max = v;
        }
        var best = ParamsFor(min, max);
        if (clipSteps <= 1) return best;
        double bestError = Error(values, count, stride, importance, best.Scale, best.ZeroPoint);
        for (int step = 1; step < clipSteps; step++)
        {
            float factor = 1f - 0.5f * step / (clipSteps - 1);
            var candidate = ParamsFor(min * factor, max * factor);
            double error = Error(values, count, stride, importance, candidate.Scale, candidate.ZeroPoint);
            if (error < bestError)
            {
                bestError = error;
                best = candidate;
            }
        }
        return best;
    }

    private double Error(ReadOnlySpan<float> values, int count, int stride, ReadOnlySpan<float> importance, float scale, int zeroPoint)
    {
        double sum = 0;
        float inv = 1f / scale;
        for (int k = 0; k < count; k++)
        {
            float v = values[k * stride];
            float q = Math.Clamp(MathF.Round(v * inv, MidpointRounding.ToEven) + zeroPoint, 0, MaxCode);
            float d = v - (q - zeroPoint) * scale;
            sum += (importance.IsEmpty ? 1f : importance[k]) * d * d;
        }
        return sum;
    }
}
