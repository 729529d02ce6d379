using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Runtime;

/// <summary>
/// Finds the integer graph inputs that index a constant table: an input that reaches a Gather's indices directly or
/// through Cast, Unsqueeze, Squeeze, Reshape, Flatten or Identity, where the Gather's data is an initializer (or a
/// DequantizeLinear or Cast of one). Random data must stay below the table's size along the gathered axis, or ORT
/// fails in Gather (token_type_ids up to 9 into a 2-row embedding).
/// </summary>
public static class IndexTableAnalysis
{
    private static readonly HashSet<string> PassThrough = new(StringComparer.Ordinal) { OpTypes.Cast, OpTypes.Unsqueeze, OpTypes.Squeeze, OpTypes.Reshape, OpTypes.Flatten, OpTypes.Identity };

    /// <summary>Input name → the smallest table size it indexes (valid values are [0, size)); inputs indexing nothing are absent.</summary>
    public static IReadOnlyDictionary<string, long> TableSizes(OnnxModel model)
    {
        var graph = model.Graph;
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var input in graph.Inputs)
        {
            if (input.Type is not (ElementType.Int64 or ElementType.Int32 or ElementType.UInt8 or ElementType.Int8 or ElementType.Int16 or ElementType.UInt16 or ElementType.UInt32 or ElementType.UInt64))
                continue;
            long? limit = null;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var pending = new Stack<string>();
            pending.Push(input.Name);
            while (pending.Count > 0)
            {
                string value = pending.Pop();
                if (!seen.Add(value)) continue;
                foreach (var node in graph.Consumers(value))
                {
                    if (node.Domain.Length > 0) continue;
                    if (PassThrough.Contains(node.OpType) && node.Inputs.Count > 0 && node.Inputs[0] == value)
                    {
                        foreach (var o in node.Outputs) pending.Push(o);
                    }
                    else if (node.OpType == OpTypes.Gather && node.Inputs.Count > 1 && node.Inputs[1] == value && TableDims(graph, node.Inputs[0]) is { } dims)
                    {
                        long axis = node.GetInt("axis", 0);
                        if (axis < 0) axis += dims.Count;
                        if (axis >= 0 && axis < dims.Count)
                            limit = Math.Min(limit ?? long.MaxValue, dims[(int)axis]);
                    }
                }
            }
            if (limit is long l) result[input.Name] = l;
        }
        return result;
    }

    private static IReadOnlyList<long>? TableDims(ModelGraph graph, string value)
    {
        for (int hops = 0; hops < 4; hops++)
        {
            if (graph.FindInitializer(value) is { } table) return table.Dims;
            var producer = graph.Producer(value);
            if (producer is null || producer.Inputs.Count == 0) return null;
            if (producer.OpType == OpTypes.Constant)
                return producer.GetTensor("value") is { } t ? t.Dims : null;
            if (producer.OpType is not (OpTypes.DequantizeLinear or OpTypes.Cast or OpTypes.Identity)) return null;
            value = producer.Inputs[0];
        }
        return null;
    }
}
