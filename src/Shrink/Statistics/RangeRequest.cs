using Shrink.Calibration;

namespace Shrink.Statistics;

/// <summary>Streams each tensor's values into one range calibrator (min/max, histogram, ...) of the primary model.</summary>
public sealed class RangeRequest : IStatisticRequest
{
    private readonly Dictionary<string, IRangeCalibrator> _calibrators;

    /// <summary>One calibrator per distinct tensor of <paramref name="tensors"/>, created by <paramref name="method"/>.</summary>
    public RangeRequest(IEnumerable<string> tensors, ICalibrationMethod method)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(method);
        _calibrators = tensors.Distinct(StringComparer.Ordinal).ToDictionary(t => t, method.Create, StringComparer.Ordinal);
        Tensors = _calibrators.Keys.Select(t => new StatisticTensor(0, t)).ToArray();
    }

    /// <inheritdoc />
    public IReadOnlyList<StatisticTensor> Tensors { get; }

    /// <summary>The calibrators by tensor, in the order the tensors were given.</summary>
    public IReadOnlyDictionary<string, IRangeCalibrator> Calibrators => _calibrators;

    /// <inheritdoc />
    public void Observe(StatisticStep step, StatisticTensor tensor, ReadOnlySpan<float> values, long[] shape) =>
        _calibrators[tensor.Name].Observe(values);
}
