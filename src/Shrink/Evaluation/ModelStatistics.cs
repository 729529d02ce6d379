using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Evaluation;

/// <summary>Static facts about a model: parameters, size, op histogram, and MACs when value shapes are known.</summary>
public sealed record ModelStatistics(
    long Parameters,
    long WeightBytes,
    long? SizeOnDiskBytes,
    long? MacsPerSample,
    IReadOnlyDictionary<string, int> OpHistogram)
{
    /// <summary>
    /// Computes the statistics. Parameters count the elements of numeric initializers (and Constant node values) of rank ≥ 1, except int64 ones
    /// (shapes and indices) and quantization scales and zero points, in the main graph and in subgraphs (If branches, Loop
    /// and Scan bodies); the op histogram counts the nodes of subgraphs too. <paramref name="shapes"/> are value shapes measured at batch size 1 (see
    /// <c>ValueShapeProbe</c>); without them MACs are null.
    /// </summary>
    public static ModelStatistics Compute(OnnxModel model, IReadOnlyDictionary<string, long[]>? shapes = null)
    {
        long parameters = 0, bytes = 0;
        // Scales and zero points of (De)QuantizeLinear describe the quantization; they are not parameters.
        var subgraphs = Subgraphs.Graphs(model.Graph).ToList();
        var allNodes = model.Graph.Nodes.Concat(subgraphs.SelectMany(g => g.Nodes)).ToList();
        var quantizationMetadata = allNodes
            .Where(n => n.OpType is OpTypes.QuantizeLinear or OpTypes.DequantizeLinear or OpTypes.DynamicQuantizeMatMul or OpTypes.MatMulNBits or OpTypes.GatherBlockQuantized)
            .SelectMany(n => n.OpType is OpTypes.QuantizeLinear or OpTypes.DequantizeLinear ? n.Inputs.Skip(1) : n.Inputs.Skip(2).Take(2))
            .ToHashSet(StringComparer.Ordinal);
        // Weights an exporter wrote as Constant nodes count as parameters too (a model whose weights are all Constants
        // would otherwise show 0); passes promote them to initializers before they compress anything.
        var constants = allNodes.Where(n => n.OpType == OpTypes.Constant && (n.Domain.Length == 0 || n.Domain == "ai.onnx") && n.Outputs.Count == 1)
            .Select(n => n.ConstantValue()).OfType<TensorData>();
        foreach (var t in model.Graph.Initializers.Values.Concat(subgraphs.SelectMany(g => g.Initializers.Values)).Concat(constants))
        {
            if (t.Type is ElementType.Int64 or ElementType.String or ElementType.Bool) continue;
            if (t.Dims.Count == 0 || quantizationMetadata.Contains(t.Name)) continue; // scalars are constants, not weights
            parameters += t.ElementCount;
            bytes += t.ByteCount;
        }
        var histogram = allNodes
            .GroupBy(n => n.Domain.Length == 0 || n.Domain == "ai.onnx" ? n.OpType : $"{n.Domain}.{n.OpType}")
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count());
        long? macs = shapes is null ? null : model.Graph.Nodes.Sum(n => MacCounter.Count(n, model.Graph, shapes));
        return new ModelStatistics(parameters, bytes, model.SizeOnDisk, macs, histogram);
    }
}
