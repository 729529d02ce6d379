namespace Shrink.Methods.Quantization.WeightOnly;

/// <summary>
/// A rounding method for one weight matrix (round-to-nearest, GPTQ, ...). It computes decisions only: codes, scales and
/// zero points; the exporter writes them into the graph.
/// </summary>
public interface IWeightRounding
{
    /// <summary>The name the CLI and options use.</summary>
    string Name { get; }

    /// <summary>Whether the method needs the layer input's Hessian XᵀX (calibration data).</summary>
    bool NeedsHessian { get; }

    /// <summary>
    /// Rounds <paramref name="weight"/> (row-major [rows × cols], rows are output channels, columns the reduction axis).
    /// <paramref name="hessian"/> is XᵀX of the layer input, [cols × cols], or null when the method does not need it
    /// (then clipping searches use plain squared error). Neither array is modified.
    /// </summary>
    QuantizedWeight Round(float[] weight, int rows, int cols, float[]? hessian, WeightRoundingSettings settings);
}
