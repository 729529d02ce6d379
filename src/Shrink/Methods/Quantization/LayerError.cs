namespace Shrink.Methods.Quantization;

/// <summary>Quantization error at one quantized node, measured on calibration data against the float model.</summary>
/// <param name="Node">The node's display name.</param>
/// <param name="OpType">Its op type.</param>
/// <param name="Tensor">The output tensor compared (after folding, e.g. the Relu's output).</param>
/// <param name="SqnrDb">SQNR in dB of the quantized model's tensor against the float model's (cumulative error up to here).</param>
/// <param name="InputSqnrDb">SQNR of its first activation input, when measured.</param>
/// <param name="OwnLossDb">How many dB this node loses itself: input SQNR minus output SQNR.</param>
public sealed record LayerError(string Node, string OpType, string Tensor, double SqnrDb, double? InputSqnrDb, double OwnLossDb);

/// <summary>A measured what-if: quantize everything but these nodes.</summary>
/// <param name="ExcludedNodes">The nodes left in float.</param>
/// <param name="OutputSqnrDb">SQNR of the first model output against the float model.</param>
/// <param name="Top1Agreement">Arg-max agreement of the first output with the float model.</param>
public sealed record ExclusionTrial(IReadOnlyList<string> ExcludedNodes, double OutputSqnrDb, double Top1Agreement);
