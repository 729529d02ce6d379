using Onnx;

namespace Shrink.Graph;

/// <summary>
/// The main graph of a model as an editable IR: nodes in order, initializers by name, declared inputs,
/// outputs and value_info, with producer and consumer lookups and a topological order. Everything that
/// the IR does not model (sparse initializers, quantization annotations, subgraphs inside attributes)
/// stays in <see cref="Proto"/> and round-trips unchanged.
/// </summary>
public sealed class ModelGraph
{
    private readonly List<Node> _nodes;
    private readonly Dictionary<string, TensorData> _initializers;
    private Dictionary<string, Node>? _producers;
    private Dictionary<string, List<Node>>? _consumers;

    internal ModelGraph(GraphProto proto)
    {
        Proto = proto;
        _nodes = proto.Node.Select(n => new Node(n)).ToList();
        _initializers = new Dictionary<string, TensorData>(StringComparer.Ordinal);
        foreach (var t in proto.Initializer)
            _initializers[t.Name] = new TensorData(t);
    }

    /// <summary>The underlying protobuf; node and initializer lists are written back by <see cref="SyncToProto"/>.</summary>
    public GraphProto Proto { get; }

    /// <summary>The graph name.</summary>
    public string Name => Proto.Name;

    /// <summary>The nodes in their current order.</summary>
    public IReadOnlyList<Node> Nodes => _nodes;

    /// <summary>Initializers (weights and constants) by name.</summary>
    public IReadOnlyDictionary<string, TensorData> Initializers => _initializers;

    /// <summary>Graph inputs that are real inputs (not initializers listed as inputs, as opset &lt; 9 exporters do).</summary>
    public IReadOnlyList<ValueInfo> Inputs => Proto.Input.Where(i => !_initializers.ContainsKey(i.Name)).Select(ValueInfo.FromProto).ToArray();

    /// <summary>Graph outputs.</summary>
    public IReadOnlyList<ValueInfo> Outputs => Proto.Output.Select(ValueInfo.FromProto).ToArray();

    /// <summary>The declared type and shape of a value (input, output, value_info or initializer), or null.</summary>
    public ValueInfo? FindValueInfo(string name)
    {
        if (_initializers.TryGetValue(name, out var t))
            return new ValueInfo(name, t.Type, t.Dims.Select(d => new Dimension(d, null)).ToArray());
        var proto = Proto.Input.FirstOrDefault(v => v.Name == name)
            ?? Proto.Output.FirstOrDefault(v => v.Name == name)
            ?? Proto.ValueInfo.FirstOrDefault(v => v.Name == name);
        return proto is null ? null : ValueInfo.FromProto(proto);
    }

    /// <summary>The node that produces <paramref name="value"/>, or null for inputs, initializers and unknown names.</summary>
    public Node? Producer(string value)
    {
        _producers ??= BuildProducers();
        return _producers.GetValueOrDefault(value);
    }

    /// <summary>The nodes that read <paramref name="value"/> (each once, in graph order).</summary>
    public IReadOnlyList<Node> Consumers(string value)
    {
        _consumers ??= BuildConsumers();
        return _consumers.TryGetValue(value, out var list) ? list : [];
    }

    /// <summary>True when <paramref name="value"/> is a graph output.</summary>
    public bool IsGraphOutput(string value) => Proto.Output.Any(o => o.Name == value);

    /// <summary>The initializer for <paramref name="value"/>, or null when the value is computed.</summary>
    public TensorData? FindInitializer(string value) => _initializers.GetValueOrDefault(value);

