using Shrink.Numerics;

namespace Shrink.Methods.Quantization.Equivalence;

/// <summary>
/// SmoothQuant's scales for one place and the quantized layer error they lead to. s_j = max|X_j|^α / max|W_j|^(1−α),
/// with max|W_j| over every reader's input channel j; the error is ‖XW − Q(X/s)·Q(W·diag(s))‖² summed over the
/// readers on sampled rows of X, with X/s quantized per tensor on the activation grid of the target (min-max range of
/// the whole calibration data, computed from the per-channel extremes) and W·diag(s) on its weight grid (per output
/// channel, per tensor or in groups along K).
/// </summary>
public sealed class SmoothingSearch
{
    /// <summary>The α values a search tries: 0, 0.1, …, 1.</summary>
    public static IReadOnlyList<double> Alphas { get; } = Enumerable.Range(0, 11).Select(i => i / 10.0).ToArray();

    /// <summary>Smallest and largest scale (keeps the division finite and the fold well conditioned).</summary>
    public const float MinScale = 1e-5f, MaxScale = 1e5f;

    private readonly SmoothingStatisticsRequest.ChannelStats _stats;
    private readonly IReadOnlyList<(float[] W, int Rows)> _readers;
    private readonly EquivalenceTarget _target;
    private readonly int _channels;
    private float[][]? _reference;

    /// <summary>A search over <paramref name="stats"/> of X and the readers' weights [Rows × K] (row-major).</summary>
    public SmoothingSearch(SmoothingStatisticsRequest.ChannelStats stats, IReadOnlyList<(float[] W, int Rows)> readers, EquivalenceTarget target)
    {
        ArgumentNullException.ThrowIfNull(stats);
        ArgumentNullException.ThrowIfNull(readers);
        ArgumentNullException.ThrowIfNull(target);
        _stats = stats;
        _readers = readers;
        _target = target;
        _channels = stats.Channels;
        WeightMax = new float[_channels];
        foreach (var (w, rows) in readers)
            for (int r = 0; r < rows; r++)
            {
                var row = w.AsSpan(r * _channels, _channels);
                for (int k = 0; k < _channels; k++) WeightMax[k] = Math.Max(WeightMax[k], Math.Abs(row[k]));
            }
    }

    /// <summary>max |W_j| over every reader's input channel j.</summary>
    public float[] WeightMax { get; }

    /// <summary>The scales for <paramref name="alpha"/>; a channel whose activation or weight max is 0 gets 1.</summary>
    public float[] Scales(double alpha) => Scales(_stats.AbsMax, WeightMax, alpha);

    /// <summary>s_j = a_j^α / w_j^(1−α), clamped to [<see cref="MinScale"/>, <see cref="MaxScale"/>]; 1 where a_j or w_j is 0.</summary>
    public static float[] Scales(ReadOnlySpan<float> activationMax, ReadOnlySpan<float> weightMax, double alpha)
    {
        var s = new float[activationMax.Length];
        for (int j = 0; j < s.Length; j++)
        {
            double a = activationMax[j], w = weightMax[j];
            s[j] = a > 0 && w > 0 && double.IsFinite(a) ? (float)Math.Clamp(Math.Pow(a, alpha) / Math.Pow(w, 1 - alpha), MinScale, MaxScale) : 1f;
        }
        return s;
    }

    /// <summary>The quantized output error with scales <paramref name="s"/> (null: no smoothing) on the sampled rows.</summary>
    public double Error(float[]? s)
    {
        int n = _stats.SampledRows, k = _channels;
        if (n == 0) return 0;
        var x = _stats.Sample.ToArray();
        _reference ??= _readers.Select(r => Multiply(x, n, k, r.W, r.Rows)).ToArray();
        var xq = new float[x.Length];
        if (s is not null)
            for (int i = 0; i < n; i++)
                for (int j = 0; j < k; j++) xq[i * k + j] = x[i * k + j] / s[j];
        else
            x.CopyTo(xq, 0);
        if (_target.ActivationBits is int bits) QuantizeActivations(xq, s, bits);
        double error = 0;
        for (int r = 0; r < _readers.Count; r++)
        {
            var (w, rows) = _readers[r];
            var wq = (float[])w.Clone();
            if (s is not null)
                for (int o = 0; o < rows; o++)
                    for (int j = 0; j < k; j++) wq[o * k + j] *= s[j];
            QuantizeWeights(wq, rows, k);
            var y = Multiply(xq, n, k, wq, rows);
            var reference = _reference[r];
            for (int i = 0; i < y.Length; i++)
            {
                double d = reference[i] - y[i];
                error += d * d;
            }
        }
        return error;
    }

