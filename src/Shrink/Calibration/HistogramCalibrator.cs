namespace Shrink.Calibration;

/// <summary>A calibrator that keeps a <see cref="StreamingHistogram"/> and derives the range from it.</summary>
internal sealed class HistogramCalibrator(string tensor, int bins, Func<StreamingHistogram, QuantTarget, CalibrationRange> choose) : IRangeCalibrator
{
    private readonly StreamingHistogram _histogram = new(tensor, bins);

    public long Count => _histogram.Count;

    public void Observe(ReadOnlySpan<float> values) => _histogram.Add(values);

    public CalibrationRange ComputeRange(QuantTarget target)
    {
        if (_histogram.Range == 0) return CalibrationRange.Create(0, 0);
        var r = choose(_histogram, target);
        // Never wider than what was seen.
        return CalibrationRange.Create(Math.Max(r.Min, _histogram.Min), Math.Min(r.Max, _histogram.Max));
    }
}
