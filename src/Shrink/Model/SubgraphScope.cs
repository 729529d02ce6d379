namespace Shrink.Model;

/// <summary>
/// One subgraph (an If branch, a Loop or Scan body) opened for reading and editing: its graph, the node that holds it and
/// the scope around it. Edits go through <see cref="Graph"/> and reach the model when the <see cref="SubgraphEdit"/> that
/// opened it commits.
/// </summary>
public sealed class SubgraphScope
{
    internal SubgraphScope(ModelGraph graph, string attribute, Node holder, ModelGraph outer, SubgraphScope? parent)
    {
        Graph = graph;
        Attribute = attribute;
        Holder = holder;
        Outer = outer;
        Parent = parent;
        string here = $"{holder.OpType} '{holder.DisplayName}' {attribute}";
        Path = parent is null ? here : $"{parent.Path} / {here}";
    }

    /// <summary>The subgraph.</summary>
    public ModelGraph Graph { get; }

    /// <summary>The attribute of <see cref="Holder"/> that holds it (then_branch, else_branch, body).</summary>
    public string Attribute { get; }

    /// <summary>The If, Loop or Scan node that holds it.</summary>
    public Node Holder { get; }

    /// <summary>The graph <see cref="Holder"/> sits in (the main graph, or the enclosing subgraph).</summary>
    public ModelGraph Outer { get; }

    /// <summary>The enclosing subgraph's scope; null when <see cref="Holder"/> is in the main graph.</summary>
    public SubgraphScope? Parent { get; }

    /// <summary>Where it sits, for messages: e.g. <c>If 'branch' then_branch</c>, nested ones joined by " / ".</summary>
    public string Path { get; }

    /// <summary>Whether this graph itself defines <paramref name="name"/> (an initializer, an input or a node output).</summary>
    public bool Defines(string name) => Defines(Graph, name);

    internal static bool Defines(ModelGraph graph, string name) =>
        graph.Initializers.ContainsKey(name) || graph.Producer(name) is not null || graph.DeclaredInputNames.Contains(name);
}
