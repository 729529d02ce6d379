using Shrink.Model;
using Shrink.Ops;
using Shrink.Registration;

namespace Shrink.Passes;

/// <summary>
/// Writes a LayerNorm that an export spelled out over the last axis as one LayerNormalization node (opset 17):
/// <c>d = x − ReduceMean(x); y = d / Sqrt(ReduceMean(d²) + ε)</c>, then an optional <c>· γ</c> and <c>+ β</c> with γ and β
/// vectors. torch writes every <c>nn.LayerNorm</c> so below opset 17 (vit_tiny at opset 13: nine of them).
/// </summary>
/// <remarks>
/// The same function (ONNX defines LayerNormalization by this decomposition, with the variance as the mean of squared
/// deviations). Applies only where the intermediate values have no reader outside the pattern and are not graph outputs,
/// and only when the default-domain opset is at least 17 (raise it first: nothing else changed from 16 to 17). Values
/// named in <c>keep</c> (a loss reads them, a gradient stops at them) are never fused away. Used by <c>Gradients.Build</c>
/// on the training graph, where the decomposed form's backward is about 25 elementwise ops per norm over the whole
/// activation and LayerNormalization's, from its saved mean and inverse deviation, about 12.
/// </remarks>
[Registered("fuse-layer-norm", "writes a LayerNorm spelled out as ReduceMean/Sub/Pow/Sqrt/Div (· γ + β) as one LayerNormalization", Order = 7)]
public sealed class LayerNormalizationFusion(IReadOnlySet<string>? keep = null) : IGraphPass
{
    /// <summary>The first default-domain opset with LayerNormalization.</summary>
    public const long MinimumOpset = 17;

    /// <inheritdoc />
    public string Name => "fuse-layer-norm";

    private readonly IReadOnlySet<string> _keep = keep ?? new HashSet<string>(StringComparer.Ordinal);

