namespace Shrink.Calibration;

/// <summary>A calibration method (minmax, percentile, entropy, mse): makes one calibrator per tensor.</summary>
public interface ICalibrationMethod
{
    /// <summary>The method's name, as on the command line.</summary>
    string Name { get; }

    /// <summary>A fresh calibrator for the named tensor.</summary>
    IRangeCalibrator Create(string tensorName);
}
