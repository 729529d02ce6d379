using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Methods.Pruning.Dependency;

/// <summary>
/// Builds a <see cref="ChannelDependencyGraph"/>: visits the nodes in topological order and applies, at each, the rule
/// its <see cref="OpSchema.ChannelFlow"/> in the <see cref="OpCatalog"/> names (the rules are in the partial files
/// next to this one: layers, elementwise, shapes); keeps the groups as a union-find and the channel layout of every value.
/// </summary>
internal sealed partial class ChannelDependencyBuilder(ModelGraph graph, IReadOnlyDictionary<string, long[]> shapes)
{
    private readonly List<RawGroup> _groups = [];
    private readonly Dictionary<string, ChannelLayout> _layouts = new(StringComparer.Ordinal);
    private readonly List<ChannelTensorSlice> _slices = [];
    private readonly List<ChannelAttributeEdit> _edits = [];
    private readonly Dictionary<string, (Node Shape, ChannelLayout Layout)> _channelCountReads = new(StringComparer.Ordinal);

    private sealed class RawGroup(int size)
    {
        public int Size { get; } = size;
        public int Parent { get; set; } = -1;
        public List<ChannelProducer> Producers { get; } = [];
        public List<ChannelConsumer> Consumers { get; } = [];
        public List<ChannelBatchNorm> BatchNorms { get; } = [];
        public List<string> Reasons { get; } = [];
        public int? HeadSize { get; set; }
    }

    public ChannelDependencyGraph Run()
    {
        foreach (var node in graph.TopologicalOrder()) Visit(node);
        // A Shape read of the channel count is fine only where the Reshape it feeds had that piece replaced.
        foreach (var (shapeRead, layout) in _channelCountReads.Values) Refuse(layout, $"Shape {shapeRead.DisplayName} reads the channel count");
        foreach (var output in graph.Outputs)
            if (_layouts.TryGetValue(output.Name, out var layout) && !AllowsCacheOutput(output.Name, layout)) Refuse(layout, $"its channels reach graph output '{output.Name}'");
        CheckSharedInitializers();
        return Finish();
    }

    private int Find(int id)
    {
        while (_groups[id].Parent >= 0) id = _groups[id].Parent;
        return id;
    }

    private void Union(int a, int b, Node at)
    {
        a = Find(a);
        b = Find(b);
        if (a == b) return;
        var ga = _groups[a];
        var gb = _groups[b];
        if (ga.Size != gb.Size || ga.HeadSize != gb.HeadSize)
        {
            ga.Reasons.Add($"{at.DisplayName} ({at.OpType}) ties it to a group of {Unit(gb)}");
            gb.Reasons.Add($"{at.DisplayName} ({at.OpType}) ties it to a group of {Unit(ga)}");
            return;
        }
        gb.Parent = a;
        ga.Producers.AddRange(gb.Producers);
        ga.Consumers.AddRange(gb.Consumers);
        ga.BatchNorms.AddRange(gb.BatchNorms);
        ga.Reasons.AddRange(gb.Reasons);
    }

    private RawGroup Group(int id) => _groups[Find(id)];

    private static string Unit(RawGroup g) => g.HeadSize is int dh ? $"{g.Size} heads × {dh}" : $"{g.Size} channels";

    private int NewGroup(int size)
    {
        _groups.Add(new RawGroup(size));
        return _groups.Count - 1;
    }

    private void Refuse(ChannelLayout layout, string reason)
    {
        foreach (var s in layout.Segments)
        {
            var g = Group(s.GroupId);
            if (!g.Reasons.Contains(reason)) g.Reasons.Add(reason);
        }
    }

    private void RefuseInputs(Node node, string reason)
    {
        foreach (var input in node.Inputs)
            if (_layouts.TryGetValue(input, out var layout)) Refuse(layout, reason);
    }

    private ChannelLayout? LayoutOf(Node node, int input) =>
        node.Inputs.Count > input && _layouts.TryGetValue(node.Inputs[input], out var l) ? l : null;

