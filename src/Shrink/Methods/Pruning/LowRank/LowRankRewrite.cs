using Shrink.Layers;
using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Methods.Pruning.LowRank;

/// <summary>
/// Replaces a layer y = W·x (W [N × K]) by y = A·(B·x), A [N × r], B [r × K]: a new op computing B·x is inserted before
/// the layer, and the layer itself keeps its name, output, bias and attributes but reads that result with A as its
/// weight. MatMul → MatMul + MatMul; Gemm → MatMul + Gemm (bias, beta and transB kept); 1×1 Conv → Conv (strides,
/// pads, dilations) + 1×1 Conv (bias).
/// </summary>
internal static class LowRankRewrite
{
    private static readonly string[] SpatialAttributes = ["strides", "pads", "dilations", "auto_pad"];

    public static void Apply(ModelGraph graph, WeightLayer layer, float[] left, float[] right, int rank)
    {
        var node = layer.Node;
        int n = layer.Rows, k = layer.Cols;
        string stem = (node.Name.Length > 0 ? node.Name : node.Outputs[0]) + "_lowrank";
        string hidden = graph.UniqueName(stem + "_out");
        string firstWeight = graph.UniqueName(stem + "_weight");
        int at = graph.IndexOf(node);
        if (node.OpType == OpTypes.Conv)
        {
            var dims = layer.WeightDims.ToArray();
            dims[0] = rank;
            graph.SetInitializer(TensorData.FromFloats(firstWeight, dims, right));
            var first = graph.AddNode(OpTypes.Conv, [node.Inputs[0], firstWeight], [hidden], graph.UniqueName(stem), insertAt: at);
            first.CopyAttributesFrom(node);
            foreach (var a in SpatialAttributes) node.RemoveAttribute(a);
            var second = layer.WeightDims.ToArray();
            second[1] = rank;
            graph.SetInitializer(TensorData.FromFloats(layer.WeightName, second, left));
        }
        else
        {
            // B·x as x·Bᵀ: MatMul with Bᵀ [K × r].
            graph.SetInitializer(TensorData.FromFloats(firstWeight, [k, rank], WeightLayer.Transpose(right, rank, k)));
            graph.AddNode(OpTypes.MatMul, [node.Inputs[0], firstWeight], [hidden], graph.UniqueName(stem), insertAt: at);
            bool transposed = layer.StoredTransposed;
            graph.SetInitializer(TensorData.FromFloats(layer.WeightName, transposed ? [rank, n] : [n, rank],
                transposed ? WeightLayer.Transpose(left, n, rank) : left));
        }
        graph.SetInput(node, 0, hidden);
    }
}
