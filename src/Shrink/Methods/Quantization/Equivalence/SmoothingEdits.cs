using Shrink.Layers;
using Shrink.Model;

namespace Shrink.Methods.Quantization.Equivalence;

/// <summary>Copy-on-share for the constants a smoothing rewrite edits: a constant another node also reads is copied first.</summary>
internal static class SmoothingEdits
{
    /// <summary>The initializer of input <paramref name="input"/> of <paramref name="node"/>, copied under a new name when it is read elsewhere.</summary>
    public static TensorData Own(ModelGraph graph, Node node, int input)
    {
        string name = node.Inputs[input];
        var tensor = graph.FindInitializer(name) ?? throw new InvalidOperationException($"'{name}' is not a constant.");
        if (!IsShared(graph, node, name)) return tensor;
        var copy = tensor.Clone();
        copy.Rename(graph.UniqueName(name + "_smoothed"));
        graph.SetInitializer(copy);
        graph.SetInput(node, input, copy.Name);
        return copy;
    }

    /// <summary><paramref name="layer"/>, with its weight copied first when another node (or another input) reads it.</summary>
    public static WeightLayer Own(ModelGraph graph, WeightLayer layer)
    {
        if (!IsShared(graph, layer.Node, layer.WeightName)) return layer;
        Own(graph, layer.Node, layer.Schema.WeightInput);
        return WeightLayer.TryCreate(layer.Node, graph, out _) ?? throw new InvalidOperationException($"{layer.Name}: the copied weight has no layer view.");
    }

    private static bool IsShared(ModelGraph graph, Node node, string name) =>
        graph.Consumers(name).Count > 1 || node.Inputs.Count(i => i == name) > 1 || graph.IsGraphOutput(name);
}
