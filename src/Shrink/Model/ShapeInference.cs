using System.Globalization;
using Shrink.Ops;

namespace Shrink.Model;

/// <summary>
/// The shapes of values known before running, as dimension tokens (as <c>BackwardContext.Shape</c> reads them): a number in
/// decimal ("128"), or a symbol ("$batch" for a declared dim_param, "$value:axis" for a dimension only known to be that of
/// the value it was first seen in). Propagated from declared inputs, initializers and Constant nodes through the ops that
/// keep, permute, broadcast, split or reduce their operands' dimensions; any other op with a known rank gets fresh symbols,
/// which equal nothing else, so a shape can be wrong about nothing and only less precise. Backward rules use it to skip
/// run-time shape arithmetic (no broadcast to undo, constant reduction axes); graph passes, to read a dimension the
/// exporter computes from a shape (the score scale of split attention).
/// </summary>
internal static class ShapeInference
{
    public static Dictionary<string, string[]> Infer(ModelGraph graph, IEnumerable<Node> order, IReadOnlyDictionary<string, int> ranks)
    {
        var shapes = new Dictionary<string, string[]>(StringComparer.Ordinal);
        // The elements of small int64 tensors computed from shapes (Shape, Gather, Unsqueeze, Concat...), as dimension tokens.
        var values = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var (name, t) in graph.Initializers)
        {
            shapes[name] = [.. t.Dims.Select(Number)];
            if (t.Dims.Count <= 1 && ConstantInts(graph, name) is { } ints) values[name] = [.. ints.Select(Number)];
        }
        foreach (var v in graph.Inputs)
            if (v.Shape is { } s && !shapes.ContainsKey(v.Name))
                shapes[v.Name] = [.. s.Select((d, i) => d.Value is long n ? Number(n) : d.Symbol is { Length: > 0 } p ? "$" + p : Fresh(v.Name, i))];
        foreach (var node in order)
        {
            string[]?[] outputs;
            try
            {
                outputs = Outputs(graph, node, shapes, values);
                if (node.OpType == OpTypes.Shape && shapes.TryGetValue(node.Inputs[0], out var of)) values.TryAdd(node.Outputs[0], ShapeSlice(node, of));
                else if (node.Outputs.Count == 1 && node.Outputs[0].Length > 0 && Value(graph, node, values) is { } value) values.TryAdd(node.Outputs[0], value);
            }
            catch (Exception e) when (e is IndexOutOfRangeException or ArgumentOutOfRangeException or FormatException or OverflowException)
            {
                outputs = []; // a malformed node: its shapes stay unknown (fresh below)
            }
            for (int k = 0; k < node.Outputs.Count; k++)
            {
                string o = node.Outputs[k];
                if (o.Length == 0 || shapes.ContainsKey(o)) continue;
                if (k < outputs.Length && outputs[k] is { } shape) shapes[o] = shape;
                else if (ranks.TryGetValue(o, out int r)) shapes[o] = [.. Enumerable.Range(0, r).Select(i => Fresh(o, i))];
            }
        }
        return shapes;
    }

    private static string Number(long n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Fresh(string value, int axis) => $"${value}:{axis}";

    private static bool IsNumber(string d, out long n) => long.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out n);

    private static readonly HashSet<string> SameShape = new(StringComparer.Ordinal)
    {
        OpTypes.Relu, OpTypes.LeakyRelu, OpTypes.PRelu, OpTypes.Sigmoid, OpTypes.Tanh, OpTypes.HardSwish, OpTypes.HardSigmoid,
        OpTypes.Elu, OpTypes.Selu, OpTypes.Celu, OpTypes.Softplus, OpTypes.Softsign, OpTypes.Gelu, OpTypes.Erf, OpTypes.Mish,
        OpTypes.Identity, OpTypes.Neg, OpTypes.Abs, OpTypes.Exp, OpTypes.Sqrt, OpTypes.Reciprocal, OpTypes.Cast, OpTypes.Floor,
        OpTypes.Ceil, OpTypes.Round, OpTypes.Sin, OpTypes.Cos, OpTypes.Log, OpTypes.Dropout, OpTypes.Softmax, OpTypes.LogSoftmax,
        OpTypes.LayerNormalization, OpTypes.InstanceNormalization, OpTypes.BatchNormalization, OpTypes.Clip, OpTypes.Sign, OpTypes.Not,
    };

    private static readonly HashSet<string> Broadcasting = new(StringComparer.Ordinal)
    {
        OpTypes.Add, OpTypes.Sub, OpTypes.Mul, OpTypes.Div, OpTypes.Pow, OpTypes.Where, OpTypes.Equal, OpTypes.Greater,
        OpTypes.GreaterOrEqual, OpTypes.Less, OpTypes.LessOrEqual, OpTypes.And, OpTypes.Or, OpTypes.Max, OpTypes.Min,
        OpTypes.Sum, OpTypes.Mean,
    };

    // The shapes of the node's outputs (null entries, or a short array, where not known).
    private static string[]?[] Outputs(ModelGraph graph, Node node, Dictionary<string, string[]> shapes, Dictionary<string, string[]> values)
    {
        string[]? Tokens(int i) => i < node.Inputs.Count && values.TryGetValue(node.Inputs[i], out var v) ? v : null;
        string[]? In(int i) => i < node.Inputs.Count && shapes.TryGetValue(node.Inputs[i], out var s) ? s : null;
        long[]? Ints(int i) => i < node.Inputs.Count && node.Inputs[i].Length > 0 ? ConstantInts(graph, node.Inputs[i]) : null;
        string op = node.OpType;
        if (!OpDomains.IsDefault(node.Domain)) return [];
        if (op == OpTypes.Constant) return node.ConstantValue() is { } c ? [[.. c.Dims.Select(Number)]] : [];
        if (op == OpTypes.ConstantOfShape) return Tokens(0) is { } filled ? [filled] : [];
        if (SameShape.Contains(op)) return In(0) is { } same ? [same] : [];
        if (Broadcasting.Contains(op)) return [Broadcast(node, shapes)];
        var x = In(0);
        if (x is null) return [];
        int rank = x.Length;
        long Axis(long a) => a < 0 ? a + rank : a;
        switch (op)
        {
            case OpTypes.Transpose:
                {
                    var perm = node.GetInts("perm") is { Count: > 0 } p ? p.ToArray() : Enumerable.Range(0, rank).Reverse().Select(i => (long)i).ToArray();
                    return [[.. perm.Select(a => x[a])]];
                }
            case OpTypes.Unsqueeze:
                {
                    var axes = Ints(1) ?? node.GetInts("axes")?.ToArray();
                    if (axes is null) return [];
                    int outRank = rank + axes.Length;
                    var sorted = axes.Select(a => a < 0 ? a + outRank : a).ToHashSet();
                    var result = new string[outRank];
                    int k = 0;
                    for (int i = 0; i < outRank; i++) result[i] = sorted.Contains(i) ? "1" : x[k++];
                    return [result];
                }
            case OpTypes.Squeeze:
                {
                    var axes = Ints(1) ?? node.GetInts("axes")?.ToArray();
                    if (axes is null) return [];
                    var removed = axes.Select(Axis).ToHashSet();
                    return [[.. x.Where((_, i) => !removed.Contains(i))]];
                }
            case OpTypes.ReduceSum:
            case OpTypes.ReduceMean:
                {
                    var axes = node.Inputs.Count > 1 && node.Inputs[1].Length > 0 ? Ints(1) : node.GetInts("axes")?.ToArray();
                    if (axes is null) return [];
                    bool keep = node.GetInt("keepdims", 1) != 0;
                    if (axes.Length == 0)
                        return node.GetInt("noop_with_empty_axes", 0) != 0 ? [x] : keep ? [[.. x.Select(_ => "1")]] : [[]];
                    var reduced = axes.Select(Axis).ToHashSet();
                    return keep ? [[.. x.Select((d, i) => reduced.Contains(i) ? "1" : d)]] : [[.. x.Where((_, i) => !reduced.Contains(i))]];
                }
            case OpTypes.MatMul:
                {
                    var w = In(1);
                    if (w is null || rank < 2 || w.Length < 2) return [];
                    var batch = BroadcastDims(x[..^2], w[..^2], node.Outputs[0]);
                    return [[.. batch, x[^2], w[^1]]];
                }
            case OpTypes.Gemm:
                {
                    var w = In(1);
                    if (w is null || rank != 2 || w.Length != 2) return [];
                    return [[node.GetInt("transA", 0) != 0 ? x[1] : x[0], node.GetInt("transB", 0) != 0 ? w[0] : w[1]]];
                }
            case OpTypes.Gather:
                {
                    var indices = In(1);
                    if (indices is null) return [];
                    long axis = Axis(node.GetInt("axis", 0));
                    return [[.. x.Take((int)axis), .. indices, .. x.Skip((int)axis + 1)]];
                }
            case OpTypes.Split:
                {
                    long axis = Axis(node.GetInt("axis", 0));
                    var sizes = Ints(1) ?? node.GetInts("split")?.ToArray();
                    int n = node.Outputs.Count;
                    if (sizes is null && IsNumber(x[axis], out long whole) && whole % n == 0) sizes = [.. Enumerable.Repeat(whole / n, n)];
                    if (sizes is null || sizes.Length != n) return [];
                    return [.. sizes.Select(s => x.Select((d, i) => i == axis ? Number(s) : d).ToArray())];
                }
            case OpTypes.Slice:
                {
                    // Computed starts or ends leave the sliced axes unknown, and the others as they are.
                    var starts = Ints(1);
                    var ends = Ints(2);
                    var axes = node.Inputs.Count > 3 && node.Inputs[3].Length > 0 ? Ints(3)
                        : starts is not null ? [.. Enumerable.Range(0, starts.Length).Select(i => (long)i)] : null;
                    if (axes is null) return [];
                    var steps = node.Inputs.Count > 4 && node.Inputs[4].Length > 0 ? Ints(4) : [.. Enumerable.Repeat(1L, axes.Length)];
                    var result = (string[])x.Clone();
                    for (int i = 0; i < axes.Length; i++)
                    {
                        long a = Axis(axes[i]);
                        bool known = starts is not null && ends is not null && steps is not null && steps[i] == 1 && IsNumber(x[a], out _);
                        result[a] = known ? Number(SliceLength(long.Parse(x[a], CultureInfo.InvariantCulture), starts![i], ends![i])) : Fresh(node.Outputs[0], (int)a);
                    }
                    return [result];
                }
            case OpTypes.Concat:
                {
                    long axis = Axis(node.GetInt("axis", 0));
                    long total = 0;
                    bool known = true;
                    for (int i = 0; i < node.Inputs.Count; i++)
                        if (In(i) is not { } s || !IsNumber(s[axis], out long d)) known = false;
                        else total += d;
                    return [[.. x.Select((d, i) => i == axis ? known ? Number(total) : Fresh(node.Outputs[0], i) : d)]];
                }
            case OpTypes.Reshape:
                {
                    var target = Tokens(1);
                    if (target is null || node.GetInt("allowzero", 0) != 0) return [];
                    var result = target.Select((t, i) => t == "0" ? x[i] : IsNumber(t, out _) || t[0] == '$' ? t : Fresh(node.Outputs[0], i)).ToArray();
                    return [result];
                }
            case OpTypes.Expand:
                return Tokens(1) is { } expanded ? [BroadcastDims(x, expanded, node.Outputs[0])] : [];
            case OpTypes.Conv:
                {
                    var w = In(1);
                    if (w is null) return [];
                    return [[x[0], w[0], .. Enumerable.Range(2, rank - 2).Select(i => Fresh(node.Outputs[0], i))]];
                }
            default:
                return [];
        }
    }

    // The elements of a small int64 output as tokens, when its inputs' are known: what shape arithmetic computes.
    private static string[]? Value(ModelGraph graph, Node node, Dictionary<string, string[]> values)
    {
        string[]? In(int i) => i < node.Inputs.Count && values.TryGetValue(node.Inputs[i], out var v) ? v : null;
        switch (node.OpType)
        {
            case OpTypes.Constant:
                return node.ConstantValue() is { Dims.Count: <= 1 } c && ConstantInts(graph, node.Outputs[0]) is { } ints ? [.. ints.Select(Number)] : null;
            case OpTypes.Cast:
            case OpTypes.Identity:
            case OpTypes.Squeeze:
            case OpTypes.Unsqueeze:
                return In(0) is { Length: 1 } one ? one : node.OpType is OpTypes.Cast or OpTypes.Identity ? In(0) : null;
            case OpTypes.Concat:
                {
                    var all = new List<string>();
                    for (int i = 0; i < node.Inputs.Count; i++)
                        if (In(i) is { } part) all.AddRange(part);
                        else return null;
                    return [.. all];
                }
            case OpTypes.Gather:
                {
                    if (In(0) is not { } data || node.GetInt("axis", 0) != 0 || ConstantInts(graph, node.Inputs[1]) is not { } indices) return null;
                    return [.. indices.Select(i => data[i < 0 ? i + data.Length : i])];
                }
            default:
                return null;
        }
    }

    private static string[] ShapeSlice(Node node, string[] shape)
    {
        int r = shape.Length;
        long start = node.GetInt("start", 0), end = node.GetInt("end", r);
        start = Math.Clamp(start < 0 ? start + r : start, 0, r);
        end = Math.Clamp(end < 0 ? end + r : end, 0, r);
        return shape[(int)start..(int)Math.Max(start, end)];
    }

    private static long SliceLength(long dim, long start, long end)
    {
        start = Math.Clamp(start < 0 ? start + dim : start, 0, dim);
        end = Math.Clamp(end < 0 ? end + dim : end, 0, dim);
        return Math.Max(0, end - start);
    }

    private static string[]? Broadcast(Node node, Dictionary<string, string[]> shapes)
    {
        string[]? result = null;
        foreach (var input in node.Inputs)
        {
            if (!shapes.TryGetValue(input, out var s)) return null;
            result = result is null ? s : BroadcastDims(result, s, node.Outputs[0]);
        }
        return result;
    }

    // Multidirectional broadcasting of two shapes; a pair that cannot be told apart gets a fresh symbol.
    private static string[] BroadcastDims(string[] a, string[] b, string output)
    {
        int rank = Math.Max(a.Length, b.Length);
        var result = new string[rank];
        for (int i = 0; i < rank; i++)
        {
            string? da = i - (rank - a.Length) is int ia && ia >= 0 ? a[ia] : null;
            string? db = i - (rank - b.Length) is int ib && ib >= 0 ? b[ib] : null;
            result[i] = da is null ? db! : db is null ? da
                : da == db ? da
                : da == "1" ? db
                : db == "1" ? da
                : IsNumber(da, out _) && !IsNumber(db, out _) ? da // a symbol broadcast with a number ≠ 1 is 1 or that number
                : IsNumber(db, out _) && !IsNumber(da, out _) ? db
                : Fresh(output, i);
        }
        return result;
    }

    private static long[]? ConstantInts(ModelGraph graph, string value)
    {
        var t = graph.FindConstant(value);
        return t switch
        {
            { Type: ElementType.Int64 } => t.AsSpan<long>().ToArray(),
            { Type: ElementType.Int32 } => [.. t.AsSpan<int>().ToArray().Select(v => (long)v)],
            _ => null,
        };
    }
}
