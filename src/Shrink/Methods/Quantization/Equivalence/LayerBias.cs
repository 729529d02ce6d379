using Shrink.Layers;
using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Methods.Quantization.Equivalence;

/// <summary>
/// Adds a per-output-channel vector to a weighted layer's output by editing its bias: a Conv's B (added where absent), a
/// Gemm's C (divided by beta; added where absent, widened from a scalar), or for a MatMul the constant of the Add that
/// follows it (a bias Add), else a new Add after it.
/// </summary>
public static class LayerBias
{
    /// <summary>
    /// Adds <paramref name="delta"/> (one value per output channel) to the layer's output; <paramref name="how"/> says how,
    /// or why it could not (then false and nothing changed).
    /// </summary>
    public static bool TryAdd(ModelGraph graph, WeightLayer layer, double[] delta, out string how)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(delta);
        var node = layer.Node;
        int n = layer.Rows;
        switch (layer.Schema.Layer)
        {
            case LayerKind.Convolution:
            case LayerKind.Gemm:
                {
                    int index = layer.Schema.BiasInput;
                    double beta = layer.Schema.Layer == LayerKind.Gemm ? node.GetFloat("beta", 1f) : 1;
                    if (beta == 0) { how = "Gemm with beta 0: no bias to correct"; return false; }
                    string? name = node.Inputs.Count > index && node.Inputs[index].Length > 0 ? node.Inputs[index] : null;
                    var old = name is null ? null : graph.FindInitializer(name);
                    if (name is not null && old is null) { how = "the bias is computed, not a constant"; return false; }
                    float[] values;
                    if (old is null) values = new float[n];
                    else if (old.ElementCount == n && (old.Dims.Count == 0 || old.Dims[^1] == n)) values = old.ToFloatArray();
                    else if (old.ElementCount == 1) values = Enumerable.Repeat(old.ToFloatArray()[0], n).ToArray();
                    else { how = $"the bias has shape [{string.Join(",", old.Dims)}], not one value per output channel"; return false; }
                    for (int c = 0; c < n; c++) values[c] = (float)(values[c] + delta[c] / beta);
                    bool shared = name is not null && (graph.Consumers(name).Count > 1 || graph.IsGraphOutput(name));
                    string target = name is null || shared || old!.ElementCount != n ? graph.UniqueName(node.DisplayName + "_bias") : name;
                    long[] dims = target == name ? old!.Dims.ToArray() : [n];
                    graph.SetInitializer(TensorData.FromFloats(target, dims, values));
                    if (target == name) { how = "bias updated"; return true; }
                    if (node.Inputs.Count > index) graph.SetInput(node, index, target);
                    else graph.AddInput(node, target);
                    how = name is null ? "bias input added" : "bias copied and updated";
                    return true;
                }
            default:
                {
                    string output = node.Outputs[0];
                    var readers = graph.Consumers(output);
                    if (readers.Count == 1 && readers[0].OpType == OpTypes.Add && readers[0].Domain.Length == 0 && !graph.IsGraphOutput(output))
                    {
                        var add = readers[0];
                        string other = add.Inputs[0] == output ? add.Inputs[1] : add.Inputs[0];
                        var old = graph.FindInitializer(other);
                        if (old is { Type: ElementType.Float } && old.ElementCount == n && old.Dims[^1] == n && graph.Consumers(other).Count == 1 && !graph.IsGraphOutput(other))
                        {
                            var values = old.ToFloatArray();
                            for (int c = 0; c < n; c++) values[c] = (float)(values[c] + delta[c]);
                            graph.SetInitializer(TensorData.FromFloats(other, old.Dims.ToArray(), values));
                            how = "bias Add updated";
                            return true;
                        }
                    }
                    string biasless = graph.UniqueName(output + "_before_bias"), bias = graph.UniqueName(node.DisplayName + "_bias");
                    graph.SetInitializer(TensorData.FromFloats(bias, [n], delta.Select(d => (float)d).ToArray()));
                    graph.SetOutput(node, 0, biasless);
                    graph.AddNodeAfter(node, OpTypes.Add, [biasless, bias], [output], graph.UniqueName(node.DisplayName + "_bias_add"));
                    how = "bias Add added";
                    return true;
                }
        }
    }
}
