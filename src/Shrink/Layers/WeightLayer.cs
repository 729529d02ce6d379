using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Layers;

/// <summary>
/// A Conv, Gemm or MatMul with a constant float weight, seen as a matrix W of [Rows × Cols]: rows are output channels
/// (N), columns the reduction axis (K), in the order the layer's input enters it. For MatMul the ONNX weight is [K, N]
/// (W is its transpose); for Gemm it is [N, K] with transB, else [K, N]; for Conv [O, C/group, k...] flattens to
/// [O, C/group·Πk] with the kernel offsets fastest, as im2col lays the input out.
/// </summary>
public sealed class WeightLayer
{
    private WeightLayer(Node node, OpSchema schema, string weightName, IReadOnlyList<long> dims, int rows, int cols)
    {
        Node = node;
        Schema = schema;
        WeightName = weightName;
        WeightDims = dims.ToArray();
        Rows = rows;
        Cols = cols;
    }

    /// <summary>The node.</summary>
    public Node Node { get; }

    /// <summary>The node's op schema.</summary>
    public OpSchema Schema { get; }

    /// <summary>The weight initializer's name.</summary>
    public string WeightName { get; }

    /// <summary>The ONNX weight's dims.</summary>
    public long[] WeightDims { get; }

    /// <summary>Output channels (N).</summary>
    public int Rows { get; }

    /// <summary>Reduction length (K).</summary>
    public int Cols { get; }

    /// <summary>The input activation the layer multiplies.</summary>
    public string Input => Node.Inputs[0];

    /// <summary>Whether the ONNX weight is stored [K, N] (MatMul, Gemm without transB).</summary>
    public bool StoredTransposed => Schema.Layer is LayerKind.MatMul or LayerKind.Gemm && Schema.WeightOutputAxis!(Node.GetInt) == 1;

    /// <summary>Conv group count (1 for Gemm/MatMul).</summary>
    public int Groups => Schema.Layer == LayerKind.Convolution ? (int)Node.GetInt("group", 1) : 1;

    /// <summary>Display name for reports.</summary>
    public string Name => Node.DisplayName;

    /// <summary>
    /// The layer view of <paramref name="node"/>, or null with the reason it has none (not a weighted op, weight not a
    /// constant float initializer, Gemm with transA or alpha ≠ 1, ...).
    /// </summary>
    public static WeightLayer? TryCreate(Node node, ModelGraph graph, out string? reason)
    {
        reason = null;
        var schema = OpCatalog.FindLayer(node.OpType, node.Domain);
        if (schema is null || schema.Layer == LayerKind.TransposedConvolution)
        {
            reason = schema is not null ? $"{node.OpType} weights are not handled by weight-only quantization" : "no weight";
            return null;
        }
        var weight = node.Inputs.Count > schema.WeightInput ? graph.FindInitializer(node.Inputs[schema.WeightInput]) : null;
        if (weight is null) { reason = ComputedWeight; return null; }
        if (weight.Type != ElementType.Float) { reason = $"the weight is {weight.Type.OnnxName()}, not float"; return null; }
        var dims = weight.Dims;
        switch (schema.Layer)
        {
            case LayerKind.MatMul when dims.Count == 2:
                return new WeightLayer(node, schema, weight.Name, dims, (int)dims[1], (int)dims[0]);
            case LayerKind.MatMul:
                reason = $"a {dims.Count}-D MatMul weight (batched weights are not handled)";
                return null;
            case LayerKind.Gemm when schema.ReadsInputTransposed(node.GetInt):
                reason = "Gemm with transA";
                return null;
            case LayerKind.Gemm when node.GetFloat("alpha", 1f) != 1f:
                reason = "Gemm with alpha ≠ 1";
                return null;
            case LayerKind.Gemm when dims.Count == 2:
                int outAxis = schema.WeightOutputAxis!(node.GetInt), inAxis = schema.WeightInputAxis!(node.GetInt);
                return new WeightLayer(node, schema, weight.Name, dims, (int)dims[outAxis], (int)dims[inAxis]);
            case LayerKind.Convolution when dims.Count >= 3:
                long cols = 1;
                for (int i = 1; i < dims.Count; i++) cols *= dims[i];
                return new WeightLayer(node, schema, weight.Name, dims, (int)dims[0], (int)cols);
            default:
                reason = $"unexpected weight rank {dims.Count}";
                return null;
        }
    }

    /// <summary>
    /// The Conv/Gemm/MatMul layers of <paramref name="graph"/> with their own constant float weight, in graph order, and
    /// the weighted nodes left out with the reason: <paramref name="leaveOut"/>'s (e.g. "excluded"), no layer view, or a
    /// weight shared with other nodes. Nodes whose weight is computed (MatMul of two activations) are not listed.
    /// </summary>
    public static (List<WeightLayer> Layers, List<(string Name, string OpType, string Reason)> Left) SelectAll(ModelGraph graph, Func<Node, string?>? leaveOut = null)
    {
        var layers = new List<WeightLayer>();
        var left = new List<(string, string, string)>();
        foreach (var node in graph.TopologicalOrder())
        {
            if (OpCatalog.FindLayer(node.OpType, node.Domain) is null) continue;
            if (leaveOut?.Invoke(node) is string why)
            {
                left.Add((node.DisplayName, node.OpType, why));
                continue;
            }
            var layer = TryCreate(node, graph, out var reason);
            if (layer is null)
            {
                if (reason != ComputedWeight) left.Add((node.DisplayName, node.OpType, reason!));
                continue;
            }
            if (graph.Consumers(layer.WeightName).Count > 1 || graph.IsGraphOutput(layer.WeightName))
            {
                left.Add((node.DisplayName, node.OpType, "its weight is shared with other nodes"));
                continue;
            }
            layers.Add(layer);
        }
        return (layers, left);
    }

    private const string ComputedWeight = "the weight is computed, not a constant";

    /// <summary>W as a row-major [Rows × Cols] copy of the weight in <paramref name="graph"/>.</summary>
    public float[] ReadMatrix(ModelGraph graph)
    {
        var data = graph.FindInitializer(WeightName)!.ToFloatArray();
        return StoredTransposed ? Transpose(data, Cols, Rows) : data;
    }

    /// <summary>Replaces the weight in <paramref name="graph"/> by <paramref name="matrix"/> ([Rows × Cols]), keeping its name and dims.</summary>
    public void WriteMatrix(ModelGraph graph, float[] matrix)
    {
        var stored = StoredTransposed ? Transpose(matrix, Rows, Cols) : matrix;
        graph.SetInitializer(TensorData.FromFloats(WeightName, WeightDims, stored));
    }

    /// <summary>The transpose of a row-major [rows × cols] matrix.</summary>
    public static float[] Transpose(float[] m, int rows, int cols)
    {
        var t = new float[m.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) t[(long)c * rows + r] = m[(long)r * cols + c];
        return t;
    }
}
