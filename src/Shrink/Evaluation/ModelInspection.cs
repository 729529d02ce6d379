using Shrink.Model;
using Shrink.Ops;
using Shrink.Validation;

namespace Shrink.Evaluation;

/// <summary>What <c>shrink inspect</c> shows: opsets, interface, op histogram, size and the nodes passes could compress.</summary>
public sealed record ModelInspection(
    string Model,
    long IrVersion,
    string Producer,
    IReadOnlyDictionary<string, long> Opsets,
    IReadOnlyList<ValueInfo> Inputs,
    IReadOnlyList<ValueInfo> Outputs,
    ModelStatistics Statistics,
    IReadOnlyList<CompressionCandidate> Candidates,
    IReadOnlyList<string> Warnings)
{
    /// <summary>Inspects a loaded model. Weights in Constant nodes are listed and counted (a warning says passes promote them first).</summary>
    public static ModelInspection Of(OnnxModel model, string name, IReadOnlyDictionary<string, long[]>? shapes = null)
    {
        var graph = model.Graph;
        var candidates = new List<CompressionCandidate>();
        foreach (var node in graph.Nodes)
        {
            var schema = OpCatalog.FindLayer(node.OpType, node.Domain);
            var weight = schema is not null && node.Inputs.Count > schema.WeightInput ? graph.FindConstant(node.Inputs[schema.WeightInput]) : null;
            if (schema is null || weight is null || weight.Dims.Count < 2) continue;
            int axis = schema.WeightOutputAxis!(node.GetInt);
            // Every layer with a constant weight is a candidate for both (the methods then say which they leave alone).
            candidates.Add(new CompressionCandidate(node.DisplayName, node.OpType, weight.Name, weight.Dims.ToArray(), weight.ElementCount,
                axis < weight.Dims.Count ? weight.Dims[axis] : 0, Quantizable: true, Prunable: true));
        }
        var warnings = new List<string>();
        int constants = graph.Nodes.Count(n => n.OpType == OpTypes.Constant);
        if (constants > 0)
            warnings.Add($"{constants} Constant node(s) hold tensors; passes promote them to initializers first (promote-constants).");
        // Only weights, biases and normalization parameters must be finite; other constants (the −inf fill of a causal
        // attention mask) are kept exact.
        foreach (var (t, reader) in FiniteWeights.Parameters(graph))
        {
            long bad = t.IndexOfNonFinite();
            if (bad >= 0) warnings.Add($"initializer '{t.Name}' (read by '{reader.DisplayName}', {reader.OpType}) holds NaN or Inf (element {bad}); quantization will refuse it.");
        }
        // Layers inside If/Loop/Scan bodies: listed with the subgraph they sit in. Quantizable: weight-only and dynamic
        // quantization rewrite them in place; no pruning method reaches into a subgraph.
        foreach (var (scope, node, weight) in Subgraphs.Layers(graph))
        {
            var schema = OpCatalog.FindLayer(node.OpType, node.Domain)!;
            if (weight.Dims.Count < 2) continue;
            int axis = schema.WeightOutputAxis!(node.GetInt);
            candidates.Add(new CompressionCandidate(node.DisplayName, node.OpType, weight.Name, weight.Dims.ToArray(), weight.ElementCount,
                axis < weight.Dims.Count ? weight.Dims[axis] : 0, Quantizable: true, Prunable: false, Subgraph: scope.Path));
        }
        var (subgraphWeights, subgraphParameters) = Subgraphs.Weights(graph);
        if (subgraphWeights > 0)
            warnings.Add($"{subgraphWeights} weight tensor(s) ({subgraphParameters:N0} parameters) live inside If/Loop/Scan subgraphs: weight-only (rtn) and dynamic int8 quantization rewrite them in place; static int8 leaves them in float, pruning and low rank leave them alone, and MACs per sample count the main graph only (an If runs one branch, a Loop or Scan its body once per iteration).");
        var unnamed = graph.Nodes.Count(n => n.Name.Length == 0);
        if (unnamed > 0) warnings.Add($"{unnamed} node(s) have no name; messages refer to them as OpType(first output).");
        return new ModelInspection(
            name,
            model.IrVersion,
            $"{model.ProducerName} {model.ProducerVersion}".Trim(),
            model.OpsetImports.ToDictionary(o => o.Domain.Length == 0 ? "ai.onnx" : o.Domain, o => o.Version),
            graph.Inputs,
            graph.Outputs,
            ModelStatistics.Compute(model, shapes),
            candidates,
            warnings);
    }
}
