namespace Shrink.Runtime;

/// <summary>What ONNX Runtime actually runs after its graph optimizations.</summary>
/// <param name="OptimizedOps">Op histogram of the optimized graph (domain-qualified for non-default domains).</param>
/// <param name="IntegerKernels">Nodes that run integer kernels (QLinearConv, QGemm, QLinearMatMul, QLinearAdd...).</param>
/// <param name="QuantizeNodes">QuantizeLinear nodes left (boundaries into int8).</param>
/// <param name="DequantizeNodes">DequantizeLinear nodes left (boundaries back to float).</param>
/// <param name="Unfused">Float nodes sitting between a DequantizeLinear and a QuantizeLinear: QDQ that ORT did not fuse.</param>
public sealed record FusionReport(
    IReadOnlyDictionary<string, int> OptimizedOps,
    int IntegerKernels,
    int QuantizeNodes,
    int DequantizeNodes,
    IReadOnlyList<string> Unfused);
