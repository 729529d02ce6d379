using Onnx;

namespace Shrink.Model;

/// <summary>
/// The main graph of a model as an editable IR: nodes in order, initializers by name, declared inputs,
/// outputs and value_info, with producer and consumer lookups and a topological order. Everything that
/// the IR does not model (sparse initializers, quantization annotations, subgraphs inside attributes)
/// stays in <see cref="Proto"/> and round-trips unchanged.
/// </summary>
/// <remarks>
/// Edits cost time in proportion to the node edited, not to the graph: nodes are kept in a linked order (the
/// <see cref="Nodes"/> list is rebuilt once when next asked for), and the producer and consumer indexes, once built,
/// are updated for the edited node only. Insert next to a node with <see cref="AddNodeBefore"/> and
/// <see cref="AddNodeAfter"/>; <see cref="IndexOf"/> and <c>insertAt</c> need the list, so a loop that edits and asks for
/// positions in turn rebuilds it every time.
/// </remarks>
public sealed class ModelGraph
{
    // Spacing of the Node.Order labels: an insertion between two nodes takes the midpoint of their labels, so about 32
    // insertions fit in one gap before the labels are spread out again (one pass over the nodes).
    private const long OrderGap = 1L << 32;

    private readonly Dictionary<string, TensorData> _initializers;
    private Node? _first;
    private Node? _last;
    private int _count;
    private List<Node>? _list;
    private Dictionary<string, Node>? _producers;
    private Dictionary<string, Readers>? _consumers;
    private Dictionary<string, ValueInfoProto>? _declared;
    private (int Inputs, int Outputs, int ValueInfo) _declaredCounts;
    private HashSet<string>? _usedNames;
    private Dictionary<string, int>? _nextSuffix;

    internal ModelGraph(GraphProto proto)
    {
        Proto = proto;
        foreach (var n in proto.Node) Link(new Node(n), before: null);
        _initializers = new Dictionary<string, TensorData>(StringComparer.Ordinal);
        foreach (var t in proto.Initializer)
            _initializers[t.Name] = new TensorData(t);
    }

    /// <summary>The underlying protobuf; node and initializer lists are written back by <see cref="SyncToProto"/>.</summary>
    public GraphProto Proto { get; }

    /// <summary>The graph name.</summary>
    public string Name => Proto.Name;

