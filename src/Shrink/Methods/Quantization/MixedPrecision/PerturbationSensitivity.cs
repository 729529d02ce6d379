using System.Diagnostics;
using Shrink.Measures;
using Shrink.Registration;

namespace Shrink.Methods.Quantization.MixedPrecision;

/// <summary>Ω(layer, b) measured directly: the calibration loss with only this layer rounded to b bits, minus the float model's.</summary>
[Registered("perturbation", "the calibration loss increase with only this layer rounded", Order = 1)]
public sealed class PerturbationSensitivity : ISensitivityMetric
{
    /// <inheritdoc />
    public string Name => "perturbation";

    /// <inheritdoc />
    public LayerSensitivity Measure(WeightInputSession session, ReferenceQuantizer quantizer, SensitivityOptions options, int layerIndex, double seconds)
    {
        var clock = Stopwatch.StartNew();
        var w = session.Weight;
        double l0 = session.Loss(w);
        var errors = new Dictionary<int, double>();
        var omega = new Dictionary<int, double>();
        foreach (int b in options.Bits)
        {
            var q = quantizer.Quantize(session.Layer, w, b);
            errors[b] = ReferenceQuantizer.SquaredDistance(q, w);
            omega[b] = session.Loss(q) - l0;
        }
        return LayerSensitivity.Of(session, errors, omega, clock.Elapsed.TotalSeconds);
    }
}
