using Onnx;

namespace Shrink.Model;

/// <summary>Finds every <see cref="TensorProto"/> a model holds: initializers, Constant values, subgraphs, functions.</summary>
internal static class TensorProtoWalker
{
    /// <summary>Each tensor with a short text saying where it sits (for messages).</summary>
    public static IEnumerable<(TensorProto Tensor, string Where)> All(ModelProto model)
    {
        if (model.Graph is not null)
            foreach (var t in InGraph(model.Graph, "graph")) yield return t;
        foreach (var f in model.Functions)
            foreach (var n in f.Node)
                foreach (var t in InNode(n, $"function '{f.Name}'")) yield return t;
    }

    private static IEnumerable<(TensorProto, string)> InGraph(GraphProto graph, string scope)
    {
        foreach (var t in graph.Initializer) yield return (t, $"initializer '{t.Name}'");
        foreach (var s in graph.SparseInitializer)
        {
            if (s.Values is not null) yield return (s.Values, $"sparse initializer '{s.Values.Name}'");
            if (s.Indices is not null) yield return (s.Indices, $"sparse initializer indices '{s.Indices.Name}'");
        }
        foreach (var n in graph.Node)
            foreach (var t in InNode(n, scope)) yield return t;
    }

    private static IEnumerable<(TensorProto, string)> InNode(NodeProto node, string scope)
    {
        if (node.Attribute.Count == 0) yield break; // most nodes: no tensors, and no message text to build
        string where = $"node '{(node.Name.Length > 0 ? node.Name : node.OpType)}' ({node.OpType}) in {scope}";
        foreach (var a in node.Attribute)
        {
            if (a.T is not null) yield return (a.T, where);
            foreach (var t in a.Tensors) yield return (t, where);
            if (a.SparseTensor is not null)
            {
                if (a.SparseTensor.Values is not null) yield return (a.SparseTensor.Values, where);
                if (a.SparseTensor.Indices is not null) yield return (a.SparseTensor.Indices, where);
            }
            if (a.G is not null)
                foreach (var t in InGraph(a.G, $"subgraph of {where}")) yield return t;
            foreach (var g in a.Graphs)
                foreach (var t in InGraph(g, $"subgraph of {where}")) yield return t;
        }
    }
}
