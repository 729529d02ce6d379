using System.Numerics.Tensors;
using Shrink.Registration;

namespace Shrink.Calibration;

/// <summary>The observed minimum and maximum: no clipping, so outliers widen the step for everyone.</summary>
[Registered("minmax", "the observed minimum and maximum")]
public sealed class MinMaxCalibration : ICalibrationMethod
{
    /// <inheritdoc />
    public string Name => "minmax";

    /// <inheritdoc />
    public IRangeCalibrator Create(string tensorName) => new Calibrator(tensorName);

    private sealed class Calibrator(string tensor) : IRangeCalibrator
    {
        private float _min, _max;

        public long Count { get; private set; }

        public void Observe(ReadOnlySpan<float> values)
        {
            if (values.IsEmpty) return;
            float lo = TensorPrimitives.Min(values), hi = TensorPrimitives.Max(values);
            // Min and Max return NaN when any element is NaN, so this also catches NaN.
            if (!float.IsFinite(lo) || !float.IsFinite(hi))
                throw new ShrinkException($"Activation '{tensor}' holds NaN or Inf on the calibration data; check the model and the inputs.");
            _min = Count == 0 ? lo : Math.Min(_min, lo);
            _max = Count == 0 ? hi : Math.Max(_max, hi);
            Count += values.Length;
        }

        public CalibrationRange ComputeRange(QuantTarget target) =>
            target.Symmetric ? CalibrationRange.Create(-Math.Max(-_min, _max), Math.Max(-_min, _max)) : CalibrationRange.Create(_min, _max);
    }
}
