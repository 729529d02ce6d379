using Shrink.Measures;

namespace Shrink.Methods.Quantization.MixedPrecision;

/// <summary>A way to score how much quantizing one layer to each bit width hurts: Ω(layer, bits).</summary>
public interface ISensitivityMetric
{
    /// <summary>The name the CLI and options use.</summary>
    string Name { get; }

    /// <summary>
    /// Scores the layer whose weight <paramref name="session"/> takes as an input; <paramref name="seconds"/> is this
    /// layer's share of <see cref="SensitivityOptions.TimeBudgetSeconds"/> (metrics that probe stop when it is spent).
    /// </summary>
    LayerSensitivity Measure(WeightInputSession session, ReferenceQuantizer quantizer, SensitivityOptions options, int layerIndex, double seconds);
}
