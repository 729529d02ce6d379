using Shrink.Layers;
using Shrink.Model;
using Shrink.Passes;

namespace Shrink.Methods.Quantization.WeightOnly;

/// <summary>The outcome of weight-only quantization: the model and what was done to each layer.</summary>
public sealed class WeightOnlyResult : ICompressionResult
{
    /// <summary>The quantized model.</summary>
    public required OnnxModel Model { get; init; }

    /// <summary>The options used.</summary>
    public required WeightOnlyOptions Options { get; init; }

    /// <summary>Pre-processing that changed the graph (constant promotion, BatchNormalization folding, opset upgrade).</summary>
    public required IReadOnlyList<string> Preprocessing { get; init; }

    /// <summary>Quantized layers in graph order.</summary>
    public required IReadOnlyList<WeightLayerResult> Layers { get; init; }

    /// <summary>Weighted layers left in float, with the reason.</summary>
    public required IReadOnlyList<(string Name, string OpType, string Reason)> LeftInFloat { get; init; }

    /// <summary>Float bytes of the quantized layers' weights before.</summary>
    public long FloatWeightBytes { get; init; }

    /// <summary>Bytes of the same weights after (codes, scales, zero points as stored).</summary>
    public long QuantizedWeightBytes { get; init; }

    /// <summary>The rounding decisions per layer (the layers refer to the pre-processed graph before export).</summary>
    public required IReadOnlyList<(WeightLayer Layer, QuantizedWeight Weight)> Decisions { get; init; }

    /// <summary>
    /// The float model whose quantized layers hold the dequantized weights ("fake quantization"), pre-processed as the
    /// quantizer did: what the exported model should compute, for fidelity checks. <paramref name="original"/> is the
    /// model that was quantized; it is not modified.
    /// </summary>
    public OnnxModel DequantizedReference(OnnxModel original)
    {
        var reference = original.Clone();
        PreparationProfile.Compression.Apply(reference);
        foreach (var (layer, weight) in Decisions) layer.WriteMatrix(reference.Graph, weight.Dequantize());
        return reference;
    }

    /// <summary>Calibration summary, or null when no data was used.</summary>
    public string? Calibration { get; init; }

    /// <summary>Seconds spent collecting Hessians (running the model on calibration data).</summary>
    public double CalibrationSeconds { get; init; }

    /// <summary>Seconds spent rounding.</summary>
    public double RoundingSeconds { get; init; }
}
