using Shrink.Layers;
using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Methods.Quantization.Equivalence;

/// <summary>
/// Finds where SmoothQuant can move a per-channel scale exactly: every MatMul/Gemm input X with a constant weight,
/// grouped by X (q, k and v reading one LayerNorm output share one s), whose readers are all such layers (Shape reads
/// only the shape) and whose producer absorbs a per-channel division: a LayerNormalization over the last axis with
/// constant scale (and bias), a Mul by a constant per-channel (or scalar) γ optionally followed by an Add of a constant
/// β (decomposed LayerNorm, RMSNorm), or a MatMul/Gemm with a constant weight, optionally followed by an Add of a
/// constant bias. Everything else is listed with the reason; no op is ever inserted.
/// </summary>
public static class SmoothingPlaces
{
    /// <summary>The places and the skipped inputs (readers, tensor, why), in graph order.</summary>
    public static (List<SmoothingPlace> Places, List<(string Node, string Tensor, int Channels, string Reason)> Skipped) Find(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var groups = new Dictionary<string, List<WeightLayer>>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var node in graph.TopologicalOrder())
        {
            if (OpCatalog.FindLayer(node.OpType, node.Domain) is not { Layer: LayerKind.MatMul or LayerKind.Gemm }) continue;
            if (WeightLayer.TryCreate(node, graph, out _) is not { } layer) continue;
            if (!groups.TryGetValue(layer.Input, out var readers))
            {
                groups[layer.Input] = readers = [];
                order.Add(layer.Input);
            }
            readers.Add(layer);
        }
        var places = new List<SmoothingPlace>();
        var skipped = new List<(string, string, int, string)>();
        foreach (var tensor in order)
        {
            var readers = groups[tensor];
            string names = string.Join(", ", readers.Select(r => r.Name));
            int channels = readers[0].Cols;
            string? reason = ReadersProblem(graph, tensor, readers);
            SmoothingAbsorber? absorber = null;
            if (reason is null) (absorber, reason) = Absorber(graph, tensor, channels);
            if (absorber is null) skipped.Add((names, tensor, channels, reason!));
            else places.Add(new SmoothingPlace(tensor, channels, readers, absorber));
        }
        return (places, skipped);
    }

    private static string? ReadersProblem(ModelGraph graph, string tensor, List<WeightLayer> readers)
    {
        if (graph.IsGraphOutput(tensor)) return "it is also a graph output";
        if (readers.Any(r => r.Cols != readers[0].Cols)) return "its readers disagree on the channel count";
        foreach (var consumer in graph.Consumers(tensor))
        {
            if (consumer.OpType == OpTypes.Shape) continue;
            var reader = readers.FirstOrDefault(r => ReferenceEquals(r.Node, consumer));
            if (reader is null) return $"it is also read by {consumer.DisplayName} ({consumer.OpType}), which is not a layer with a constant weight";
            if (consumer.Inputs.Count(i => i == tensor) > 1) return $"{consumer.DisplayName} reads it twice";
        }
        return null;
    }

    private static (SmoothingAbsorber? Absorber, string? Reason) Absorber(ModelGraph graph, string tensor, int channels)
    {
        var producer = graph.Producer(tensor);
        if (producer is null) return (null, "it is a graph input, nothing before it can absorb a scale");
        if (producer.HasSubgraph || !IsDefaultDomain(producer)) return (null, Cannot(producer));
        if (producer.OpType == OpTypes.LayerNormalization)
        {
            if (producer.Outputs[0] != tensor) return (null, Cannot(producer));
            var vectors = new List<(Node, int)>();
            if (producer.Inputs.Count < 2 || !IsChannelVector(graph, producer.Inputs[1], channels, allowScalar: false))
                return (null, $"{producer.DisplayName} (LayerNormalization) has no constant per-channel scale");
            vectors.Add((producer, 1));
            if (producer.Inputs.Count > 2 && producer.Inputs[2].Length > 0)
            {
                if (!IsChannelVector(graph, producer.Inputs[2], channels, allowScalar: false))
                    return (null, $"{producer.DisplayName} (LayerNormalization) has a bias that is not a constant per-channel vector");
                vectors.Add((producer, 2));
            }
            return (new SmoothingAbsorber(producer, vectors, null), null);
        }
        if (producer.OpType == OpTypes.Mul)
        {
            int gamma = ConstantOperand(graph, producer, channels);
            return gamma < 0 ? (null, $"{producer.DisplayName} (Mul) multiplies two computed values, or by a constant that is not per channel")
                : (new SmoothingAbsorber(producer, [(producer, gamma)], null), null);
        }
        if (producer.OpType == OpTypes.Add)
        {
            int beta = ConstantOperand(graph, producer, channels);
            if (beta < 0) return (null, $"{producer.DisplayName} (Add) adds two computed values (a residual), or a constant that is not per channel");
            string inner = producer.Inputs[1 - beta];
            var before = graph.Producer(inner);
            if (before is null || !IsDefaultDomain(before) || graph.IsGraphOutput(inner) || graph.Consumers(inner).Any(c => c != producer && c.OpType != OpTypes.Shape))
                return (null, $"{producer.DisplayName} (Add) adds to a value that is read elsewhere or produced by nothing that absorbs a scale");
            if (before.OpType == OpTypes.Mul && ConstantOperand(graph, before, channels) is int gamma and >= 0)
                return (new SmoothingAbsorber(producer, [(before, gamma), (producer, beta)], null), null);
            if (ProducingLayer(graph, before, channels) is { } layer && layer.Node.Inputs.Count <= 2)
                return (new SmoothingAbsorber(producer, [(producer, beta)], layer), null);
            return (null, $"{producer.DisplayName} (Add) follows {before.DisplayName} ({before.OpType}), which cannot absorb a per-channel scale");
        }
        if (ProducingLayer(graph, producer, channels) is { } weighted)
        {
            if (weighted.Node.Inputs.Count > 2 && weighted.Node.Inputs[2].Length > 0)
            {
                if (!IsChannelVector(graph, weighted.Node.Inputs[2], channels, allowScalar: true))
                    return (null, $"{producer.DisplayName} (Gemm) has a bias that is not a constant per-channel vector");
                return (new SmoothingAbsorber(producer, [(producer, 2)], weighted), null);
            }
            return (new SmoothingAbsorber(producer, [], weighted), null);
        }
        return (null, Cannot(producer));
    }

    private static string Cannot(Node producer) => $"it comes from {producer.DisplayName} ({producer.OpType}), which cannot absorb a per-channel scale";

    /// <summary>The MatMul/Gemm with a constant weight producing <paramref name="node"/>'s output, with <paramref name="channels"/> output channels.</summary>
    private static WeightLayer? ProducingLayer(ModelGraph graph, Node node, int channels) =>
        OpCatalog.FindLayer(node.OpType, node.Domain) is { Layer: LayerKind.MatMul or LayerKind.Gemm }
        && WeightLayer.TryCreate(node, graph, out _) is { } layer && layer.Rows == channels ? layer : null;

    /// <summary>The index of <paramref name="node"/>'s constant operand with one value per channel (or one for all); −1 if none or both.</summary>
    private static int ConstantOperand(ModelGraph graph, Node node, int channels)
    {
        if (node.Inputs.Count != 2) return -1;
        bool a = graph.FindInitializer(node.Inputs[0]) is not null, b = graph.FindInitializer(node.Inputs[1]) is not null;
        if (a == b) return -1;
        int index = a ? 0 : 1;
        return IsChannelVector(graph, node.Inputs[index], channels, allowScalar: true) ? index : -1;
    }

    /// <summary>A float constant broadcasting one value per channel of the last axis: [C], [1, ..., C], or (scalar) one value.</summary>
    private static bool IsChannelVector(ModelGraph graph, string name, int channels, bool allowScalar)
    {
        if (graph.FindInitializer(name) is not { Type: ElementType.Float } t) return false;
        var dims = t.Dims;
        if (t.ElementCount == 1 && channels > 1) return allowScalar && dims.Count <= 1;
        return dims.Count >= 1 && dims[^1] == channels && t.ElementCount == channels;
    }

    private static bool IsDefaultDomain(Node node) => node.Domain is "" or "ai.onnx";
}
