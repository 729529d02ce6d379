using Shrink.Statistics;

namespace Shrink.Methods.Quantization.Equivalence;

/// <summary>
/// max |x| per channel of the last axis of each requested tensor (the input channels a MatMul/Gemm reduces over), over
/// all batches, and from it the range figures the equivalence reports show: the tensor's max |x| and its outlier ratio
/// (largest channel max over the median channel max).
/// </summary>
public sealed class LastAxisPeakRequest : IStatisticRequest
{
    private readonly Dictionary<string, float[]> _peaks;
    private readonly HashSet<string> _observed = new(StringComparer.Ordinal);

    /// <summary>Observes <paramref name="tensors"/> (tensor name → channels) on tap 0.</summary>
    public LastAxisPeakRequest(IReadOnlyDictionary<string, int> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        _peaks = tensors.ToDictionary(t => t.Key, t => new float[t.Value], StringComparer.Ordinal);
        Tensors = _peaks.Keys.Select(t => new StatisticTensor(0, t)).ToArray();
    }

    /// <inheritdoc />
    public IReadOnlyList<StatisticTensor> Tensors { get; }

    /// <inheritdoc />
    public void Observe(StatisticStep step, StatisticTensor tensor, ReadOnlySpan<float> values, long[] shape)
    {
        var peaks = _peaks[tensor.Name];
        _observed.Add(tensor.Name);
        int channels = peaks.Length;
        if (shape.Length == 0 || shape[^1] != channels)
            throw new ShrinkException($"'{tensor.Name}': shape [{string.Join(",", shape)}], expected a last axis of {channels}.");
        for (int start = 0; start + channels <= values.Length; start += channels)
        {
            var row = values.Slice(start, channels);
            for (int c = 0; c < channels; c++)
            {
                float a = Math.Abs(row[c]);
                if (a > peaks[c]) peaks[c] = a;
            }
        }
    }

    /// <summary>max |x| of <paramref name="tensor"/> and its outlier ratio (NaN, NaN where it was not observed).</summary>
    public (double Max, double OutlierRatio) Range(string tensor)
    {
        if (!_observed.Contains(tensor) || !_peaks.TryGetValue(tensor, out var peaks) || peaks.Length == 0) return (double.NaN, double.NaN);
        return (peaks.Max(), EquivalenceLayer.OutlierRatio(peaks));
    }
}
