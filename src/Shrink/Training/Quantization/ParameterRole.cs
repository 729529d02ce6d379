namespace Shrink.Training.Quantization;

/// <summary>What a trainable parameter of a QAT model is.</summary>
public enum ParameterRole
{
    /// <summary>A weight (the dequantized value of int8 codes), fake-quantized with its scale.</summary>
    Weight,

    /// <summary>A bias (the dequantized value of int32 codes), trained in float and rounded on export.</summary>
    Bias,

    /// <summary>A weight's LSQ scale (one per channel or per tensor).</summary>
    WeightScale,

    /// <summary>An activation's LSQ scale (per tensor; shared Q/DQ pairs share it).</summary>
    ActivationScale,
}
