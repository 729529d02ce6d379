namespace Shrink.Calibration;

/// <summary>A clipping range for one tensor. It always contains 0, so zero is exactly representable after quantization.</summary>
/// <param name="Min">Lower bound (≤ 0).</param>
/// <param name="Max">Upper bound (≥ 0).</param>
public readonly record struct CalibrationRange(float Min, float Max)
{
    /// <summary>A range widened to include 0.</summary>
    public static CalibrationRange Create(float min, float max) => new(Math.Min(min, 0f), Math.Max(max, 0f));

    /// <summary>True when the tensor was all zeros.</summary>
    public bool IsDegenerate => Min == 0 && Max == 0;
}
