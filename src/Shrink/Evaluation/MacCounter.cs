using Shrink.Model;

namespace Shrink.Evaluation;

/// <summary>Multiply-accumulates of the compute-heavy ops, from weight dims and measured output shapes.</summary>
public static class MacCounter
{
    /// <summary>
    /// MACs of one node given value shapes (name → dims); 0 for ops without multiplications worth counting
    /// and for nodes whose shapes are unknown.
    /// </summary>
    public static long Count(Node node, ModelGraph graph, IReadOnlyDictionary<string, long[]> shapes)
    {
        if (node.Outputs.Count == 0 || !shapes.TryGetValue(node.Outputs[0], out var outShape)) return 0;
        long outCount = Product(outShape);
        long[]? In(int i) => node.Inputs.Count > i && node.Inputs[i].Length > 0
            ? (shapes.TryGetValue(node.Inputs[i], out var s) ? s : graph.FindInitializer(node.Inputs[i])?.Dims.ToArray())
            : null;
        switch (node.OpType)
        {
            case "Conv":
            case "ConvInteger":
                {
                    var w = In(1);
                    return w is null ? 0 : outCount * Product(w.AsSpan(1));
                }
            case "QLinearConv":
                {
                    var w = In(3);
                    return w is null ? 0 : outCount * Product(w.AsSpan(1));
                }
            case "ConvTranspose":
                {
                    var x = In(0);
                    var w = In(1);
                    return x is null || w is null ? 0 : Product(x) * Product(w.AsSpan(1));
                }
            case "Gemm":
                {
                    var a = In(0);
                    if (a is null || a.Length != 2) return 0;
                    long k = node.GetInt("transA", 0) != 0 ? a[0] : a[1];
                    return outCount * k;
                }
            case "MatMul":
            case "MatMulInteger":
                {
                    var a = In(0);
                    return a is null || a.Length == 0 ? 0 : outCount * a[^1];
                }
            case "QLinearMatMul":
                {
                    var a = In(0);
                    return a is null || a.Length == 0 ? 0 : outCount * a[^1];
                }
            case "MatMulNBits":
                return outCount * node.GetInt("K", 0);
            default:
                return 0;
        }
    }

    /// <summary>
    /// The values whose shapes <see cref="Count"/> can use: the first output and the inputs of the ops it counts. A shape
    /// probe that measures only these opens far faster on a large graph than one that exposes every value.
    /// </summary>
    public static IReadOnlyCollection<string> ValuesRead(ModelGraph graph)
    {
        var values = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in graph.Nodes)
        {
            if (!Counted.Contains(node.OpType) || node.Outputs.Count == 0) continue;
            values.Add(node.Outputs[0]);
            foreach (var input in node.Inputs) if (input.Length > 0 && graph.FindInitializer(input) is null) values.Add(input);
        }
        return values;
    }

    private static readonly HashSet<string> Counted = new(StringComparer.Ordinal)
    {
        "Conv", "ConvInteger", "QLinearConv", "ConvTranspose", "Gemm", "MatMul", "MatMulInteger", "QLinearMatMul", "MatMulNBits",
    };

    private static long Product(ReadOnlySpan<long> dims)
    {
        long p = 1;
        foreach (var d in dims) p *= Math.Max(d, 0);
        return p;
    }
}
