using System.Globalization;
using Onnx;
using Shrink.Ops;

namespace Shrink.Model;

/// <summary>
/// The graphs held by node attributes (If branches, Loop and Scan bodies), at any depth. The passes and quantizers work on
/// the main graph; these helpers let inspection count what the subgraphs hold and messages say what was left alone.
/// </summary>
public static class Subgraphs
{
    /// <summary>Every subgraph below the nodes of <paramref name="graph"/>, depth first, with the node that holds it.</summary>
    public static IEnumerable<(GraphProto Graph, NodeProto Holder)> Of(ModelGraph graph)
    {
        foreach (var node in graph.Nodes)
        {
            if (!node.HasSubgraph) continue;
            foreach (var found in Below(node.Proto)) yield return found;
        }
    }

    /// <summary>Every subgraph below the nodes of <paramref name="graph"/>, depth first, each wrapped as a graph to read.</summary>
    public static IEnumerable<ModelGraph> Graphs(ModelGraph graph) => Of(graph).Select(s => new ModelGraph(s.Graph));

    private static IEnumerable<(GraphProto, NodeProto)> Below(NodeProto node)
    {
        foreach (var a in node.Attribute)
        {
            var graphs = a.G is not null ? a.Graphs.Prepend(a.G) : a.Graphs;
            foreach (var g in graphs)
            {
                yield return (g, node);
                foreach (var inner in g.Node)
                    foreach (var found in Below(inner)) yield return found;
            }
        }
    }

    /// <summary>
    /// The initializers inside subgraphs that a Conv, ConvTranspose, Gemm or MatMul of the same subgraph reads as its weight:
    /// how many tensors, and how many elements they hold.
    /// </summary>
    public static (int Tensors, long Parameters) Weights(ModelGraph graph)
    {
        int tensors = 0;
        long parameters = 0;
        foreach (var (g, _) in Of(graph))
        {
            var initializers = g.Initializer.ToDictionary(t => t.Name, t => t, StringComparer.Ordinal);
            var counted = new HashSet<string>(StringComparer.Ordinal);
            foreach (var node in g.Node)
            {
                bool weighted = OpCatalog.FindLayer(node.OpType, node.Domain) is not null;
                if (!weighted || node.Input.Count < 2 || !initializers.TryGetValue(node.Input[1], out var w) || !counted.Add(w.Name)) continue;
                tensors++;
                parameters += new TensorData(w).ElementCount;
            }
        }
        return (tensors, parameters);
    }

    /// <summary>
    /// A sentence for messages saying that weights inside subgraphs were left alone (with a leading "; "), or "" when
    /// there are none.
    /// </summary>
    public static string UntouchedWeightsNote(ModelGraph graph)
    {
        var (tensors, parameters) = Weights(graph);
        return tensors == 0
            ? ""
            : string.Create(CultureInfo.InvariantCulture, $"; {tensors} weight tensor(s) ({parameters:N0} parameters) live inside If/Loop/Scan subgraphs, which are not quantized yet");
    }
}