    /// <summary>
    /// The nodes ordered so that every node comes after the producers of its inputs (Kahn's algorithm,
    /// stable with respect to the current order). Throws when the graph has a cycle, naming a node on it.
    /// </summary>
    public IReadOnlyList<Node> TopologicalOrder()
    {
        var producers = _producers ??= BuildProducers();
        var pending = new Dictionary<Node, int>(ReferenceEqualityComparer.Instance);
        var dependents = new Dictionary<Node, List<Node>>(ReferenceEqualityComparer.Instance);
        foreach (var node in _nodes)
        {
            int count = 0;
            foreach (var input in ImplicitAndExplicitInputs(node).Distinct())
            {
                if (producers.TryGetValue(input, out var p) && !ReferenceEquals(p, node))
                {
                    count++;
                    if (!dependents.TryGetValue(p, out var list)) dependents[p] = list = [];
                    list.Add(node);
                }
            }
            pending[node] = count;
        }
        var ready = new PriorityQueue<Node, int>();
        var index = new Dictionary<Node, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < _nodes.Count; i++) index[_nodes[i]] = i;
        foreach (var node in _nodes) if (pending[node] == 0) ready.Enqueue(node, index[node]);
        var order = new List<Node>(_nodes.Count);
        while (ready.TryDequeue(out var node, out _))
        {
            order.Add(node);
            if (!dependents.TryGetValue(node, out var list)) continue;
            foreach (var d in list)
                if (--pending[d] == 0) ready.Enqueue(d, index[d]);
        }
        if (order.Count != _nodes.Count)
        {
            var stuck = _nodes.First(n => pending[n] > 0);
            throw new ShrinkException($"Graph '{Name}' has a cycle through node '{stuck.DisplayName}' ({stuck.OpType}).");
        }
        return order;
    }

    /// <summary>Reorders the node list topologically (ONNX requires it).</summary>
    public void SortTopologically()
    {
        var order = TopologicalOrder();
        _nodes.Clear();
        _nodes.AddRange(order);
    }

    // Subgraphs may read outer-scope values by name; they count as inputs for ordering and renaming.
    private static IEnumerable<string> ImplicitAndExplicitInputs(Node node)
    {
        foreach (var i in node.Inputs) if (i.Length > 0) yield return i;
        if (!node.HasSubgraph) yield break;
        foreach (var name in OuterScopeReads(node.Proto)) yield return name;
    }

    private static IEnumerable<string> OuterScopeReads(NodeProto node)
    {
        foreach (var a in node.Attribute)
        {
            var graphs = a.G is not null ? a.Graphs.Prepend(a.G) : a.Graphs;
            foreach (var g in graphs)
            {
                var local = new HashSet<string>(g.Input.Select(i => i.Name).Concat(g.Initializer.Select(i => i.Name)).Concat(g.Node.SelectMany(n => n.Output)));
                foreach (var n in g.Node)
                {
                    foreach (var i in n.Input) if (i.Length > 0 && !local.Contains(i)) yield return i;
                    foreach (var i in OuterScopeReads(n)) if (!local.Contains(i)) yield return i;
                }
            }
        }
    }

    /// <summary>
    /// A value name not used anywhere in the graph, derived from <paramref name="stem"/>. Names handed out are reserved,
    /// so consecutive calls never collide even before the caller uses them. Names added by editing <see cref="Proto"/>
    /// directly after the first call are not seen; edit through this class.
    /// </summary>
    public string UniqueName(string stem)
    {
        // Kept across calls (a rewrite asks thousands of times); additions only make names more unique.
        var used = _usedNames ??= AllValueNames();
        string candidate = stem;
        for (int i = 1; used.Contains(candidate); i++) candidate = $"{stem}_{i}";
        used.Add(candidate);
        return candidate;
    }

    private HashSet<string>? _usedNames;

    private HashSet<string> AllValueNames()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var v in Proto.Input) names.Add(v.Name);
        foreach (var v in Proto.Output) names.Add(v.Name);
        foreach (var v in Proto.ValueInfo) names.Add(v.Name);
        foreach (var n in _initializers.Keys) names.Add(n);
        foreach (var node in _nodes)
        {
            foreach (var o in node.Outputs) names.Add(o);
            foreach (var i in node.Inputs) names.Add(i);
            if (node.Name.Length > 0) names.Add(node.Name);
        }
        return names;
    }

    /// <summary>
    /// Renames a value everywhere: its producer, consumers (also inside subgraphs that read it from the
    /// outer scope), graph inputs/outputs, value_info and initializer. Refuses a name already in use.
    /// </summary>
    public void RenameValue(string oldName, string newName)
    {
        if (oldName == newName) return;
        if (AllValueNames().Contains(newName))
            throw new ShrinkException($"Cannot rename '{oldName}' to '{newName}' in graph '{Name}': the name is already in use.");
        foreach (var node in _nodes)
        {
            RenameIn(node.Proto.Input, oldName, newName);
            RenameIn(node.Proto.Output, oldName, newName);
            if (node.HasSubgraph) RenameOuterReads(node.Proto, oldName, newName);
        }
        foreach (var v in Proto.Input.Concat(Proto.Output).Concat(Proto.ValueInfo))
            if (v.Name == oldName) v.Name = newName;
        if (_initializers.Remove(oldName, out var t))
        {
            t.Proto.Name = newName;
            _initializers[newName] = t;
        }
        _usedNames?.Add(newName);
        Invalidate();
    }

    private static void RenameIn(Google.Protobuf.Collections.RepeatedField<string> names, string oldName, string newName)
    {
        for (int i = 0; i < names.Count; i++) if (names[i] == oldName) names[i] = newName;
    }

    private static void RenameOuterReads(NodeProto node, string oldName, string newName)
    {
        foreach (var a in node.Attribute)
        {
            var graphs = a.G is not null ? a.Graphs.Prepend(a.G) : a.Graphs;
            foreach (var g in graphs)
            {
                // A subgraph that defines the name itself shadows the outer value.
                bool shadows = g.Input.Any(i => i.Name == oldName) || g.Initializer.Any(i => i.Name == oldName) || g.Node.Any(n => n.Output.Contains(oldName));
                if (shadows) continue;
                foreach (var n in g.Node)
                {
                    RenameIn(n.Input, oldName, newName);
                    RenameOuterReads(n, oldName, newName);
                }
            }
        }
    }

    /// <summary>Points input <paramref name="index"/> of <paramref name="node"/> at <paramref name="value"/>.</summary>
    public void SetInput(Node node, int index, string value)
    {
        node.Proto.Input[index] = value;
        _usedNames?.Add(value);
        Invalidate();
    }

    /// <summary>Points output <paramref name="index"/> of <paramref name="node"/> at <paramref name="value"/> (the old name stops existing).</summary>
    public void SetOutput(Node node, int index, string value)
    {
        node.Proto.Output[index] = value;
        _usedNames?.Add(value);
        Invalidate();
    }

    /// <summary>Makes every node except <paramref name="except"/> read <paramref name="newValue"/> instead of <paramref name="oldValue"/>; graph outputs keep their names.</summary>
    public void RedirectConsumers(string oldValue, string newValue, Node? except = null)
    {
        foreach (var node in _nodes)
            if (!ReferenceEquals(node, except)) RenameIn(node.Proto.Input, oldValue, newValue);
        Invalidate();
    }

    /// <summary>Appends an input to <paramref name="node"/>.</summary>
    public void AddInput(Node node, string value)
    {
        node.Proto.Input.Add(value);
        _usedNames?.Add(value);
        Invalidate();
    }

    /// <summary>Replaces every read of <paramref name="oldValue"/> by <paramref name="newValue"/> (graph outputs included).</summary>
    public void ReplaceAllUses(string oldValue, string newValue)
    {
        foreach (var node in _nodes) RenameIn(node.Proto.Input, oldValue, newValue);
        foreach (var o in Proto.Output) if (o.Name == oldValue) o.Name = newValue;
        Invalidate();
    }

    /// <summary>Adds a node built from the arguments; returns it. The caller keeps the order valid or calls <see cref="SortTopologically"/>.</summary>
    public Node AddNode(string opType, IEnumerable<string> inputs, IEnumerable<string> outputs, string? name = null, string domain = "", int? insertAt = null)
    {
        var proto = new NodeProto { OpType = opType, Domain = domain, Name = name ?? "" };
        proto.Input.AddRange(inputs);
        proto.Output.AddRange(outputs);
        var node = new Node(proto);
        if (insertAt is int at) _nodes.Insert(at, node); else _nodes.Add(node);
        Invalidate();
        Reserve(proto);
        return node;
    }

    /// <summary>Inserts an existing node wrapper (e.g. moved from another graph).</summary>
    public Node AddNode(NodeProto proto)
    {
        var node = new Node(proto);
        _nodes.Add(node);
        Invalidate();
        Reserve(proto);
        return node;
    }

    /// <summary>Removes a node. Its outputs must no longer be read (check <see cref="Consumers"/> first).</summary>
    public void RemoveNode(Node node)
    {
        if (!_nodes.Remove(node))
            throw new InvalidOperationException($"Node '{node.DisplayName}' is not in graph '{Name}'.");
        Invalidate();
    }

    /// <summary>The position of <paramref name="node"/> in <see cref="Nodes"/>.</summary>
    public int IndexOf(Node node) => _nodes.IndexOf(node);

    /// <summary>Adds or replaces an initializer.</summary>
    public void SetInitializer(TensorData tensor)
    {
        _initializers[tensor.Name] = tensor;
        _usedNames?.Add(tensor.Name);
    }

    /// <summary>Removes an initializer (and its entry among graph inputs, if any).</summary>
    public bool RemoveInitializer(string name)
    {
        for (int i = Proto.Input.Count - 1; i >= 0; i--)
            if (Proto.Input[i].Name == name && _initializers.ContainsKey(name)) Proto.Input.RemoveAt(i);
        return _initializers.Remove(name);
    }

    /// <summary>Adds or replaces a value_info entry.</summary>
    public void SetValueInfo(ValueInfo info)
    {
        for (int i = 0; i < Proto.ValueInfo.Count; i++)
        {
            if (Proto.ValueInfo[i].Name == info.Name)
            {
                Proto.ValueInfo[i] = info.ToProto();
                return;
            }
        }
        Proto.ValueInfo.Add(info.ToProto());
    }

    /// <summary>Drops initializers that no node (or subgraph) reads and that are not graph outputs.</summary>
    public int RemoveUnusedInitializers()
    {
        var used = new HashSet<string>(_nodes.SelectMany(ImplicitAndExplicitInputs));
        foreach (var o in Proto.Output) used.Add(o.Name);
        var dead = _initializers.Keys.Where(k => !used.Contains(k)).ToList();
        foreach (var name in dead) RemoveInitializer(name);
        return dead.Count;
    }

    /// <summary>Writes the node and initializer lists back into <see cref="Proto"/> (done by the writer before saving).</summary>
    public void SyncToProto()
    {
        Proto.Node.Clear();
        Proto.Node.AddRange(_nodes.Select(n => n.Proto));
        // Keep the original initializer order where possible: it keeps diffs of saved models small.
        var existing = Proto.Initializer.Select(t => t.Name).Where(_initializers.ContainsKey).ToList();
        var seen = new HashSet<string>(existing);
        Proto.Initializer.Clear();
        foreach (var name in existing) Proto.Initializer.Add(_initializers[name].Proto);
        foreach (var (name, t) in _initializers) if (!seen.Contains(name)) Proto.Initializer.Add(t.Proto);
    }

    private void Reserve(NodeProto proto)
    {
        if (_usedNames is null) return;
        _usedNames.UnionWith(proto.Input);
        _usedNames.UnionWith(proto.Output);
        if (proto.Name.Length > 0) _usedNames.Add(proto.Name);
    }

    private void Invalidate()
    {
        _producers = null;
        _consumers = null;
    }

    private Dictionary<string, Node> BuildProducers()
    {
        var map = new Dictionary<string, Node>(StringComparer.Ordinal);
        foreach (var node in _nodes)
            foreach (var o in node.Outputs)
                if (o.Length > 0) map[o] = node;
        return map;
    }

    private Dictionary<string, List<Node>> BuildConsumers()
    {
        var map = new Dictionary<string, List<Node>>(StringComparer.Ordinal);
        foreach (var node in _nodes)
        {
            foreach (var i in ImplicitAndExplicitInputs(node).Distinct())
            {
                if (!map.TryGetValue(i, out var list)) map[i] = list = [];
                list.Add(node);
            }
        }
        return map;
    }
}
