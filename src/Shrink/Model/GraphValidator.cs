using Onnx;
using Shrink.Ops;

namespace Shrink.Model;

/// <summary>
/// Checks a graph and its subgraphs (If/Loop/Scan bodies) as ONNX requires: every value defined once (SSA), every
/// read resolvable in the graph or an enclosing one, graph outputs listed once, no cycles, and sane attributes on
/// well-known ops. Linear in the number of nodes and edges (hash sets and Kahn's algorithm, no pairwise scans).
/// </summary>
internal sealed class GraphValidator
{
    private readonly string _source;

    private GraphValidator(string source) => _source = source;

    /// <summary>Validates the main graph; throws <see cref="ShrinkException"/> naming the value or node at fault.</summary>
    public static void Validate(GraphProto graph, string source)
    {
        var unresolved = new GraphValidator(source).Check(graph, scope: null);
        foreach (var (name, reader) in unresolved)
            throw new ShrinkException($"{source}: {reader} reads '{name}', which no input, initializer or node defines.");
    }

    /// <summary>
    /// Checks one graph; returns the names it (or a subgraph) reads without defining them, each with who reads it:
    /// for a subgraph these must come from an enclosing graph. <paramref name="scope"/> is null for the main graph.
    /// </summary>
    private Dictionary<string, string> Check(GraphProto graph, string? scope)
    {
        string where = scope is null ? "" : $" in {scope}";
        // Values defined without a node: inputs, initializers (possibly also inputs, giving defaults) and sparse ones.
        var inputs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var input in graph.Input)
        {
            if (!inputs.Add(input.Name))
                throw new ShrinkException($"{_source}: graph input '{input.Name}'{where} is declared twice.");
        }
        var defined = new HashSet<string>(inputs, StringComparer.Ordinal) { "" };
        var constants = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (var t in graph.Initializer)
        {
            if (!constants.TryAdd(t.Name, t))
                throw new ShrinkException($"{_source}: initializer '{t.Name}'{where} is defined twice.");
            defined.Add(t.Name);
        }
        foreach (var s in graph.SparseInitializer)
        {
            if (s.Values is null) continue;
            if (constants.ContainsKey(s.Values.Name) || !defined.Add(s.Values.Name) && !inputs.Contains(s.Values.Name))
                throw new ShrinkException($"{_source}: sparse initializer '{s.Values.Name}'{where} is defined twice.");
        }

