namespace Shrink.Methods.Quantization.WeightOnly;

/// <summary>How rounded weights are written into the graph.</summary>
public sealed record WeightExportSettings
{
    /// <summary>Write MatMul/Gemm as com.microsoft MatMulNBits where possible (else DequantizeLinear everywhere).</summary>
    public bool PreferMatMulNBits { get; init; } = true;

    /// <summary>
    /// MatMulNBits with <c>accuracy_level=4</c>: ONNX Runtime quantizes the activations to int8 per block at run time and
    /// multiplies in integers. Conv layers (DequantizeLinear) keep float activations.
    /// </summary>
    public bool Int8Activations { get; init; }
}
