namespace Shrink.Calibration;

/// <summary>Observes one tensor's values batch by batch (memory independent of the sample count) and proposes a clipping range.</summary>
public interface IRangeCalibrator
{
    /// <summary>Adds a batch of values; NaN or infinity throws <see cref="ShrinkException"/> naming the tensor.</summary>
    void Observe(ReadOnlySpan<float> values);

    /// <summary>Values observed so far.</summary>
    long Count { get; }

    /// <summary>The range to quantize with on <paramref name="target"/>.</summary>
    CalibrationRange ComputeRange(QuantTarget target);
}