    /// <summary>The nodes in their current order (a snapshot: it does not change when the graph is edited later).</summary>
    public IReadOnlyList<Node> Nodes => _list ??= Materialize();

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
        var proto = Declared(name);
        return proto is null ? null : ValueInfo.FromProto(proto);
    }

    // Graph inputs, then outputs, then value_info, the first of each name winning; rebuilt when a list's length changed
    // (callers add and remove entries of Proto directly) or a cached entry was renamed.
    private ValueInfoProto? Declared(string name)
    {
        var counts = (Proto.Input.Count, Proto.Output.Count, Proto.ValueInfo.Count);
        if (_declared is null || _declaredCounts != counts)
        {
            _declared = new Dictionary<string, ValueInfoProto>(StringComparer.Ordinal);
            foreach (var v in Proto.Input) _declared.TryAdd(v.Name, v);
            foreach (var v in Proto.Output) _declared.TryAdd(v.Name, v);
            foreach (var v in Proto.ValueInfo) _declared.TryAdd(v.Name, v);
            _declaredCounts = counts;
        }
        if (!_declared.TryGetValue(name, out var found)) return null;
        if (found.Name == name) return found;
        _declared = null;
        return Declared(name);
    }

    /// <summary>The node that produces <paramref name="value"/>, or null for inputs, initializers and unknown names.</summary>
    public Node? Producer(string value)
    {
        EnsureIndexes();
        return _producers!.GetValueOrDefault(value);
    }

    /// <summary>The nodes that read <paramref name="value"/> (each once, in graph order).</summary>
    public IReadOnlyList<Node> Consumers(string value)
    {
        EnsureIndexes();
        if (!_consumers!.TryGetValue(value, out var list)) return [];
        list.HandedOut = true; // a later edit copies it first, so callers may hold it while editing
        return list;
    }

    /// <summary>True when <paramref name="value"/> is a graph output.</summary>
    public bool IsGraphOutput(string value)
    {
        foreach (var o in Proto.Output)
            if (o.Name == value) return true;
        return false;
    }

    /// <summary>The initializer for <paramref name="value"/>, or null when the value is computed.</summary>
    public TensorData? FindInitializer(string value) => _initializers.GetValueOrDefault(value);

    /// <summary>
    /// The constant value of <paramref name="value"/>: its initializer, or the value of the default-domain Constant node
    /// that produces it (exporters at opsets 9 to 13 write weights and fills so); null when it is computed.
    /// </summary>
    public TensorData? FindConstant(string value) =>
        FindInitializer(value) ?? (Producer(value) is { OpType: Ops.OpTypes.Constant } c && Ops.OpDomains.IsDefault(c.Domain) ? c.ConstantValue() : null);

    /// <summary>
    /// The nodes ordered so that every node comes after the producers of its inputs (Kahn's algorithm,
    /// stable with respect to the current order). Throws when the graph has a cycle, naming a node on it.
    /// </summary>
    public IReadOnlyList<Node> TopologicalOrder()
    {
        var nodes = Nodes;
        EnsureIndexes();
        var producers = _producers!;
        var pending = new int[nodes.Count];
        bool ordered = true;
        for (int i = 0; i < nodes.Count; i++)
        {
            var node = nodes[i];
            foreach (var input in node.IndexedReads!)
            {
                if (producers.TryGetValue(input, out var p) && !ReferenceEquals(p, node))
                {
                    pending[i]++;
                    if (p.Position > i) ordered = false;
                }
            }
        }
        if (ordered) return nodes.ToList();

        var ready = new PriorityQueue<Node, int>();
        for (int i = 0; i < nodes.Count; i++) if (pending[i] == 0) ready.Enqueue(nodes[i], i);
        var order = new List<Node>(nodes.Count);
        while (ready.TryDequeue(out var node, out _))
        {
            order.Add(node);
            // Each distinct value a node reads counted once in pending; each (output, reader) pair releases it once.
            foreach (var output in node.IndexedWrites!)
            {
                if (!_consumers!.TryGetValue(output, out var readers) || !ReferenceEquals(producers.GetValueOrDefault(output), node)) continue;
                foreach (var d in readers)
                    if (!ReferenceEquals(d, node) && --pending[d.Position] == 0) ready.Enqueue(d, d.Position);
            }
        }
        if (order.Count != nodes.Count)
        {
            var stuck = nodes.First(n => pending[n.Position] > 0);
            throw new ShrinkException($"Graph '{Name}' has a cycle through node '{stuck.DisplayName}' ({stuck.OpType}).");
        }
        return order;
    }

    /// <summary>Reorders the node list topologically (ONNX requires it).</summary>
    public void SortTopologically()
    {
        var order = TopologicalOrder();
        if (order.SequenceEqual(Nodes)) return;
        _first = _last = null;
        _count = 0;
        foreach (var node in order)
        {
            node.Previous = node.Next = null;
            node.Owner = null;
            Link(node, before: null);
        }
        Invalidate(); // the consumer lists follow the order
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
        if (used.Add(stem)) return stem;
        // The smallest free suffix: every suffix below the one remembered for this stem is taken for good.
        _nextSuffix ??= new Dictionary<string, int>(StringComparer.Ordinal);
        int i = _nextSuffix.GetValueOrDefault(stem, 1);
        string candidate;
        do candidate = $"{stem}_{i++}";
        while (!used.Add(candidate));
        _nextSuffix[stem] = i;
        return candidate;
    }

    /// <summary>
    /// Makes <see cref="UniqueName"/> hand out names unused in <paramref name="names"/> too, and record them there: graphs
    /// of one model that share one set (the main graph and its subgraphs) never hand out the same name or shadow each
    /// other's values. This graph's names are added to the set.
    /// </summary>
    internal void ShareNames(HashSet<string> names)
    {
        names.UnionWith(AllValueNames());
        if (_usedNames is not null) names.UnionWith(_usedNames);
        _usedNames = names;
    }

    /// <summary>
    /// Drops the producer and consumer indexes so the next lookup rebuilds them: call it after editing a subgraph held by
    /// one of this graph's nodes (what a subgraph reads from this graph counts as the holder's input).
    /// </summary>
    internal void SubgraphsEdited() => Invalidate();

    private HashSet<string> AllValueNames()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var v in Proto.Input) names.Add(v.Name);
        foreach (var v in Proto.Output) names.Add(v.Name);
        foreach (var v in Proto.ValueInfo) names.Add(v.Name);
        foreach (var n in _initializers.Keys) names.Add(n);
        for (var node = _first; node is not null; node = node.Next)
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
        for (var node = _first; node is not null; node = node.Next)
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
        _declared = null;
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
        Reindex(node);
    }

    /// <summary>Points output <paramref name="index"/> of <paramref name="node"/> at <paramref name="value"/> (the old name stops existing).</summary>
    public void SetOutput(Node node, int index, string value)
    {
        node.Proto.Output[index] = value;
        _usedNames?.Add(value);
        Reindex(node);
    }

    /// <summary>
    /// Makes every node except <paramref name="except"/> read <paramref name="newValue"/> instead of
    /// <paramref name="oldValue"/>, reads inside the subgraphs of a node (If branches, Loop and Scan bodies) included;
    /// graph outputs keep their names.
    /// </summary>
    public void RedirectConsumers(string oldValue, string newValue, Node? except = null)
    {
        foreach (var node in Consumers(oldValue).ToArray())
        {
            if (ReferenceEquals(node, except)) continue;
            RenameIn(node.Proto.Input, oldValue, newValue);
            if (node.HasSubgraph) RenameOuterReads(node.Proto, oldValue, newValue);
            Reindex(node);
        }
    }

    /// <summary>Appends an input to <paramref name="node"/>.</summary>
    public void AddInput(Node node, string value)
    {
        node.Proto.Input.Add(value);
        _usedNames?.Add(value);
        Reindex(node);
    }

    /// <summary>Appends an output to <paramref name="node"/>.</summary>
    public void AddOutput(Node node, string value)
    {
        node.Proto.Output.Add(value);
        _usedNames?.Add(value);
        Reindex(node);
    }

    /// <summary>Removes every graph output declaration (the values stay).</summary>
    public void ClearGraphOutputs()
    {
        Proto.Output.Clear();
        _declared = null;
    }

    /// <summary>Declares a graph output with a type and shape (after the existing ones).</summary>
    public void AddGraphOutput(ValueInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        Proto.Output.Add(info.ToProto());
    }

    /// <summary>Replaces every read of <paramref name="oldValue"/> by <paramref name="newValue"/> (graph outputs included).</summary>
    public void ReplaceAllUses(string oldValue, string newValue)
    {
        RedirectConsumers(oldValue, newValue);
        foreach (var o in Proto.Output) if (o.Name == oldValue) o.Name = newValue;
        _declared = null;
    }

    /// <summary>Adds a node built from the arguments; returns it. The caller keeps the order valid or calls <see cref="SortTopologically"/>.</summary>
    /// <param name="opType">The operator type.</param>
    /// <param name="inputs">Input value names.</param>
    /// <param name="outputs">Output value names.</param>
    /// <param name="name">The node name (none when null).</param>
    /// <param name="domain">The operator domain.</param>
    /// <param name="insertAt">The position in <see cref="Nodes"/> (appended when null). Positions other than the first and
    /// the end rebuild the node list when it is stale; <see cref="AddNodeBefore"/> and <see cref="AddNodeAfter"/> do not.</param>
    public Node AddNode(string opType, IEnumerable<string> inputs, IEnumerable<string> outputs, string? name = null, string domain = "", int? insertAt = null)
    {
        Node? before = null;
        if (insertAt is int at)
        {
            if (at < 0 || at > _count) throw new ArgumentOutOfRangeException(nameof(insertAt), at, $"Graph '{Name}' has {_count} nodes.");
            before = at == _count ? null : at == 0 ? _first : Nodes[at];
        }
        return Insert(Create(opType, inputs, outputs, name, domain), before);
    }

    /// <summary>Adds a node built from the arguments just before <paramref name="anchor"/>; returns it.</summary>
    public Node AddNodeBefore(Node anchor, string opType, IEnumerable<string> inputs, IEnumerable<string> outputs, string? name = null, string domain = "")
    {
        EnsureOwned(anchor);
        return Insert(Create(opType, inputs, outputs, name, domain), anchor);
    }

    /// <summary>Adds a node built from the arguments just after <paramref name="anchor"/>; returns it.</summary>
    public Node AddNodeAfter(Node anchor, string opType, IEnumerable<string> inputs, IEnumerable<string> outputs, string? name = null, string domain = "")
    {
        EnsureOwned(anchor);
        return Insert(Create(opType, inputs, outputs, name, domain), anchor.Next);
    }

    /// <summary>Inserts an existing node wrapper (e.g. moved from another graph).</summary>
    public Node AddNode(NodeProto proto) => Insert(new Node(proto), before: null);

    private static Node Create(string opType, IEnumerable<string> inputs, IEnumerable<string> outputs, string? name, string domain)
    {
        var proto = new NodeProto { OpType = opType, Domain = domain, Name = name ?? "" };
        proto.Input.AddRange(inputs);
        proto.Output.AddRange(outputs);
        return new Node(proto);
    }

    private Node Insert(Node node, Node? before)
    {
        Link(node, before);
        if (_producers is not null) Index(node);
        Reserve(node.Proto);
        return node;
    }

    private void EnsureOwned(Node node)
    {
        if (!ReferenceEquals(node.Owner, this))
            throw new InvalidOperationException($"Node '{node.DisplayName}' is not in graph '{Name}'.");
    }

    /// <summary>Removes a node. Its outputs must no longer be read (check <see cref="Consumers"/> first).</summary>
    public void RemoveNode(Node node)
    {
        EnsureOwned(node);
        if (_producers is not null) Unindex(node);
        Unlink(node);
    }

    /// <summary>The position of <paramref name="node"/> in <see cref="Nodes"/>, or -1 when it is not in the graph.</summary>
    public int IndexOf(Node node)
    {
        if (!ReferenceEquals(node.Owner, this)) return -1;
        _ = Nodes;
        return node.Position;
    }

    /// <summary>True when <paramref name="node"/> is in this graph.</summary>
    public bool Contains(Node node) => ReferenceEquals(node.Owner, this);

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
        _declared = null;
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
        EnsureIndexes();
        var outputs = Proto.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var dead = _initializers.Keys.Where(k => !_consumers!.ContainsKey(k) && !outputs.Contains(k)).ToHashSet(StringComparer.Ordinal);
        if (dead.Count == 0) return 0;
        for (int i = Proto.Input.Count - 1; i >= 0; i--)
            if (dead.Contains(Proto.Input[i].Name)) Proto.Input.RemoveAt(i);
        foreach (var name in dead) _initializers.Remove(name);
        return dead.Count;
    }

    /// <summary>Writes the node and initializer lists back into <see cref="Proto"/> (done by the writer before saving).</summary>
    public void SyncToProto()
    {
        Proto.Node.Clear();
        Proto.Node.AddRange(Nodes.Select(n => n.Proto));
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

    // Drops the producer and consumer indexes; the next lookup rebuilds them.
    private void Invalidate()
    {
        _producers = null;
        _consumers = null;
    }

    private List<Node> Materialize()
    {
        var list = new List<Node>(_count);
        for (var node = _first; node is not null; node = node.Next)
        {
            node.Position = list.Count;
            list.Add(node);
        }
        return list;
    }

    // Puts a node before `before` (at the end when null) in the linked order.
    private void Link(Node node, Node? before)
    {
        if (node.Owner is not null)
            throw new InvalidOperationException($"Node '{node.DisplayName}' is already in graph '{node.Owner.Name}'.");
        node.Owner = this;
        if (before is null)
        {
            if (_last is not null && _last.Order > long.MaxValue / 2) Relabel();
            node.Order = _last is null ? 0 : _last.Order + OrderGap;
            node.Previous = _last;
            if (_last is null) _first = node; else _last.Next = node;
            _last = node;
        }
        else
        {
            if (before.Previous is null && before.Order < long.MinValue / 2) Relabel();
            if (before.Previous is { } p && before.Order - p.Order < 2) Relabel();
            var previous = before.Previous;
            node.Order = previous is null ? before.Order - OrderGap : previous.Order + (before.Order - previous.Order) / 2;
            node.Previous = previous;
            node.Next = before;
            before.Previous = node;
            if (previous is null) _first = node; else previous.Next = node;
        }
        _count++;
        _list = null;
    }

    private void Unlink(Node node)
    {
        if (node.Previous is null) _first = node.Next; else node.Previous.Next = node.Next;
        if (node.Next is null) _last = node.Previous; else node.Next.Previous = node.Previous;
        node.Previous = node.Next = null;
        node.Owner = null;
        _count--;
        _list = null;
    }

    // Spreads the order labels evenly again (they only need to grow along the list).
    private void Relabel()
    {
        long order = 0;
        for (var node = _first; node is not null; node = node.Next, order += OrderGap) node.Order = order;
    }

    private void EnsureIndexes()
    {
        if (_producers is not null) return;
        _producers = new Dictionary<string, Node>(StringComparer.Ordinal);
        _consumers = new Dictionary<string, Readers>(StringComparer.Ordinal);
        for (var node = _first; node is not null; node = node.Next) Index(node);
    }

    // Records what the node reads and writes in the indexes (the indexes exist).
    private void Index(Node node)
    {
        var reads = DistinctReads(node);
        node.IndexedReads = reads;
        foreach (var value in reads)
        {
            var readers = Writable(value);
            if (readers.Count == 0 || readers[^1].Order < node.Order) readers.Add(node);
            else readers.Insert(Search(readers, node.Order), node);
        }
        var writes = new string[node.Proto.Output.Count(o => o.Length > 0)];
        int k = 0;
        foreach (var o in node.Proto.Output)
        {
            if (o.Length == 0) continue;
            writes[k++] = o;
            _producers![o] = node;
        }
        node.IndexedWrites = writes;
    }

    private void Unindex(Node node)
    {
        foreach (var value in node.IndexedReads ?? [])
        {
            if (!_consumers!.ContainsKey(value)) continue;
            var readers = Writable(value);
            int at = Search(readers, node.Order);
            if (at < readers.Count && ReferenceEquals(readers[at], node)) readers.RemoveAt(at);
            else readers.Remove(node);
            if (readers.Count == 0) _consumers.Remove(value);
        }
        foreach (var value in node.IndexedWrites ?? [])
            if (_producers!.TryGetValue(value, out var p) && ReferenceEquals(p, node)) _producers.Remove(value);
        node.IndexedReads = node.IndexedWrites = null;
    }

    // After an edit of the node's inputs or outputs: its index entries follow.
    private void Reindex(Node node)
    {
        if (_producers is null || !ReferenceEquals(node.Owner, this)) return;
        Unindex(node);
        Index(node);
    }

    // The readers of a value, safe to change: a list handed out by Consumers is replaced by a copy first.
    private Readers Writable(string value)
    {
        if (!_consumers!.TryGetValue(value, out var readers)) return _consumers[value] = [];
        if (!readers.HandedOut) return readers;
        var copy = new Readers();
        copy.AddRange(readers);
        return _consumers[value] = copy;
    }

    private sealed class Readers : List<Node>
    {
        public bool HandedOut;
    }

    // The first position in `readers` (sorted by order) whose order is not below `order`.
    private static int Search(List<Node> readers, long order)
    {
        int lo = 0, hi = readers.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (readers[mid].Order < order) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    private static string[] DistinctReads(Node node)
    {
        var inputs = node.Proto.Input;
        if (!node.HasSubgraph && inputs.Count <= 8)
        {
            int n = 0;
            Span<int> keep = stackalloc int[inputs.Count];
            for (int i = 0; i < inputs.Count; i++)
            {
                string value = inputs[i];
                if (value.Length == 0) continue;
                bool seen = false;
                for (int j = 0; j < n && !seen; j++) seen = inputs[keep[j]] == value;
                if (!seen) keep[n++] = i;
            }
            var reads = new string[n];
            for (int j = 0; j < n; j++) reads[j] = inputs[keep[j]];
            return reads;
        }
        return ImplicitAndExplicitInputs(node).Distinct(StringComparer.Ordinal).ToArray();
    }

    /// <summary>The names of every declared graph input, initializers listed as inputs included, in order.</summary>
    public IReadOnlyList<string> DeclaredInputNames => Proto.Input.Select(i => i.Name).ToArray();

    /// <summary>The names of every declared input, output and value_info entry.</summary>
    public IEnumerable<string> DeclaredValueNames => Proto.Input.Concat(Proto.Output).Concat(Proto.ValueInfo).Select(v => v.Name);

    /// <summary>Declares a graph input (after the existing ones).</summary>
    public void AddGraphInput(ValueInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        Proto.Input.Add(info.ToProto());
    }

    /// <summary>
    /// Fixes dim <paramref name="axis"/> of the declared shape of graph input or output <paramref name="name"/> at
    /// <paramref name="size"/> (channel pruning of a decoder's KV cache: its head axis shrinks).
    /// </summary>
    /// <exception cref="ArgumentException">No graph input or output has that name with a declared dim at that axis.</exception>
    public void SetDeclaredDim(string name, int axis, long size)
    {
        bool found = false;
        foreach (var v in Proto.Input.Concat(Proto.Output).Where(v => v.Name == name))
        {
            var dims = v.Type?.TensorType?.Shape?.Dim;
            if (dims is null || axis < 0 || axis >= dims.Count)
                throw new ArgumentException($"Graph value '{name}' declares no dim {axis}.", nameof(axis));
            dims[axis] = new TensorShapeProto.Types.Dimension { DimValue = size };
            found = true;
        }
        if (!found) throw new ArgumentException($"'{name}' is not a graph input or output.", nameof(name));
        _declared = null;
    }

    /// <summary>Declares a graph output with no type or shape (after the existing ones), e.g. to expose an intermediate value.</summary>
    public void AddGraphOutput(string name) => Proto.Output.Add(new ValueInfoProto { Name = name });

    /// <summary>Removes the value_info entries whose names are in <paramref name="names"/>, keeping the others in order.</summary>
    public int RemoveValueInfos(IReadOnlySet<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        int removed = 0;
        for (int i = Proto.ValueInfo.Count - 1; i >= 0; i--)
        {
            if (!names.Contains(Proto.ValueInfo[i].Name)) continue;
            Proto.ValueInfo.RemoveAt(i);
            removed++;
        }
        if (removed > 0) _declared = null;
        return removed;
    }
}
