namespace Shrink.Calibration;

/// <summary>Settings shared by the calibration methods.</summary>
public sealed record CalibrationSettings
{
    /// <summary>Percentile kept by <see cref="PercentileCalibration"/> (e.g. 99.99).</summary>
    public double Percentile { get; init; } = 99.99;

    /// <summary>Histogram bins (a multiple of 4).</summary>
    public int Bins { get; init; } = 2048;
}
