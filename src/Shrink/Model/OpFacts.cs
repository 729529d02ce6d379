namespace Shrink.Model;

/// <summary>
/// Facts about an operator that compression passes need, kept as data so algorithms do not branch on op types:
/// which input holds the weight, which weight axis indexes output channels, where the bias is.
/// </summary>
/// <param name="OpType">The ONNX op type.</param>
/// <param name="WeightInput">Index of the weight input.</param>
/// <param name="BiasInput">Index of the bias input, or -1.</param>
/// <param name="Quantizable">Whether weight quantization applies.</param>
/// <param name="Prunable">Whether output channels can be pruned.</param>
public sealed record OpFacts(string OpType, int WeightInput, int BiasInput, bool Quantizable, bool Prunable)
{
    private static readonly Dictionary<string, OpFacts> Known = new(StringComparer.Ordinal)
    {
        ["Conv"] = new("Conv", 1, 2, true, true),
        ["ConvTranspose"] = new("ConvTranspose", 1, 2, true, true),
        ["Gemm"] = new("Gemm", 1, 2, true, true),
        ["MatMul"] = new("MatMul", 1, -1, true, true),
    };

    /// <summary>The facts for a node of the default domain, or null when the op carries no weight we handle.</summary>
    public static OpFacts? For(Node node) => node.Domain.Length == 0 || node.Domain == "ai.onnx" ? Known.GetValueOrDefault(node.OpType) : null;

    /// <summary>
    /// The axis of the weight tensor that indexes output channels: 0 for Conv and for Gemm with transB,
    /// 1 for ConvTranspose (per group) and for Gemm without transB and MatMul ([K, N] weights).
    /// </summary>
    public int OutputChannelAxis(Node node) => OpType switch
    {
        "Conv" => 0,
        "ConvTranspose" => 1,
        "Gemm" => node.GetInt("transB", 0) != 0 ? 0 : 1,
        _ => 1,
    };

    /// <summary>The weight of <paramref name="node"/> when it is a constant initializer, else null (e.g. MatMul of two activations).</summary>
    public TensorData? ConstantWeight(Node node, ModelGraph graph) =>
        node.Inputs.Count > WeightInput ? graph.FindInitializer(node.Inputs[WeightInput]) : null;
}
