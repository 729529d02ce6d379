using Shrink.Ops;

namespace Shrink.Model;

/// <summary>
/// The rank of each value that can be known before running, propagated through the graph from declared inputs,
/// initializers, value_info and Constant nodes with per-op rules (elementwise: the largest operand rank; MatMul, Gemm,
/// Flatten, Reshape with a constant shape, reductions, Squeeze/Unsqueeze with constant axes, Gather, Shape, ...).
/// Backward rules that transpose the last two axes need it; values it cannot tell are absent.
/// </summary>
internal static class RankInference
{
    public static Dictionary<string, int> Infer(ModelGraph graph, IEnumerable<Node> order)
    {
        var ranks = new Dictionary<string, int>(StringComparer.Ordinal);
        // The element counts of 1-D int64 values known before running (shape tensors), so Reshape to a computed shape has a rank.
        var lengths = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (name, t) in graph.Initializers)
        {
            ranks[name] = t.Dims.Count;
            if (t.Dims.Count == 1) lengths[name] = t.Dims[0];
        }
        foreach (var v in graph.DeclaredValueNames)
            if (graph.FindValueInfo(v)?.Shape is { } s) ranks.TryAdd(v, s.Count);
        foreach (var node in order)
        {
            int? rank = Rank(graph, node, ranks, lengths);
            if (rank is int r)
                foreach (var o in node.Outputs) if (o.Length > 0) ranks.TryAdd(o, r);
            if (node.Outputs.Count == 1 && Length(graph, node, ranks, lengths) is long n) lengths.TryAdd(node.Outputs[0], n);
        }
        return ranks;
    }

    private static long? Length(ModelGraph graph, Node node, Dictionary<string, int> ranks, Dictionary<string, long> lengths)
    {
        long? Of(int i) => i < node.Inputs.Count && lengths.TryGetValue(node.Inputs[i], out long n) ? n : null;
        switch (node.OpType)
        {
            case OpTypes.Constant:
                return node.ConstantValue() is { Dims.Count: 1 } c ? c.Dims[0] : null;
            case OpTypes.Shape:
                {
                    if (!ranks.TryGetValue(node.Inputs[0], out int r)) return null;
                    long start = node.GetInt("start", 0), end = node.GetInt("end", r);
                    start = Math.Clamp(start < 0 ? start + r : start, 0, r);
                    end = Math.Clamp(end < 0 ? end + r : end, 0, r);
                    return Math.Max(0, end - start);
                }
            case OpTypes.Unsqueeze:
                return ranks.TryGetValue(node.Inputs[0], out int u) && u == 0 ? 1 : null;
            case OpTypes.Concat:
                {
                    long total = 0;
                    for (int i = 0; i < node.Inputs.Count; i++)
                    {
                        if (Of(i) is not long n) return null;
                        total += n;
                    }
                    return total;
                }
            case OpTypes.Cast:
            case OpTypes.Identity:
            case OpTypes.Neg:
                return Of(0);
            case OpTypes.Slice:
                {
                    if (Of(0) is not long n || ranks.GetValueOrDefault(node.Inputs[0], -1) != 1) return null;
                    var starts = Constant(graph, node, 1);
                    var ends = Constant(graph, node, 2);
                    var steps = node.Inputs.Count > 4 ? Constant(graph, node, 4) : [1];
                    if (starts is not [long s] || ends is not [long e] || steps is not [1]) return null;
                    s = Math.Clamp(s < 0 ? s + n : s, 0, n);
                    e = Math.Clamp(e < 0 ? e + n : e, 0, n);
                    return Math.Max(0, e - s);
                }
            default:
                return null;
        }
    }

    private static long[]? Constant(ModelGraph graph, Node node, int i)
    {
        if (i >= node.Inputs.Count || node.Inputs[i].Length == 0) return null;
        var t = graph.FindConstant(node.Inputs[i]);
        return t is { Type: ElementType.Int64 } ? t.AsSpan<long>().ToArray() : null;
    }

    private static int? Rank(ModelGraph graph, Node node, Dictionary<string, int> ranks, Dictionary<string, long> lengths)
    {
        int? In(int i) => i < node.Inputs.Count && ranks.TryGetValue(node.Inputs[i], out int r) ? r : null;
        long[]? Ints(int i) => Constant(graph, node, i);
        int? Max()
        {
            int? best = null;
            for (int i = 0; i < node.Inputs.Count; i++)
            {
                if (node.Inputs[i].Length == 0) continue;
                if (In(i) is not int r) return null;
                best = best is int b ? Math.Max(b, r) : r;
            }
            return best;
        }
        switch (node.OpType)
        {
            case OpTypes.Constant:
                return node.ConstantValue()?.Dims.Count;
            case OpTypes.Shape:
            case OpTypes.NonZero:
                return node.OpType == OpTypes.Shape ? 1 : 2;
            case OpTypes.Size:
                return 0;
            case OpTypes.Gemm:
            case OpTypes.Flatten:
                return 2;
            case OpTypes.MatMul:
                return In(0) is int a && In(1) is int b ? Math.Max(a, b) - (a == 1 || b == 1 ? 1 : 0) : null;
            case OpTypes.Reshape:
                return lengths.TryGetValue(node.Inputs[1], out long length) ? (int)length : null;
            case OpTypes.Expand:
                return Ints(1) is { } shape && In(0) is int x ? Math.Max(shape.Length, x) : null;
            case OpTypes.Unsqueeze:
                return In(0) is int u && (Ints(1)?.Length ?? node.GetInts("axes")?.Count) is int added ? u + added : null;
            case OpTypes.Squeeze:
                return In(0) is int q && (Ints(1)?.Length ?? node.GetInts("axes")?.Count) is int removed ? q - removed : null;
            case OpTypes.Gather:
                return In(0) is int d && In(1) is int idx ? d - 1 + idx : null;
            case OpTypes.ReduceMean:
            case OpTypes.ReduceSum:
                {
                    if (In(0) is not int r) return null;
                    if (node.GetInt("keepdims", 1) != 0) return r;
                    var axes = Ints(1) ?? node.GetInts("axes")?.ToArray();
                    return axes is null || axes.Length == 0 ? 0 : r - axes.Length;
                }
            case OpTypes.Not:
            case OpTypes.Equal:
            case OpTypes.Greater:
            case OpTypes.GreaterOrEqual:
            case OpTypes.Less:
            case OpTypes.LessOrEqual:
            case OpTypes.And:
            case OpTypes.Or:
            case OpTypes.Sign:
                return Max();
            case OpTypes.OneHot:
                return In(0) is int o ? o + 1 : null;
            case OpTypes.ConstantOfShape:
                return Ints(0) is { } dims ? dims.Length : null;
            case OpTypes.Transpose:
            case OpTypes.Slice:
            case OpTypes.Concat:
            case OpTypes.Split:
            case OpTypes.Cast:
            case OpTypes.Softmax:
            case OpTypes.LogSoftmax:
            case OpTypes.LayerNormalization:
            case OpTypes.Conv:
            case OpTypes.ConvTranspose:
            case OpTypes.MaxPool:
            case OpTypes.AveragePool:
            case OpTypes.GlobalAveragePool:
            case OpTypes.GlobalMaxPool:
            case OpTypes.BatchNormalization:
            case OpTypes.InstanceNormalization:
            case OpTypes.Resize:
            case OpTypes.Tile:
            case OpTypes.Pad:
            case OpTypes.Identity:
            case OpTypes.Dropout:
                return In(0);
            default:
                // Elementwise (with broadcasting) and everything else with the rank of its operands.
                return OpCatalog.Find(node.OpType, node.Domain) is { ChannelFlow: ChannelFlow.PassesThrough or ChannelFlow.Ties } ? Max() : null;
        }
    }
}
