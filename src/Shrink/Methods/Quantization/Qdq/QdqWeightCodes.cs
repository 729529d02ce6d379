namespace Shrink.Methods.Quantization.Qdq;

/// <summary>
/// A weight rounded beforehand (e.g. by GPTQ), as the decisions <see cref="QdqInserter"/> writes instead of rounding the
/// weight itself: signed int8 codes in the ONNX initializer's layout and element order, zero point 0, and one scale per
/// output channel along the weight mark's axis (one scale when the mark is per tensor).
/// </summary>
/// <param name="Codes">The codes, as many as the weight has elements.</param>
/// <param name="Scales">The scales: one per channel along the mark's axis, or one for a per-tensor mark.</param>
public sealed record QdqWeightCodes(sbyte[] Codes, float[] Scales);
