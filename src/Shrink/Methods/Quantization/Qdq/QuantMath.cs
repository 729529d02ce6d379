using Shrink.Calibration;
using Shrink.Model;

namespace Shrink.Methods.Quantization.Qdq;

/// <summary>
/// Quantization arithmetic with ONNX's semantics: QuantizeLinear rounds half to even and saturates;
/// DequantizeLinear is (q − zero_point) · scale. Checked against ONNX's backend test cases.
/// </summary>
public static class QuantMath
{
    /// <summary>The smallest scale we emit: keeps 1/scale finite for all-zero or constant tensors.</summary>
    public const float MinScale = 1e-12f;

    /// <summary>
    /// Activation parameters for a calibrated range (which contains 0). Asymmetric: the range maps onto all levels
    /// with a zero point that makes 0 exact. Symmetric: zero point at the middle (0 for int8, 128 for uint8).
    /// A degenerate range (all zeros) gets scale 1, so nothing divides by zero.
    /// <para>
    /// <paramref name="bits"/> below 8 keeps the int8/uint8 Q/DQ pair (ORT fuses nothing narrower) and maps the range onto
    /// 2^bits levels of it (<see cref="ActivationGrid"/>: 0..63 for uint8 at 6 bits, −32..31 for int8; symmetric: the
    /// zero point ± (2^(bits−1) − 1)): values inside the calibrated range get a 2^bits-level grid. QuantizeLinear itself
    /// saturates only at the type's limits; <see cref="ActivationCodes"/> gives the edge a Clip on the codes keeps them to
    /// (as <see cref="QdqInserter"/> writes it), so a value beyond the range clips there as on 2^bits-level hardware.
    /// </para>
    /// </summary>
    public static QuantParams ForRange(CalibrationRange range, ElementType type, bool symmetric, int bits = 8)
    {
        var (qmin, qmax) = ActivationGrid(type, bits);
        float min = Math.Min(range.Min, 0f), max = Math.Max(range.Max, 0f);
        if (symmetric)
        {
            float absMax = Math.Max(-min, max);
            int zp = type == ElementType.UInt8 ? 128 : 0;
            // 8 bits: ±absMax onto ±127.5 (the type saturates the half step). Narrower grids sit inside the type, so ±absMax
            // goes onto ±(2^(bits−1) − 1): 63 codes at 6 bits, none outside the 64 levels.
            float half = bits == 8 ? (qmax - qmin) / 2f : (qmax - qmin - 1) / 2;
            float scale = absMax > 0 ? absMax / half : 1f;
            return new QuantParams(Math.Max(scale, MinScale), zp, type);
        }
        if (max - min <= 0)
            return new QuantParams(1f, type == ElementType.UInt8 ? 0 : 0, type);
        float s = (max - min) / (qmax - qmin);
        s = Math.Max(s, MinScale);
        int zeroPoint = (int)Math.Clamp(Math.Round(qmin - min / s, MidpointRounding.ToEven), qmin, qmax);
        return new QuantParams(s, zeroPoint, type);
    }

    /// <summary>
    /// The codes an activation range of <paramref name="bits"/> bits maps onto inside <paramref name="type"/>: uint8 0..2^bits−1,
    /// int8 −2^(bits−1)..2^(bits−1)−1 (8 bits: the whole type).
    /// </summary>
    public static (int QMin, int QMax) ActivationGrid(ElementType type, int bits)
    {
        if (bits is < 2 or > 8) throw new ArgumentOutOfRangeException(nameof(bits), bits, "Activation bits must be 2..8.");
        int levels = 1 << bits;
        return type == ElementType.UInt8 ? (0, levels - 1) : (-levels / 2, levels / 2 - 1);
    }

    /// <summary>
    /// The codes a <paramref name="bits"/>-bit activation with <paramref name="zeroPoint"/> keeps to inside its 8-bit
    /// type, as <see cref="ForRange"/> maps ranges: 8 bits the whole type; below, <see cref="ActivationGrid"/> (asymmetric)
    /// or the zero point ± (2^(bits−1) − 1) (symmetric).
    /// </summary>
    public static (int Lo, int Hi) ActivationCodes(ElementType type, int zeroPoint, int bits, bool symmetric)
    {
        if (bits == 8 || !symmetric) return ActivationGrid(type, bits);
        int half = (1 << (bits - 1)) - 1;
        return (zeroPoint - half, zeroPoint + half);
    }

