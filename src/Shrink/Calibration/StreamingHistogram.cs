using System.Numerics.Tensors;

namespace Shrink.Calibration;

/// <summary>
/// A fixed-size histogram over a symmetric range [−R, R] that grows by doubling R and merging bin pairs, so it stays
/// exact to one bin width without storing values. Also tracks the exact minimum, maximum and count.
/// </summary>
public sealed class StreamingHistogram
{
    private readonly long[] _counts;
    private readonly string _tensor;
    private long _pendingZeros;

    /// <summary>Creates a histogram with <paramref name="bins"/> bins (rounded up to a multiple of 4).</summary>
    public StreamingHistogram(string tensorName, int bins = 2048)
    {
        _tensor = tensorName;
        _counts = new long[Math.Max(4, (bins + 3) / 4 * 4)];
    }

    /// <summary>The bin counts (length fixed at construction).</summary>
    public ReadOnlySpan<long> Counts => _counts;

    /// <summary>Half-width R of the covered range; 0 until a non-zero value was seen.</summary>
    public float Range { get; private set; }

    /// <summary>Width of one bin.</summary>
    public double BinWidth => 2.0 * Range / _counts.Length;

    /// <summary>Exact minimum observed.</summary>
    public float Min { get; private set; }

    /// <summary>Exact maximum observed.</summary>
    public float Max { get; private set; }

    /// <summary>Values observed.</summary>
    public long Count { get; private set; }

    /// <summary>Adds values; throws <see cref="ShrinkException"/> on NaN or infinity.</summary>
    public void Add(ReadOnlySpan<float> values)
    {
        if (values.IsEmpty) return;
        float lo = TensorPrimitives.Min(values), hi = TensorPrimitives.Max(values);
        // Min and Max return NaN when any element is NaN, so this also catches NaN.
        if (!float.IsFinite(lo) || !float.IsFinite(hi))
            throw new ShrinkException($"Activation '{_tensor}' holds NaN or Inf on the calibration data; check the model and the inputs.");
        Min = Count == 0 ? lo : Math.Min(Min, lo);
        Max = Count == 0 ? hi : Math.Max(Max, hi);
        Count += values.Length;
        float absMax = Math.Max(-lo, hi);
        if (Range == 0)
        {
            if (absMax == 0) { _pendingZeros += values.Length; return; }
            Range = absMax;
            if (_pendingZeros > 0) { _counts[_counts.Length / 2] += _pendingZeros; _pendingZeros = 0; }
        }
        while (absMax > Range) Grow();
        int bins = _counts.Length;
        float scale = bins / (2 * Range), shift = Range * scale;
        // Bin positions computed with SIMD in chunks; only the increments are scalar.
        Span<float> position = stackalloc float[1024];
        for (int start = 0; start < values.Length; start += position.Length)
        {
            var chunk = values.Slice(start, Math.Min(position.Length, values.Length - start));
            var p = position[..chunk.Length];
            TensorPrimitives.Multiply(chunk, scale, p);
            TensorPrimitives.Add(p, shift, p);
            TensorPrimitives.Min(p, bins - 1, p);
            TensorPrimitives.Max(p, 0f, p);
            foreach (float x in p) _counts[(int)x]++;
        }
    }

    // Doubling R: old bin i lands in new bin B/4 + i/2.
    private void Grow()
    {
        int bins = _counts.Length;
        var merged = new long[bins];
        for (int i = 0; i < bins; i++) merged[bins / 4 + i / 2] += _counts[i];
        merged.CopyTo(_counts, 0);
        Range *= 2;
    }

    /// <summary>The lower edge of bin <paramref name="i"/>.</summary>
    public double Edge(int i) => -Range + i * BinWidth;

    /// <summary>Counts of |x| in <see cref="Counts"/>.Length / 2 bins of the same width, from 0 outwards.</summary>
    public long[] AbsoluteCounts()
    {
        int half = _counts.Length / 2;
        var abs = new long[half];
        for (int j = 0; j < half; j++) abs[j] = _counts[half + j] + _counts[half - 1 - j];
        return abs;
    }
}
