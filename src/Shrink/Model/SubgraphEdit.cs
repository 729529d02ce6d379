using Shrink.Ops;

namespace Shrink.Model;

/// <summary>
/// Every subgraph of a model (If branches, Loop and Scan bodies, at any depth) opened for editing together with the main
/// graph: all of them hand out names from one set, so a name added anywhere is unique across the whole model, and
/// <see cref="Commit"/> writes the edits back. Methods quantize layers inside subgraphs in place through it: new
/// initializers go into the subgraph that owns the node.
/// </summary>
public sealed class SubgraphEdit
{
    private readonly ModelGraph _main;
    private readonly List<SubgraphScope> _scopes = [];

    private SubgraphEdit(ModelGraph main)
    {
        _main = main;
        var names = new HashSet<string>(StringComparer.Ordinal);
        main.ShareNames(names);
        _scopes.AddRange(Subgraphs.Scopes(main));
        foreach (var scope in _scopes) scope.Graph.ShareNames(names);
    }

    /// <summary>Opens the subgraphs of <paramref name="model"/> (none when it has no If, Loop or Scan).</summary>
    public static SubgraphEdit Open(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new SubgraphEdit(model.Graph);
    }

    /// <summary>The subgraphs, outer ones before the ones they hold.</summary>
    public IReadOnlyList<SubgraphScope> Scopes => _scopes;

    /// <summary>
    /// Moves into each subgraph the initializers of enclosing graphs that a Conv, Gemm or MatMul of the subgraph reads as a
    /// constant input (weight or bias) and that nothing else in the model reads, so the layer can be rewritten in place.
    /// Returns the layers whose weight stays outside, with the reason (read by other nodes too). A weight read only by
    /// the layer is never shared with the outer graph, so the model computes the same after the move.
    /// </summary>
    public IReadOnlyList<(SubgraphScope Scope, Node Node, string Reason)> LocalizeWeights()
    {
        var left = new List<(SubgraphScope, Node, string)>();
        if (_scopes.Count == 0) return left;
        // Every read of a name in the whole model: node inputs of every graph and graph outputs.
        var reads = new Dictionary<string, int>(StringComparer.Ordinal);
        void Count(string name)
        {
            if (name.Length > 0) reads[name] = reads.GetValueOrDefault(name) + 1;
        }
        foreach (var graph in _scopes.Select(s => s.Graph).Prepend(_main))
        {
            foreach (var node in graph.Nodes) foreach (var input in node.Inputs) Count(input);
            foreach (var output in graph.Outputs) Count(output.Name);
        }
        var mainInputs = _main.DeclaredInputNames.ToHashSet(StringComparer.Ordinal);
        foreach (var scope in _scopes)
        {
            foreach (var node in scope.Graph.Nodes)
            {
                var schema = OpCatalog.FindLayer(node.OpType, node.Domain);
                if (schema is null) continue;
                for (int i = 1; i < node.Inputs.Count; i++)
                {
                    string name = node.Inputs[i];
                    if (name.Length == 0 || scope.Defines(name)) continue;
                    var (owner, tensor) = OuterInitializer(scope, name);
                    if (owner is null || tensor is null) continue;
                    if (reads.GetValueOrDefault(name) != 1 || (owner == _main && mainInputs.Contains(name)))
                    {
                        if (i == schema.WeightInput) left.Add((scope, node, $"its weight '{name}' (an initializer outside the subgraph) is read by other nodes too"));
                        continue;
                    }
                    owner.RemoveInitializer(name);
                    scope.Graph.SetInitializer(tensor);
                }
            }
        }
        return left;
    }

    // The enclosing graph that defines `name` as an initializer, walking outwards; null when the nearest definition is
    // not an initializer.
    private (ModelGraph? Owner, TensorData? Tensor) OuterInitializer(SubgraphScope scope, string name)
    {
        for (var s = scope; s is not null; s = s.Parent)
        {
            var outer = s.Outer;
            if (outer.FindInitializer(name) is { } t) return (outer, t);
            if (SubgraphScope.Defines(outer, name)) return (null, null);
        }
        return (null, null);
    }

    /// <summary>
    /// Writes the subgraphs' edits back into the model: drops the initializers no longer read, writes node and initializer
    /// lists (innermost first) and lets the main graph see what its holders now read.
    /// </summary>
    public void Commit()
    {
        for (int i = _scopes.Count - 1; i >= 0; i--)
        {
            var scope = _scopes[i];
            scope.Graph.RemoveUnusedInitializers();
            scope.Graph.SyncToProto();
            scope.Outer.SubgraphsEdited();
        }
        _main.SubgraphsEdited();
    }
}