    private long[]? ShapeOf(string value) =>
        shapes.TryGetValue(value, out var s) ? s : graph.FindInitializer(value)?.Dims.ToArray();

    private void Visit(Node node)
    {
        bool anyLayout = node.Inputs.Any(_layouts.ContainsKey);
        string op = node.OpType;
        if (!OpDomains.IsDefault(node.Domain))
        {
            if (anyLayout) RefuseInputs(node, $"unsupported op {node.Domain}.{op} at {node.DisplayName}");
            return;
        }
        var schema = OpCatalog.Find(op, node.Domain);
        if (schema is { ChannelFlow: ChannelFlow.Produces, Layer: not null })
        {
            VisitLayer(node, schema);
            return;
        }
        if (node.HasSubgraph)
        {
            // What the subgraph reads from this graph counts as an input: channels it sees must keep their count.
            foreach (var read in node.Inputs.Concat(Subgraphs.OuterReads(node)))
                if (_layouts.TryGetValue(read, out var layout)) Refuse(layout, $"{op} {node.DisplayName} reads the channels inside a subgraph");
            return;
        }
        if (!anyLayout) return;
        switch (schema?.ChannelFlow ?? ChannelFlow.Blocks)
        {
            case ChannelFlow.PassesThrough: VisitUnary(node, schema!); break;
            case ChannelFlow.Ties: VisitElementwise(node); break;
            case ChannelFlow.NormalizesPerChannel: VisitBatchNorm(node); break;
            case ChannelFlow.Pools: VisitPooling(node); break;
            case ChannelFlow.Reshapes: VisitReshape(node); break;
            case ChannelFlow.Permutes: VisitTranspose(node); break;
            case ChannelFlow.Concatenates: VisitConcat(node); break;
            case ChannelFlow.Splits: VisitSplit(node); break;
            case ChannelFlow.Gathers: VisitGather(node); break;
            case ChannelFlow.Slices: VisitSlice(node); break;
            case ChannelFlow.NormalizesAlongAxis: VisitSoftmax(node); break;
            case ChannelFlow.ReadsShape: VisitShape(node); break;
            case ChannelFlow.Resamples: VisitResize(node); break;
            case ChannelFlow.Reduces: VisitReduce(node); break;
            case ChannelFlow.NormalizesGroups: VisitGroupNormalization(node); break;
            default: RefuseInputs(node, $"unsupported op {op} at {node.DisplayName}"); break;
        }
    }

    private void VisitLayer(Node node, OpSchema schema)
    {
        switch (schema.Layer)
        {
            case LayerKind.Convolution: VisitConv(node); break;
            case LayerKind.TransposedConvolution: VisitConvTranspose(node); break;
            case LayerKind.Gemm: VisitGemm(node, schema); break;
            case LayerKind.MatMul: VisitMatMul(node); break;
        }
    }

    /// <summary>The one node other than Shape that reads <paramref name="value"/>, if there is exactly one.</summary>
    private Node? SoleReader(string value)
    {
        var readers = graph.Consumers(value).Where(r => r.OpType != OpTypes.Shape).ToList();
        return readers.Count == 1 && !graph.IsGraphOutput(value) ? readers[0] : null;
    }

    private void AddConsumer(Node node, string weight, int axis, ChannelLayout layout, string input)
    {
        _slices.Add(new ChannelTensorSlice(weight, axis, layout, node, "input"));
        int offset = 0;
        foreach (var s in layout.Segments)
        {
            Group(s.GroupId).Consumers.Add(new ChannelConsumer(node, weight, axis, offset, layout.Block, input, layout.Axis));
            offset += s.Count;
        }
    }