    /// <summary>QuantizeLinear of one value: round half to even, add the zero point, saturate.</summary>
    public static int Quantize(float x, float scale, int zeroPoint, int qmin, int qmax)
    {
        // float32 division, as ONNX's reference and ORT's kernels compute it (double differs at exact halves).
        float q = MathF.Round(x / scale, MidpointRounding.ToEven) + zeroPoint;
        return (int)Math.Clamp(q, qmin, qmax);
    }

    /// <summary>QuantizeLinear over a span into int8.</summary>
    public static void Quantize(ReadOnlySpan<float> x, float scale, int zeroPoint, Span<sbyte> q)
    {
        for (int i = 0; i < x.Length; i++)
            q[i] = (sbyte)Math.Clamp(MathF.Round(x[i] / scale, MidpointRounding.ToEven) + zeroPoint, -128, 127);
    }

    /// <summary>
    /// Symmetric per-channel int8 weights (levels −127..127, zero point 0), channels along <paramref name="axis"/>
    /// of a tensor with <paramref name="dims"/>. An all-zero channel gets scale 1. Returns the scales. With
    /// <paramref name="bits"/> below 8 the codes keep to ±(2^(bits−1) − 1) (−7..7 at 4 bits), still stored as int8.
    /// </summary>
    public static float[] QuantizeWeightsPerChannel(ReadOnlySpan<float> w, IReadOnlyList<long> dims, int axis, Span<sbyte> q, int bits = 8)
    {
        int limit = WeightLimit(bits);
        var (outer, channels, inner) = Split(dims, axis);
        var scales = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            float absMax = 0;
            for (long o = 0; o < outer; o++)
            {
                var block = w.Slice((int)((o * channels + c) * inner), (int)inner);
                absMax = Math.Max(absMax, Math.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(block)));
            }
            scales[c] = absMax > 0 ? Math.Max(absMax / limit, MinScale) : 1f;
        }
        for (long o = 0; o < outer; o++)
        {
            for (int c = 0; c < channels; c++)
            {
                int start = (int)((o * channels + c) * inner);
                float inv = 1f / scales[c];
                for (int i = start; i < start + inner; i++)
                    q[i] = (sbyte)Math.Clamp(MathF.Round(w[i] * inv, MidpointRounding.ToEven), -limit, limit);
            }
        }
        return scales;
    }

    /// <summary>Symmetric per-tensor int8 weights (levels −127..127; ±(2^(bits−1) − 1) below 8 bits). Returns the scale.</summary>
    public static float QuantizeWeightsPerTensor(ReadOnlySpan<float> w, Span<sbyte> q, int bits = 8)
    {
        int limit = WeightLimit(bits);
        float absMax = w.Length == 0 ? 0 : Math.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(w));
        float scale = absMax > 0 ? Math.Max(absMax / limit, MinScale) : 1f;
        float inv = 1f / scale;
        for (int i = 0; i < w.Length; i++)
            q[i] = (sbyte)Math.Clamp(MathF.Round(w[i] * inv, MidpointRounding.ToEven), -limit, limit);
        return scale;
    }

    /// <summary>The largest weight code of a symmetric <paramref name="bits"/>-bit grid: 2^(bits−1) − 1 (127 at 8 bits, 7 at 4).</summary>
    public static int WeightLimit(int bits)
    {
        if (bits is < 2 or > 8) throw new ArgumentOutOfRangeException(nameof(bits), bits, "Weight bits must be 2..8.");
        return (1 << (bits - 1)) - 1;
    }

    /// <summary>Bias as int32 with scale s_in·s_w[c] (per channel), rounding half to even and saturating.</summary>
    public static int[] QuantizeBias(ReadOnlySpan<float> bias, float inputScale, ReadOnlySpan<float> weightScales)
    {
        var q = new int[bias.Length];
        for (int c = 0; c < bias.Length; c++)
        {
            double s = (double)inputScale * weightScales[weightScales.Length == 1 ? 0 : c];
            q[c] = (int)Math.Clamp(Math.Round(bias[c] / s, MidpointRounding.ToEven), int.MinValue, int.MaxValue);
        }
        return q;
    }

    /// <summary>(outer, channels, inner) element counts around <paramref name="axis"/>.</summary>
    public static (long Outer, int Channels, long Inner) Split(IReadOnlyList<long> dims, int axis)
    {
        long outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= dims[i];
        for (int i = axis + 1; i < dims.Count; i++) inner *= dims[i];
        return (outer, (int)dims[axis], inner);
    }
}
