using Shrink.Layers;
using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Methods.Quantization.Equivalence;

/// <summary>
/// Finds the <see cref="EqualizationPair"/>s of a graph: a Conv (any group count, depthwise included) followed by a Conv,
/// or a Gemm/MatMul followed by a Gemm/MatMul, where the first's output is read by nothing else and reaches the second's
/// data input through at most <see cref="MaxBetween"/> positive-homogeneous channel-wise ops. Where a weighted layer
/// follows but the pair cannot be rescaled exactly, it says why (a non-homogeneous op between, a second reader, a shared
/// weight...).
/// </summary>
public static class EqualizationPairs
{
    /// <summary>The most ops followed between the two layers (e.g. Relu then MaxPool).</summary>
    public const int MaxBetween = 3;

    /// <summary>The pairs in graph order, and the places skipped as ("A → B", reason).</summary>
    public static (List<EqualizationPair> Pairs, List<(string Name, string Reason)> Skipped) Find(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var pairs = new List<EqualizationPair>();
        var skipped = new List<(string, string)>();
        foreach (var node in graph.TopologicalOrder())
        {
            if (OpCatalog.FindLayer(node.OpType, node.Domain) is null) continue;
            var (pair, target, reason) = Follow(graph, node);
            if (pair is not null) pairs.Add(pair);
            else if (reason is not null) skipped.Add(($"{node.DisplayName} → {target}", reason));
        }
        return (pairs, skipped);
    }

    private static (EqualizationPair? Pair, string? Target, string? Reason) Follow(ModelGraph graph, Node node)
    {
        string value = node.Outputs[0];
        var between = new List<Node>();
        for (int hop = 0; hop <= MaxBetween; hop++)
        {
            var readers = graph.Consumers(value);
            if (readers.Count == 0) return default;
            if (readers.Count > 1 || graph.IsGraphOutput(value))
            {
                var layer = readers.FirstOrDefault(r => IsLayerReading(r, value));
                if (layer is null) return default;
                string others = string.Join(", ", readers.Where(r => r != layer).Select(r => $"'{r.DisplayName}' ({r.OpType})").Take(3));
                return (null, layer.DisplayName, graph.IsGraphOutput(value) && others.Length == 0
                    ? $"'{value}' is a graph output"
                    : $"'{value}' is also read by {others}: rescaling its channels would change them");
            }
            var reader = readers[0];
            if (IsLayerReading(reader, value)) return Pair(graph, node, between, reader);
            if (Homogeneous(graph, reader, out var why))
            {
                between.Add(reader);
                value = reader.Outputs[0];
                continue;
            }
            var next = reader.Outputs.Count == 1 ? graph.Consumers(reader.Outputs[0]).FirstOrDefault(r => IsLayerReading(r, reader.Outputs[0])) : null;
            return next is null ? default : (null, next.DisplayName, why);
        }
        return default;
    }

    private static bool IsLayerReading(Node node, string value) =>
        OpCatalog.FindLayer(node.OpType, node.Domain) is not null && node.Inputs.Count > 0 && node.Inputs[0] == value;

    /// <summary>Whether f(x/s) = f(x)/s per channel for s &gt; 0 (Clip: after its rewrite to per-channel bounds); else why not.</summary>
    private static bool Homogeneous(ModelGraph graph, Node node, out string why)
    {
        why = "";
        if (node.Domain.Length > 0 || node.Outputs.Count != 1 && node.OpType != OpTypes.MaxPool)
        {
            why = $"{node.OpType} '{node.DisplayName}' between is not positive-homogeneous";
            return false;
        }
        switch (node.OpType)
        {
            case OpTypes.Relu or OpTypes.LeakyRelu or OpTypes.AveragePool:
                return true;
            case OpTypes.MaxPool when node.Outputs.Count == 1 || node.Outputs[1].Length == 0:
                return true;
            case OpTypes.PRelu when graph.FindInitializer(node.Inputs[1]) is not null:
                return true;
            case OpTypes.Clip:
                if (ClipBounds.Read(graph, node) is null)
                {
                    why = $"Clip '{node.DisplayName}' between has computed bounds";
                    return false;
                }
                return true;
            default:
                why = $"{node.OpType} '{node.DisplayName}' between is not positive-homogeneous (f(x/s) ≠ f(x)/s)";
                return false;
        }
    }

    private static (EqualizationPair?, string?, string?) Pair(ModelGraph graph, Node firstNode, List<Node> between, Node secondNode)
    {
        string target = secondNode.DisplayName;
        var first = WeightLayer.TryCreate(firstNode, graph, out var reason);
        if (first is null) return (null, target, $"{firstNode.DisplayName}: {reason}");
        var second = WeightLayer.TryCreate(secondNode, graph, out reason);
        if (second is null) return (null, target, $"{target}: {reason}");
        foreach (var layer in new[] { first, second })
            if (graph.Consumers(layer.WeightName).Count > 1 || graph.IsGraphOutput(layer.WeightName))
                return (null, target, $"the weight of {layer.Name} is shared with other nodes");
        bool conv1 = first.Schema.Layer == LayerKind.Convolution, conv2 = second.Schema.Layer == LayerKind.Convolution;
        if (conv1 != conv2) return (null, target, $"{first.Node.OpType} then {second.Node.OpType}: channels do not map one to one");
        if (!conv1 && between.Any(b => b.OpType is OpTypes.MaxPool or OpTypes.AveragePool)) return (null, target, "a pooling op between Gemm/MatMul layers");
        var channels = LayerChannels.Of(second);
        if (channels.InputChannels != first.Rows || channels.Rows % channels.Groups != 0)
            return (null, target, $"{first.Name} has {first.Rows} output channels but {second.Name} reads {channels.InputChannels}");
        string? bias = null;
        if (first.Schema.BiasInput >= 0 && firstNode.Inputs.Count > first.Schema.BiasInput && firstNode.Inputs[first.Schema.BiasInput].Length > 0)
        {
            bias = firstNode.Inputs[first.Schema.BiasInput];
            var b = graph.FindInitializer(bias);
            if (b is null || b.Type != ElementType.Float) return (null, target, $"the bias of {first.Name} is not a float constant");
            if (b.ElementCount != first.Rows || b.Dims.Count == 0 || b.Dims[^1] != first.Rows) return (null, target, $"the bias of {first.Name} has shape [{string.Join(",", b.Dims)}], not one value per output channel");
            if (graph.Consumers(bias).Count > 1) return (null, target, $"the bias of {first.Name} is shared with other nodes");
        }
        return (new EqualizationPair(first, between, second, bias), target, null);
    }
}
