using System.Globalization;
using Onnx;
using Shrink.Ops;

namespace Shrink.Model;

/// <summary>
/// The graphs held by node attributes (If branches, Loop and Scan bodies), at any depth. Inspection counts what they hold;
/// weight-only and dynamic quantization rewrite their layers in place (through <see cref="SubgraphEdit"/>); the other
/// methods leave them alone and say so.
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

    /// <summary>
    /// Every subgraph below the nodes of <paramref name="graph"/> as a scope (its graph, holder, enclosing scope and path),
    /// outer ones before the ones they hold. For reading; edit through <see cref="SubgraphEdit"/>.
    /// </summary>
    public static IReadOnlyList<SubgraphScope> Scopes(ModelGraph graph)
    {
        var scopes = new List<SubgraphScope>();
        Walk(graph, null, scopes);
        return scopes;
    }

    private static void Walk(ModelGraph graph, SubgraphScope? parent, List<SubgraphScope> scopes)
    {
        foreach (var node in graph.Nodes)
        {
            if (!node.HasSubgraph) continue;
            foreach (var (attribute, body) in node.Subgraphs())
            {
                var scope = new SubgraphScope(body, attribute, node, graph, parent);
                scopes.Add(scope);
                Walk(body, scope, scopes);
            }
        }
    }

    /// <summary>
    /// The values a node's subgraphs read from the graphs around them (not defined inside), each once; empty for a
    /// node without subgraphs.
    /// </summary>
    public static IReadOnlyCollection<string> OuterReads(Node node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var reads = new HashSet<string>(StringComparer.Ordinal);
        if (node.HasSubgraph) CollectOuterReads(node.Proto, reads);
        return reads;
    }

    private static void CollectOuterReads(NodeProto node, HashSet<string> reads)
    {
        foreach (var a in node.Attribute)
        {
            var graphs = a.G is not null ? a.Graphs.Prepend(a.G) : a.Graphs;
            foreach (var g in graphs)
            {
                var local = new HashSet<string>(g.Input.Select(i => i.Name).Concat(g.Initializer.Select(i => i.Name)).Concat(g.Node.SelectMany(n => n.Output)), StringComparer.Ordinal);
                foreach (var n in g.Node)
                {
                    foreach (var i in n.Input) if (i.Length > 0 && !local.Contains(i)) reads.Add(i);
                    var inner = new HashSet<string>(StringComparer.Ordinal);
                    CollectOuterReads(n, inner);
                    foreach (var i in inner) if (!local.Contains(i)) reads.Add(i);
                }
            }
        }
    }

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
    /// The Conv, ConvTranspose, Gemm and MatMul nodes inside subgraphs whose weight is a constant: one held by the subgraph,
    /// or an initializer of an enclosing graph it reads; each with its scope and the weight tensor.
    /// </summary>
    public static IReadOnlyList<(SubgraphScope Scope, Node Node, TensorData Weight)> Layers(ModelGraph graph)
    {
        var layers = new List<(SubgraphScope, Node, TensorData)>();
        foreach (var scope in Scopes(graph))
        {
            foreach (var node in scope.Graph.Nodes)
            {
                var schema = OpCatalog.FindLayer(node.OpType, node.Domain);
                if (schema is null || node.Inputs.Count <= schema.WeightInput || ConstantIn(scope, node.Inputs[schema.WeightInput]) is not { } w) continue;
                layers.Add((scope, node, w));
            }
        }
        return layers;
    }

    // The initializer `name` resolves to from inside `scope` (its own, or the nearest enclosing graph's), or null when
    // the nearest definition is not an initializer.
    private static TensorData? ConstantIn(SubgraphScope scope, string name)
    {
        if (name.Length == 0) return null;
        if (scope.Graph.FindInitializer(name) is { } local) return local;
        if (scope.Defines(name)) return null;
        for (var s = scope; s is not null; s = s.Parent)
        {
            if (s.Outer.FindInitializer(name) is { } t) return t;
            if (SubgraphScope.Defines(s.Outer, name)) return null;
        }
        return null;
    }

    /// <summary>
    /// The weights that Conv, ConvTranspose, Gemm and MatMul nodes inside subgraphs read (held by the subgraph or by an
    /// enclosing graph): how many tensors, and how many elements they hold.
    /// </summary>
    public static (int Tensors, long Parameters) Weights(ModelGraph graph)
    {
        var distinct = new Dictionary<TensorData, long>(ReferenceEqualityComparer.Instance);
        foreach (var (_, _, w) in Layers(graph)) distinct[w] = w.ElementCount;
        return (distinct.Count, distinct.Values.Sum());
    }

    /// <summary>
    /// A sentence for messages saying that weights inside subgraphs were left alone (with a leading "; "), or "" when
    /// there are none. <paramref name="why"/> says why (e.g. "which static int8 leaves in float").
    /// </summary>
    public static string UntouchedWeightsNote(ModelGraph graph, string why)
    {
        var (tensors, parameters) = Weights(graph);
        return tensors == 0
            ? ""
            : string.Create(CultureInfo.InvariantCulture, $"; {tensors} weight tensor(s) ({parameters:N0} parameters) live inside If/Loop/Scan subgraphs, {why}");
    }
}
