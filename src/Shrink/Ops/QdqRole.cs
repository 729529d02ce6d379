namespace Shrink.Ops;

/// <summary>What static QDQ quantization does with an op (after ONNX Runtime's quantization registry).</summary>
public enum QdqRole
{
    /// <summary>No int8 handler: the op stays in float.</summary>
    NotQuantized,

    /// <summary>A weighted op: activation per tensor, weight per output channel, bias as int32 (fuses into QLinearConv, QGemm, QLinearMatMul).</summary>
    QuantizedWeights,

    /// <summary>An op of two activations (Add) whose inputs and output each get their own scale.</summary>
    QuantizedBinary,

    /// <summary>A value-preserving op (MaxPool, Reshape, ...) that runs in uint8 on its input's scale.</summary>
    SharesInputScale,

    /// <summary>An op (AveragePool, Concat, ...) whose output gets its own scale.</summary>
    OwnOutputScale,

    /// <summary>Kept in float on purpose because it is numerically fragile (Softmax, normalizations, Div, ...); named so in reports.</summary>
    Fragile,
}
