namespace Shrink.Methods.Quantization.MixedPrecision;

/// <summary>What a mixed-precision budget limits.</summary>
public enum BudgetKind
{
    /// <summary>Model size as a fraction of the float model's.</summary>
    SizeRatio,

    /// <summary>Model size in bytes.</summary>
    SizeBytes,

    /// <summary>Bit operations (MACs × weight bits × activation bits) as a fraction of the float model's.</summary>
    BopsRatio,

    /// <summary>Predicted ONNX Runtime milliseconds from a <see cref="LayerLatencyTable"/> measured on this machine.</summary>
    LatencyMs,
}
