using System.Numerics;

namespace Shrink.Data;

/// <summary>Applies <c>(x * scale - mean[c]) / std[c]</c> with the per-channel values expanded once.</summary>
internal sealed class Normalizer
{
    private readonly float _scale;
    private readonly float[] _mean;
    private readonly float[] _std;

    /// <exception cref="ShrinkException">Mean/std do not fit <paramref name="channels"/>; the message names <paramref name="dataPath"/>.</exception>
    public Normalizer(Preprocessing preprocessing, int channels, string dataPath)
    {
        preprocessing.Validate(channels, dataPath);
        _scale = preprocessing.Scale;
        _mean = Expand(preprocessing.Mean, channels, 0f);
        _std = Expand(preprocessing.Std, channels, 1f);
    }

    public int Channels => _mean.Length;

    private static float[] Expand(float[] values, int channels, float empty) =>
        values.Length == channels ? values : Enumerable.Repeat(values.Length == 0 ? empty : values[0], channels).ToArray();

    /// <summary>Normalises samples laid out as [..., C, inner]: each channel covers <paramref name="inner"/> consecutive values.</summary>
    public void Apply<T>(ReadOnlySpan<T> src, Span<float> dst, int inner) where T : INumberBase<T>
    {
        for (int i = 0, c = 0, k = 0; i < src.Length; i++)
        {
            dst[i] = (float.CreateTruncating(src[i]) * _scale - _mean[c]) / _std[c];
            if (++k == inner)
            {
                k = 0;
                if (++c == _mean.Length)
                    c = 0;
            }
        }
    }

    /// <summary>Normalises one image of interleaved HWC values into planar CHW.</summary>
    public void ApplyToPlanar(ReadOnlySpan<float> hwc, Span<float> chw)
    {
        int channels = _mean.Length, pixels = hwc.Length / channels;
        for (int c = 0; c < channels; c++)
        {
            var plane = chw.Slice(c * pixels, pixels);
            float mean = _mean[c], std = _std[c];
            for (int p = 0, k = c; p < pixels; p++, k += channels)
                plane[p] = (hwc[k] * _scale - mean) / std;
        }
    }
}