    /// <inheritdoc />
    public GraphPassResult Apply(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.OpsetVersion() < MinimumOpset) return GraphPassResult.None;
        var graph = model.Graph;
        var details = new List<string>();
        var ranks = RankInference.Infer(graph, graph.TopologicalOrder());
        foreach (var mean in graph.Nodes.Where(n => n.OpType == OpTypes.ReduceMean && OpDomains.IsDefault(n.Domain)).ToArray())
        {
            if (!graph.Contains(mean) || Match(graph, mean, ranks) is not { } match) continue;
            if (match.Nodes.Any(n => n.Outputs[0] != match.Output && _keep.Contains(n.Outputs[0]))) continue;
            string gamma = match.Gamma ?? Ones(graph, mean.Name.Length > 0 ? mean.Name + ".gamma" : "layer_norm.gamma", match.Channels);
            var fused = graph.AddNodeBefore(match.Nodes[^1], OpTypes.LayerNormalization,
                match.Beta is null ? [match.X, gamma] : [match.X, gamma, match.Beta],
                [match.Output], graph.UniqueName(mean.Name.Length > 0 ? mean.Name + ".layer_norm" : "layer_norm"));
            fused.SetInt("axis", -1);
            fused.SetFloat("epsilon", match.Epsilon);
            foreach (var node in match.Nodes) graph.RemoveNode(node);
            foreach (var constant in match.Constants) RemoveIfUnused(graph, constant);
            details.Add($"{match.Output}: ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div{(match.Gamma is null ? "" : "/Mul")}{(match.Beta is null ? "" : "/Add")} → LayerNormalization");
        }
        return details.Count == 0 ? GraphPassResult.None : new GraphPassResult(details.Count, details);
    }

    private sealed record Pattern(string X, string? Gamma, long Channels, string? Beta, float Epsilon, string Output, IReadOnlyList<Node> Nodes, IReadOnlyList<string> Constants);

    private static Pattern? Match(ModelGraph graph, Node mean, IReadOnlyDictionary<string, int> ranks)
    {
        string x = mean.Inputs[0];
        if (!OverLastAxis(graph, mean, ranks.TryGetValue(x, out int r) ? r : null)) return null;
        if (Only(graph, mean.Outputs[0]) is not { OpType: OpTypes.Sub } sub || sub.Inputs[0] != x || sub.Inputs[1] != mean.Outputs[0]) return null;
        string d = sub.Outputs[0];
        if (graph.IsGraphOutput(d)) return null;
        var readers = graph.Consumers(d);
        if (readers.Count != 2) return null;
        var square = readers.FirstOrDefault(n => IsSquare(graph, n, d));
        var divide = readers.FirstOrDefault(n => n.OpType == OpTypes.Div && OpDomains.IsDefault(n.Domain) && n.Inputs[0] == d);
        if (square is null || divide is null || ReferenceEquals(square, divide)) return null;
        if (Only(graph, square.Outputs[0]) is not { OpType: OpTypes.ReduceMean } variance || !OverLastAxis(graph, variance, ranks.TryGetValue(x, out r) ? r : null)) return null;
        if (Only(graph, variance.Outputs[0]) is not { OpType: OpTypes.Add } addEpsilon) return null;
        string epsilonName = addEpsilon.Inputs[0] == variance.Outputs[0] ? addEpsilon.Inputs[1] : addEpsilon.Inputs[0];
        if (graph.FindConstant(epsilonName) is not { Type: ElementType.Float, ElementCount: 1 } epsilonValue) return null;
        if (Only(graph, addEpsilon.Outputs[0]) is not { OpType: OpTypes.Sqrt } sqrt) return null;
        if (Only(graph, sqrt.Outputs[0]) is not { } reader || !ReferenceEquals(reader, divide) || divide.Inputs[1] != sqrt.Outputs[0]) return null;
        var nodes = new List<Node> { mean, sub, square, variance, addEpsilon, sqrt, divide };
        if (new[] { mean, square, variance, addEpsilon, sqrt }.Any(n => n.Outputs.Count != 1 || !OpDomains.IsDefault(n.Domain))) return null;

        string output = divide.Outputs[0];
        string? gamma = null, beta = null;
        if (!graph.IsGraphOutput(output) && Only(graph, output) is { OpType: OpTypes.Mul } scale && OpDomains.IsDefault(scale.Domain)
            && Other(scale, output) is { } g && IsVector(graph, g, x))
        {
            gamma = g;
            nodes.Add(scale);
            output = scale.Outputs[0];
        }
        if (!graph.IsGraphOutput(output) && Only(graph, output) is { OpType: OpTypes.Add } shift && OpDomains.IsDefault(shift.Domain)
            && Other(shift, output) is { } b && IsVector(graph, b, x) && (gamma is not null || graph.FindInitializer(b) is not null))
        {
            beta = b;
            nodes.Add(shift);
            output = shift.Outputs[0];
        }
        long channels = 0;
        if (gamma is null)
        {
            // No γ: LayerNormalization needs one, so a vector of ones, as long as β or the last axis.
            long? known = beta is not null ? graph.FindInitializer(beta)?.Dims[0] : LastDim(graph, x);
            if (known is not long c || c <= 0) return null;
            channels = c;
        }
        return new Pattern(x, gamma, channels, beta, epsilonValue.AsSpan<float>()[0], output, nodes, [epsilonName, square.Inputs[1]]);
    }

    private static string Ones(ModelGraph graph, string stem, long channels)
    {
        var ones = TensorData.FromFloats(graph.UniqueName(stem), [channels], Enumerable.Repeat(1f, checked((int)channels)).ToArray());
        graph.SetInitializer(ones);
        return ones.Name;
    }

    // A Constant node or initializer (the ε, the exponent 2) that nothing reads any more.
    private static void RemoveIfUnused(ModelGraph graph, string value)
    {
        if (graph.Consumers(value).Count > 0 || graph.IsGraphOutput(value)) return;
        if (graph.Producer(value) is { } node && node.ConstantValue() is not null) graph.RemoveNode(node);
        else if (!graph.DeclaredInputNames.Contains(value)) graph.RemoveInitializer(value);
    }

    // The reader of a value when it has exactly one and is not a graph output.
    private static Node? Only(ModelGraph graph, string value) =>
        !graph.IsGraphOutput(value) && graph.Consumers(value) is [var one] ? one : null;

    private static string? Other(Node node, string value) =>
        node.Inputs.Count == 2 ? node.Inputs[0] == value ? node.Inputs[1] : node.Inputs[1] == value ? node.Inputs[0] : null : null;

    private static bool IsSquare(ModelGraph graph, Node node, string value) =>
        OpDomains.IsDefault(node.Domain) && node.Inputs.Count == 2 && (
            node.OpType == OpTypes.Pow && node.Inputs[0] == value && graph.FindConstant(node.Inputs[1]) is { Type: ElementType.Float, ElementCount: 1 } e && e.AsSpan<float>()[0] == 2f
            || node.OpType == OpTypes.Mul && node.Inputs[0] == value && node.Inputs[1] == value);

    // ReduceMean over the last axis only, keeping it: axes [-1] (an attribute before opset 18, an input from 18) or [rank − 1].
    private static bool OverLastAxis(ModelGraph graph, Node reduce, int? rank)
    {
        if (reduce.GetInt("keepdims", 1) != 1) return false;
        IReadOnlyList<long>? axes = reduce.GetInts("axes");
        if (axes is null && reduce.Inputs.Count > 1 && graph.FindConstant(reduce.Inputs[1]) is { Type: ElementType.Int64 } t) axes = t.AsSpan<long>().ToArray();
        return axes is [long a] && (a == -1 || rank is int n && a == n - 1);
    }

    // A 1-D γ or β of more than one value (LayerNormalization wants the normalized axis's length, not a broadcast [1]),
    // as long as that axis when it is known.
    private static bool IsVector(ModelGraph graph, string value, string x)
    {
        long? length = graph.FindInitializer(value) is { } t
            ? t.Dims.Count == 1 ? t.Dims[0] : null
            : graph.FindValueInfo(value)?.Shape is [var d] ? d.Value : null;
        return length is long n && n > 1 && (LastDim(graph, x) is not long c || c == n);
    }

    private static long? LastDim(ModelGraph graph, string value) =>
        graph.FindValueInfo(value)?.Shape is { Count: > 0 } s && s[^1].Value is long n ? n : null;
}
