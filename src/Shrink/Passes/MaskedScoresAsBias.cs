using Shrink.Model;
using Shrink.Ops;
using Shrink.Registration;

namespace Shrink.Passes;

/// <summary>
/// Rewrites a causal attention mask applied with <c>Where(mask, -inf, scores)</c> (torch's <c>masked_fill</c>) as an
/// additive bias: <c>scores + Where(mask, -inf, 0)</c>. The Where then runs on the mask's own small shape ([S, S], computed
/// from constants and shapes alone) instead of on the [B, H, S, S] scores, and ONNX Runtime's broadcasting Add over the
/// scores is faster than its Where (tiny_gpt at 8 × 128 tokens: the four Where kernels took 1.9 ms of 25 ms in int8).
/// </summary>
/// <remarks>
/// For finite scores the result is the same: <c>s + (-inf) = -inf</c> and <c>s + 0 = s</c>. Only a fill of −∞ read by a
/// Softmax alone is rewritten (a finite fill f would give s + f instead of f), and only when the mask does not depend on
/// the model's data (a padding mask from an attention_mask input has the scores' batch dimension, so the rewrite would
/// not shrink the Where). A score that is itself +∞ or NaN would give NaN where Where gave −∞.
/// </remarks>
[Registered("masked-scores-as-bias", "turns a causal mask applied by Where(mask, -inf, scores) into an added bias", Order = 6)]
public sealed class MaskedScoresAsBias : IGraphPass
{
    private const int MaxDepth = 24;

    /// <inheritdoc />
    public string Name => "masked-scores-as-bias";

    /// <inheritdoc />
    public GraphPassResult Apply(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var graph = model.Graph;
        var details = new List<string>();
        var dataInputs = graph.Inputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var where in graph.Nodes.Where(n => n.OpType == OpTypes.Where && OpDomains.IsDefault(n.Domain) && n.Inputs.Count == 3).ToArray())
        {
            int fillAt = IsMinusInfinity(graph, where.Inputs[1]) ? 1 : IsMinusInfinity(graph, where.Inputs[2]) ? 2 : 0;
            if (fillAt == 0) continue;
            string scores = where.Inputs[3 - fillAt], mask = where.Inputs[0];
            string output = where.Outputs[0];
            if (graph.FindInitializer(scores) is not null || graph.IsGraphOutput(output)) continue;
            if (graph.Consumers(output) is not [var softmax] || softmax.OpType != OpTypes.Softmax || !OpDomains.IsDefault(softmax.Domain)) continue;
            if (!DataIndependent(graph, mask, dataInputs, 0)) continue;

            string stem = where.Name.Length > 0 ? where.Name : output;
            var zero = TensorData.FromFloats(graph.UniqueName(stem + ".zero"), [], [0f]);
            graph.SetInitializer(zero);
            string bias = graph.UniqueName(stem + ".bias");
            string fill = where.Inputs[fillAt];
            graph.AddNodeBefore(where, OpTypes.Where, [mask, fillAt == 1 ? fill : zero.Name, fillAt == 1 ? zero.Name : fill], [bias], graph.UniqueName(stem + ".bias"));
            graph.AddNodeBefore(where, OpTypes.Add, [scores, bias], [output], graph.UniqueName(stem + ".add"));
            graph.RemoveNode(where);
            details.Add($"{where.DisplayName}: masked scores → scores + bias (Where on the mask's shape only)");
        }
        return details.Count == 0 ? GraphPassResult.None : new GraphPassResult(details.Count, details);
    }

    private static bool IsMinusInfinity(ModelGraph graph, string value) =>
        graph.FindConstant(value) is { Type: ElementType.Float, ElementCount: 1 } t && float.IsNegativeInfinity(t.AsSpan<float>()[0]);

    // Computed from initializers, constants and shapes alone: the same for every sample of a batch.
    private static bool DataIndependent(ModelGraph graph, string value, HashSet<string> dataInputs, int depth)
    {
        if (value.Length == 0 || graph.FindInitializer(value) is not null) return true;
        if (dataInputs.Contains(value) || depth > MaxDepth) return false;
        if (graph.Producer(value) is not { } node || node.HasSubgraph) return false;
        if (OpCatalog.Find(node.OpType, node.Domain)?.ChannelFlow == ChannelFlow.ReadsShape) return true;
        return node.Inputs.All(i => DataIndependent(graph, i, dataInputs, depth + 1));
    }
}