    /// <summary>Per-tensor activation fake-quantization of X/s, its range the min-max of the calibration data.</summary>
    private void QuantizeActivations(float[] values, float[]? s, int bits)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        for (int j = 0; j < _channels; j++)
        {
            float channelScale = s?[j] ?? 1f;
            min = Math.Min(min, _stats.Min[j] / channelScale);
            max = Math.Max(max, _stats.Max[j] / channelScale);
        }
        var (scale, zero, qmin, qmax) = ActivationGrid(min, max, bits, _target.SymmetricActivations);
        for (int i = 0; i < values.Length; i++)
            values[i] = (Math.Clamp(MathF.Round(values[i] / scale, MidpointRounding.ToEven) + zero, qmin, qmax) - zero) * scale;
    }

    /// <summary>
    /// The activation grid static quantization puts on a calibrated range (QuantMath.ForRange, restated here so this
    /// namespace does not depend on the QDQ writer's): symmetric on int8 codes, the range onto ±(2^(bits−1) − 1)
    /// (±127.5 at 8 bits); asymmetric on uint8 codes 0..2^bits − 1 with a zero point that makes 0 exact.
    /// </summary>
    public static (float Scale, int ZeroPoint, int QMin, int QMax) ActivationGrid(float min, float max, int bits, bool symmetric)
    {
        const float minScale = 1e-12f;
        int levels = 1 << bits;
        min = Math.Min(min, 0f);
        max = Math.Max(max, 0f);
        if (symmetric)
        {
            int qmin = -levels / 2, qmax = levels / 2 - 1;
            float absMax = Math.Max(-min, max);
            float half = bits == 8 ? (qmax - qmin) / 2f : (qmax - qmin - 1) / 2;
            return (absMax > 0 ? Math.Max(absMax / half, minScale) : 1f, 0, qmin, qmax);
        }
        if (max - min <= 0) return (1f, 0, 0, levels - 1);
        float s = Math.Max((max - min) / (levels - 1), minScale);
        int zeroPoint = (int)Math.Clamp(Math.Round(-min / s, MidpointRounding.ToEven), 0, levels - 1);
        return (s, zeroPoint, 0, levels - 1);
    }

    /// <summary>Weight fake-quantization on the target's grid: per output row, per tensor, or in groups along K.</summary>
    private void QuantizeWeights(float[] w, int rows, int k)
    {
        var grid = (_target.WeightBits, _target.SymmetricWeights);
        if (!_target.PerChannelWeights && _target.GroupSize <= 0)
        {
            Round(grid, w);
            return;
        }
        int group = _target.GroupSize > 0 ? Math.Min(_target.GroupSize, k) : k;
        for (int r = 0; r < rows; r++)
            for (int start = 0; start < k; start += group)
                Round(grid, w.AsSpan(r * k + start, Math.Min(group, k - start)));
    }

    private static void Round((int Bits, bool Symmetric) grid, Span<float> values)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (float v in values)
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        var (scale, zero, maxCode) = WeightGridParams(min, max, grid.Bits, grid.Symmetric);
        for (int i = 0; i < values.Length; i++)
            values[i] = (Math.Clamp(MathF.Round(values[i] / scale, MidpointRounding.ToEven) + zero, 0, maxCode) - zero) * scale;
    }

    /// <summary>
    /// The weight grid of weight quantization (WeightGrid.ParamsFor, restated so this namespace does not depend on the
    /// weight-only writer's): unsigned codes 0..2^bits − 1; symmetric: zero point 2^(bits−1), scale abs-max / (2^(bits−1) − 1);
    /// asymmetric: the range (with 0) onto all codes.
    /// </summary>
    public static (float Scale, int ZeroPoint, int MaxCode) WeightGridParams(float min, float max, int bits, bool symmetric)
    {
        const float minScale = 1e-12f;
        int maxCode = (1 << bits) - 1, middle = 1 << (bits - 1);
        if (symmetric)
        {
            float absMax = Math.Max(Math.Abs(min), Math.Abs(max));
            float scale = absMax > 0 ? absMax / Math.Max(middle - 1, 1) : 1f;
            return (Math.Max(scale, minScale), middle, maxCode);
        }
        min = Math.Min(min, 0f);
        max = Math.Max(max, 0f);
        if (max - min <= 0) return (1f, 0, maxCode);
        float s = Math.Max((max - min) / maxCode, minScale);
        return (s, (int)Math.Clamp(MathF.Round(-min / s, MidpointRounding.ToEven), 0, maxCode), maxCode);
    }

    /// <summary>X [n × k] · Wᵀ, W [rows × k]: [n × rows].</summary>
    private static float[] Multiply(float[] x, int n, int k, float[] w, int rows)
    {
        var y = new float[n * rows];
        DenseMatrix.Gemm(false, true, n, rows, k, 1f, x, 0, k, w, 0, k, 0f, y, 0, rows);
        return y;
    }
}
