namespace Shrink.Methods.Quantization.WeightOnly;

/// <summary>What happened to one layer.</summary>
/// <param name="Name">The node's display name.</param>
/// <param name="OpType">Conv, Gemm or MatMul.</param>
/// <param name="Rows">Output channels (N).</param>
/// <param name="Cols">Reduction length (K).</param>
/// <param name="Method">The rounding method used (a grouped conv falls back to rtn).</param>
/// <param name="Format">How the weight was written (MatMulNBits ..., DequantizeLinear ...).</param>
/// <param name="RtnError">Relative output error ‖(W − Ŵ)X‖²/‖WX‖² of round-to-nearest on the calibration inputs, or null without data.</param>
/// <param name="MethodError">The same for the method used, or null without data.</param>
/// <param name="Seconds">Time spent rounding this layer.</param>
/// <param name="Bits">Bits of this layer's weights.</param>
public sealed record WeightLayerResult(string Name, string OpType, int Rows, int Cols, string Method, string Format, double? RtnError, double? MethodError, double Seconds, int Bits);