    private void AddProducer(Node node, TensorData weight, int axis, int rank, string? bias, int biasAxis, (int Heads, int HeadSize, int Parts)? heads = null)
    {
        int size = heads?.Heads ?? (int)weight.Dims[axis];
        int id = NewGroup(size);
        // Convolutions write channels on axis 1, Gemm and MatMul on the last axis (axis 1 of a 2-D output either way).
        int channelAxis = rank == 2 ? 1 : OpCatalog.FindLayer(node.OpType, node.Domain)!.OutputChannelAxis!(rank);
        var layout = ChannelLayout.Single(id, size, channelAxis, rank);
        if (heads is { } h)
        {
            layout = layout with { Block = h.HeadSize, Repeats = h.Parts };
            // A chunked projection's runs (head size 1) hold plain channels.
            _groups[id].HeadSize = h.HeadSize > 1 ? h.HeadSize : null;
        }
        _groups[id].Producers.Add(new ChannelProducer(node, weight.Name, axis, node.Outputs[0], layout.Block, layout.Repeats));
        _slices.Add(new ChannelTensorSlice(weight.Name, axis, layout, node, "output"));
        if (bias is not null) _slices.Add(new ChannelTensorSlice(bias, biasAxis, layout, node, "bias"));
        _layouts[node.Outputs[0]] = layout;
    }

    private void CheckSharedInitializers()
    {
        foreach (var byTensor in _slices.GroupBy(s => s.Tensor))
        {
            var readers = graph.Consumers(byTensor.Key);
            bool shared = readers.Count > 1;
            bool conflicting = byTensor.GroupBy(s => s.Axis).Any(a => a.Select(s => s.Layout).Distinct().Count() > 1
                && !a.All(s => s.Layout.SameShape(a.First().Layout) && s.Layout.Segments.Select(x => Find(x.GroupId)).SequenceEqual(a.First().Layout.Segments.Select(x => Find(x.GroupId)))));
            if (shared || conflicting || graph.IsGraphOutput(byTensor.Key))
                foreach (var s in byTensor) Refuse(s.Layout, $"initializer '{byTensor.Key}' is shared by several nodes");
        }
    }

    private ChannelDependencyGraph Finish()
    {
        // Groups that reach a GroupNorm count runs of channels (see the GroupNorm rules).
        var units = NormUnits();
        var (normSlices, normEdits) = GroupNormCuts(units);
        var map = new Dictionary<int, int>();
        var groups = new List<ChannelGroup>();
        for (int i = 0; i < _groups.Count; i++)
        {
            if (_groups[i].Parent >= 0) continue;
            var g = _groups[i];
            map[i] = groups.Count;
            int unit = units.GetValueOrDefault(i, 1);
            var producers = unit == 1 ? g.Producers.ToArray() : g.Producers.Select(p => p with { Block = p.Block * unit }).ToArray();
            var consumers = unit == 1 ? g.Consumers.ToArray() : g.Consumers.Select(c => c with { Offset = c.Offset / unit, Block = c.Block * unit }).ToArray();
            groups.Add(new ChannelGroup(groups.Count, g.Size / unit, producers, consumers, g.BatchNorms.ToArray(), g.Reasons.ToArray(), g.HeadSize,
                unit == 1 ? null : unit));
        }
        int Remap(int id) => map[Find(id)];
        var layouts = _layouts.ToDictionary(kv => kv.Key, kv => ToUnits(kv.Value, units).Remap(Remap), StringComparer.Ordinal);
        var slices = _slices
            .Select(s => s with { Layout = ToUnits(s.Layout, units) })
            .Concat(normSlices)
            .Select(s => s with { Layout = s.Layout.Remap(Remap) })
            .DistinctBy(s => (s.Tensor, s.Axis))
            .ToArray();
        var edits = _edits.Select(e => e with { Layout = ToUnits(e.Layout, units) }).Concat(normEdits).Select(e => e with { Layout = e.Layout.Remap(Remap) }).ToArray();
        var cacheSlices = _interface.Select(s => s with { Layout = ToUnits(s.Layout, units).Remap(Remap) }).ToArray();
        return new ChannelDependencyGraph(groups, slices, edits, layouts, cacheSlices);
    }
}
