using Shrink.Layers;
using Shrink.Model;
using Shrink.Passes;

namespace Shrink.Methods.Quantization.WeightOnly;

/// <summary>The outcome of weight-only quantization: the model and what was done to each layer (<c>Layers</c>: the quantized layers in graph order).</summary>
public sealed class WeightOnlyResult : LayerwiseResult<WeightOnlyOptions, WeightLayerResult>
{
    /// <summary>Weighted layers left in float, with the reason.</summary>
    public required IReadOnlyList<(string Name, string OpType, string Reason)> LeftInFloat { get; init; }

    /// <summary>Float bytes of the quantized layers' weights before.</summary>
    public long FloatWeightBytes { get; init; }

    /// <summary>Bytes of the same weights after (codes, scales, zero points as stored).</summary>
    public long QuantizedWeightBytes { get; init; }

    /// <summary>The rounding decisions per layer (the layers refer to the pre-processed graph before export).</summary>
    public required IReadOnlyList<(WeightLayer Layer, QuantizedWeight Weight)> Decisions { get; init; }

    /// <summary>The Gather tables written as GatherBlockQuantized (not counted in the weight bytes above).</summary>
    public IReadOnlyList<EmbeddingResult> Embeddings { get; init; } = [];

    /// <summary>The rounding decision per quantized Gather table, by initializer name.</summary>
    public IReadOnlyList<(string Table, QuantizedWeight Weight)> EmbeddingDecisions { get; init; } = [];

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
        foreach (var (table, weight) in EmbeddingDecisions)
            reference.Graph.SetInitializer(TensorData.FromFloats(table, [weight.Rows, weight.Cols], weight.Dequantize()));
        return reference;
    }

    /// <summary>Seconds spent rounding.</summary>
    public double RoundingSeconds { get; init; }

    /// <summary>What each equivalence transform (rotation, smoothing, equalization, bias correction) did, in the order they ran.</summary>
    public IReadOnlyList<Equivalence.EquivalenceResult> Equivalence { get; init; } = [];
}