        // Every node output is a new value.
        var nodes = graph.Node;
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < nodes.Count; i++)
        {
            var node = nodes[i];
            if (string.IsNullOrEmpty(node.OpType))
                throw new ShrinkException($"{_source}: node '{node.Name}'{where} has no op_type.");
            foreach (var o in node.Output)
            {
                if (o.Length == 0) continue;
                if (defined.Contains(o))
                    throw new ShrinkException($"{_source}: node {Describe(node)}{where} writes '{o}', which is already a graph input or initializer (each value is defined once).");
                if (!producer.TryAdd(o, i))
                    throw new ShrinkException($"{_source}: value '{o}' is produced twice (second time by node {Describe(node)}{where}).");
            }
            if (node.OpType == OpTypes.Constant && node.Output.Count == 1 && IsDefaultDomain(node.Domain))
            {
                var value = node.Attribute.FirstOrDefault(a => a.Name == "value")?.T;
                if (value is not null) constants.TryAdd(node.Output[0], value);
            }
        }

        // Reads: node inputs and what subgraphs read from outside themselves. Edges producer -> reader for Kahn.
        var unresolved = new Dictionary<string, string>(StringComparer.Ordinal);
        var edgeFrom = new List<int>();
        var edgeTo = new List<int>();
        for (int i = 0; i < nodes.Count; i++)
        {
            var node = nodes[i];
            foreach (var input in node.Input)
                Read(input, i, null);
            foreach (var a in node.Attribute)
            {
                if (a.G is not null) ReadAll(Check(a.G, $"{a.Name} of node {Describe(node)}{where}"), i);
                foreach (var g in a.Graphs) ReadAll(Check(g, $"{a.Name} of node {Describe(node)}{where}"), i);
            }
        }

        var outputs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var o in graph.Output)
        {
            if (!outputs.Add(o.Name))
                throw new ShrinkException($"{_source}: graph output '{o.Name}'{where} is listed twice.");
            if (producer.ContainsKey(o.Name) || defined.Contains(o.Name)) continue;
            if (scope is null)
                throw new ShrinkException($"{_source}: graph output '{o.Name}' is not produced by any node, input or initializer.");
            unresolved.TryAdd(o.Name, $"the output list of {scope}");
        }

        RefuseCycles(nodes, edgeFrom, edgeTo, scope is null && graph.Name.Length > 0 ? $" of graph '{graph.Name}'" : where);

        Dictionary<string, ValueInfoProto>? shapes = null;
        foreach (var node in nodes)
        {
            if (!OpAttributeValidator.Applies(node)) continue;
            shapes ??= KnownShapes(graph);
            OpAttributeValidator.Check(node, $"{_source}: node {Describe(node)}{where}", constants, shapes);
        }
        return unresolved;

        // readerText: who reads the value, for messages; null means node `reader` itself (described only if needed).
        void Read(string name, int reader, string? readerText)
        {
            if (producer.TryGetValue(name, out int from))
            {
                if (from == reader)
                    throw new ShrinkException($"{_source}: node {Describe(nodes[reader])}{where} reads its own output '{name}' (a cycle).");
                edgeFrom.Add(from);
                edgeTo.Add(reader);
            }
            else if (!defined.Contains(name))
            {
                if (!unresolved.ContainsKey(name)) unresolved.Add(name, readerText ?? $"node {Describe(nodes[reader])}{where}");
            }
        }

        void ReadAll(Dictionary<string, string> fromSubgraph, int reader)
        {
            foreach (var (name, readerText) in fromSubgraph) Read(name, reader, readerText);
        }
    }

    // Kahn's algorithm; when some nodes are never ready, walks back along unfinished producers to name a cycle.
    private void RefuseCycles(IList<NodeProto> nodes, List<int> edgeFrom, List<int> edgeTo, string where)
    {
        int n = nodes.Count;
        var indegree = new int[n];
        var start = new int[n + 1];
        foreach (int from in edgeFrom) start[from + 1]++;
        foreach (int to in edgeTo) indegree[to]++;
        for (int i = 0; i < n; i++) start[i + 1] += start[i];
        var successors = new int[edgeFrom.Count];
        var fill = start[..n];
        for (int e = 0; e < edgeFrom.Count; e++) successors[fill[edgeFrom[e]]++] = edgeTo[e];

        var ready = new Queue<int>();
        for (int i = 0; i < n; i++) if (indegree[i] == 0) ready.Enqueue(i);
        int done = 0;
        while (ready.Count > 0)
        {
            int u = ready.Dequeue();
            done++;
            for (int k = start[u]; k < start[u + 1]; k++)
                if (--indegree[successors[k]] == 0) ready.Enqueue(successors[k]);
        }
        if (done == n) return;

        // Every unfinished node has an unfinished producer; following them back must revisit a node of a cycle.
        var predecessors = new List<int>?[n];
        for (int e = 0; e < edgeFrom.Count; e++)
            if (indegree[edgeTo[e]] > 0 && indegree[edgeFrom[e]] > 0)
                (predecessors[edgeTo[e]] ??= []).Add(edgeFrom[e]);
        int current = Array.FindIndex(indegree, d => d > 0);
        var position = new Dictionary<int, int>();
        var path = new List<int>();
        while (position.TryAdd(current, path.Count))
        {
            path.Add(current);
            current = predecessors[current]![0];
        }
        var members = path.Skip(position[current]).Reverse().ToList();
        const int shown = 6;
        var names = members.Take(shown).Select(i => Describe(nodes[i])).ToList();
        names.Add(members.Count > shown ? $"... ({members.Count} nodes in all)" : names[0]);
        throw new ShrinkException($"{_source}: the nodes{where} form a cycle: {string.Join(" -> ", names)}.");
    }

    private static Dictionary<string, ValueInfoProto> KnownShapes(GraphProto graph)
    {
        var shapes = new Dictionary<string, ValueInfoProto>(StringComparer.Ordinal);
        foreach (var v in graph.Input) shapes.TryAdd(v.Name, v);
        foreach (var v in graph.ValueInfo) shapes.TryAdd(v.Name, v);
        return shapes;
    }

    internal static bool IsDefaultDomain(string domain) => domain.Length == 0 || domain == "ai.onnx";

    internal static string Describe(NodeProto node) => $"'{(node.Name.Length > 0 ? node.Name : "(unnamed)")}' ({node.OpType})";
}
