using Shrink.Model;
using Shrink.Ops;
using Shrink.Registration;

namespace Shrink.Passes;

/// <summary>
/// Rewrites a packed query/key/value projection into the form ONNX Runtime runs fastest, keeping the function: the
/// exported <c>qkv = x·W + b → Reshape [B,S,3,H,D] → Transpose [2,0,3,1,4] → Split/Gather → q, k, v</c> becomes three
/// projections <c>x·W_q + b_q → Reshape [B,S,H,D] → Transpose [0,2,1,3]</c> (no 5-D transpose, no Split, no Squeeze);
/// a key read only through <c>Transpose [0,1,3,2]</c> (and Shape) is transposed once, straight to [B,H,D,S]; and the
/// scale of the attention scores (<c>Mul</c> or <c>Div</c> of <c>q·kᵀ</c> by a scalar) moves onto the queries: folded into
/// W_q and b_q when it is a constant (also one computed from dimensions known before running, as torch exports
/// <c>(C // heads) ** -0.5</c>: <see cref="ShapeScalars"/>), otherwise applied to the [B,S,H·D] query projection instead of the [B,H,S,S]
/// scores. Int8 models profit most: three int8 projections cost what one did, while the removed copies and the
/// score-sized multiply are float work they could not speed up. Measured on vit_tiny and tiny_gpt (docs/quantization.md).
/// </summary>
/// <remarks>
/// Only the exported pattern is touched: a float MatMul with a constant [C, 3·C'] weight (and a constant bias), whose
/// reshape names H as a constant, read by nothing else. The new projections are named after the packed one with
/// <c>.q</c>, <c>.k</c>, <c>.v</c>. Nodes named in <see cref="Keep"/> stay as they are (a user excluded them by name).
/// Moving the scale changes float rounding slightly (exactly nothing when the scale is a power of two).
/// </remarks>
[Registered("split-attention", "splits a packed q/k/v projection into three and moves the score scale onto the queries", Order = 5)]
public sealed class SplitAttentionProjections : IGraphPass
{
    private const int MaxScalarDepth = 8;

    /// <summary>What a block's detail line says when its score scale was folded into the query weights.</summary>
    public const string ScaleFolded = "score scale folded into the query weights";

    /// <summary>What a block's detail line says when its score scale was moved onto the query projection.</summary>
    public const string ScaleMoved = "score scale moved onto the queries";

    /// <summary>Node names (or display names) of packed projections to leave as they are.</summary>
    public IReadOnlySet<string> Keep { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <inheritdoc />
    public string Name => "split-attention";

    /// <inheritdoc />
    public GraphPassResult Apply(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var graph = model.Graph;
        var details = new List<string>();
        var deadBefore = DeadNodes(graph).ToHashSet();
        var shapes = new Lazy<Dictionary<string, string[]>>(() =>
        {
            var order = graph.TopologicalOrder();
            return ShapeInference.Infer(graph, order, RankInference.Infer(graph, order));
        });
        bool reorder = false;
        foreach (var transpose in graph.Nodes.Where(n => Is(n, OpTypes.Transpose) && Perm(n) is [2, 0, 3, 1, 4]).ToArray())
        {
            if (Match(graph, transpose) is not { } match || Keep.Contains(match.Projection.Name) || Keep.Contains(match.Projection.DisplayName)) continue;
            details.Add(Rewrite(graph, match, shapes, out bool moved));
            reorder |= moved;
        }
        if (details.Count == 0) return GraphPassResult.None;
        // A moved scale may be computed after the projection it now scales.
        if (reorder) graph.SortTopologically();
        RemoveDeadNodes(graph, deadBefore);
        graph.RemoveUnusedInitializers();
        return new GraphPassResult(details.Count, details);
    }

    /// <summary>A packed projection and the tensors it ends in.</summary>
    private sealed record PackedAttention(Node Projection, TensorData Weight, Node? BiasAdd, TensorData? Bias, IReadOnlyList<Node> Removed, long Heads, long HeadSize, string Query, string Key, string Value);

    private static PackedAttention? Match(ModelGraph graph, Node transpose)
    {
        if (graph.Producer(transpose.Inputs[0]) is not { } reshape || !Is(reshape, OpTypes.Reshape) || !OnlyReader(graph, reshape.Outputs[0], transpose)) return null;
        string packed = reshape.Inputs[0];
        Node? add = null;
        TensorData? bias = null;
        var producer = graph.Producer(packed);
        if (producer is not null && Is(producer, OpTypes.Add))
        {
            int biasAt = graph.FindInitializer(producer.Inputs[0]) is not null ? 0 : graph.FindInitializer(producer.Inputs[1]) is not null ? 1 : -1;
            if (biasAt < 0 || !OnlyReader(graph, packed, reshape)) return null;
            add = producer;
            bias = graph.FindInitializer(producer.Inputs[biasAt]);
            producer = graph.Producer(producer.Inputs[1 - biasAt]);
            if (producer is null || !OnlyReader(graph, producer.Outputs[0], add)) return null;
        }
        else if (producer is null || !OnlyReader(graph, packed, reshape))
        {
            return null;
        }
        if (!Is(producer, OpTypes.MatMul) || graph.FindInitializer(producer.Inputs[1]) is not { Type: ElementType.Float, Dims: [var c, var c3] } weight || c3 % 3 != 0) return null;
        long width = c3 / 3;
        if (bias is not null && (bias.Type != ElementType.Float || bias.Dims is not [var b] || b != c3)) return null;
        if (ReshapeHeads(graph, reshape) is not long heads || heads <= 0 || width % heads != 0) return null;

        var parts = Parts(graph, transpose);
        if (parts is null) return null;
        var removed = new List<Node> { producer, reshape, transpose };
        if (add is not null) removed.Add(add);
        removed.AddRange(parts.Value.Nodes);
        return new PackedAttention(producer, weight, add, bias, removed, heads, width / heads, parts.Value.Outputs[0], parts.Value.Outputs[1], parts.Value.Outputs[2]);
    }

    /// <summary>H from the reshape target [B, S, 3, H, D]: a constant, or a Concat whose third and fourth pieces are.</summary>
    private static long? ReshapeHeads(ModelGraph graph, Node reshape)
    {
        if (graph.FindInitializer(reshape.Inputs[1]) is { Type: ElementType.Int64, ElementCount: 5 } target)
            return target.AsSpan<long>()[2] == 3 ? target.AsSpan<long>()[3] : null;
        if (graph.Producer(reshape.Inputs[1]) is not { } concat || !Is(concat, OpTypes.Concat) || concat.Inputs.Count != 5) return null;
        long? Piece(int i) => graph.FindInitializer(concat.Inputs[i]) is { Type: ElementType.Int64, ElementCount: 1 } t ? t.AsSpan<long>()[0] : null;
        return Piece(2) == 3 ? Piece(3) : null;
    }

    /// <summary>q, k and v as the export takes them apart: Split on axis 0 then Squeeze each, or Gather 0, 1, 2.</summary>
    private static (string[] Outputs, Node[] Nodes)? Parts(ModelGraph graph, Node transpose)
    {
        var readers = graph.Consumers(transpose.Outputs[0]);
        if (graph.IsGraphOutput(transpose.Outputs[0])) return null;
        if (readers is [var split] && Is(split, OpTypes.Split) && split.GetInt("axis", 0) == 0 && split.Outputs.Count == 3
            && (split.Inputs.Count < 2 || split.Inputs[1].Length == 0 || graph.FindInitializer(split.Inputs[1]) is { } sizes && sizes.AsSpan<long>().SequenceEqual([1L, 1, 1])))
        {
            var outputs = new string[3];
            var nodes = new List<Node> { split };
            for (int i = 0; i < 3; i++)
            {
                if (graph.Consumers(split.Outputs[i]) is not [var squeeze] || !Is(squeeze, OpTypes.Squeeze) || !SqueezesAxisZero(graph, squeeze)) return null;
                outputs[i] = squeeze.Outputs[0];
                nodes.Add(squeeze);
            }
            return (outputs, nodes.ToArray());
        }
        if (readers.Count == 3 && readers.All(r => Is(r, OpTypes.Gather) && r.GetInt("axis", 0) == 0))
        {
            var outputs = new string?[3];
            foreach (var gather in readers)
            {
                if (graph.FindInitializer(gather.Inputs[1]) is not { Type: ElementType.Int64, Dims.Count: 0 } index) return null;
                long i = index.AsSpan<long>()[0];
                if (i is < 0 or > 2 || outputs[i] is not null) return null;
                outputs[i] = gather.Outputs[0];
            }
            return (outputs.Select(o => o!).ToArray(), readers.ToArray());
        }
        return null;
    }

    private static bool SqueezesAxisZero(ModelGraph graph, Node squeeze)
    {
        if (squeeze.GetInts("axes") is { } attribute) return attribute is [0];
        return squeeze.Inputs.Count > 1 && graph.FindInitializer(squeeze.Inputs[1]) is { } axes && axes.AsSpan<long>().SequenceEqual([0L]);
    }

    private static string Rewrite(ModelGraph graph, PackedAttention m, Lazy<Dictionary<string, string[]>> shapes, out bool movedScale)
    {
        string x = m.Projection.Inputs[0];
        string stem = m.Projection.Name.Length > 0 ? m.Projection.Name : m.Projection.Outputs[0];
        long width = m.Heads * m.HeadSize;
        var weight = m.Weight.ToFloatArray();
        var bias = m.Bias?.ToFloatArray();
        long rows = m.Weight.Dims[0];
        var shape = TensorData.Create<long>(graph.UniqueName(stem + ".heads_shape"), [4], [0, 0, m.Heads, m.HeadSize], ElementType.Int64);
        graph.SetInitializer(shape);

        var scale = ScoreScale(graph, shapes, m.Query, [m.Query, m.Key, m.Value, .. m.Removed.SelectMany(n => n.Outputs)]);
        movedScale = scale is { Constant: null };
        var keyTranspose = KeyTranspose(graph, m.Key);
        string note = "";
        for (int part = 0; part < 3; part++)
        {
            string suffix = part switch { 0 => ".q", 1 => ".k", _ => ".v" };
            var w = new float[rows * width];
            var b = bias is null ? null : new float[width];
            for (long r = 0; r < rows; r++)
                Array.Copy(weight, r * 3 * width + part * width, w, r * width, width);
            if (b is not null) Array.Copy(bias!, part * width, b, 0, width);
            if (part == 0 && scale is { Constant: float factor })
            {
                for (int i = 0; i < w.Length; i++) w[i] *= factor;
                if (b is not null) for (int i = 0; i < b.Length; i++) b[i] *= factor;
            }
            var wt = TensorData.FromFloats(graph.UniqueName(m.Weight.Name + suffix), [rows, width], w);
            graph.SetInitializer(wt);
            string nodeName = graph.UniqueName(stem + suffix);
            string projected = graph.UniqueName(stem + suffix + "_output");
            graph.AddNodeBefore(m.Projection, OpTypes.MatMul, [x, wt.Name], [projected], nodeName);
            if (b is not null)
            {
                var bt = TensorData.FromFloats(graph.UniqueName((m.Bias!.Name.Length > 0 ? m.Bias.Name : stem + ".bias") + suffix), [width], b);
                graph.SetInitializer(bt);
                string biased = graph.UniqueName(projected + ".bias");
                graph.AddNodeBefore(m.Projection, OpTypes.Add, [projected, bt.Name], [biased], graph.UniqueName(stem + suffix + ".bias"));
                projected = biased;
            }
            if (part == 0 && scale is { Constant: null } moved)
            {
                string scaled = graph.UniqueName(projected + ".scaled");
                graph.AddNodeBefore(m.Projection, moved.Node.OpType, [projected, moved.Operand], [scaled], graph.UniqueName(stem + suffix + ".scale"));
                projected = scaled;
            }
            string heads = graph.UniqueName(projected + ".heads");
            graph.AddNodeBefore(m.Projection, OpTypes.Reshape, [projected, shape.Name], [heads]);
            bool keyTransposed = part == 1 && keyTranspose is not null;
            string output = part switch { 0 => m.Query, 1 => keyTransposed ? keyTranspose!.Outputs[0] : m.Key, _ => m.Value };
            graph.AddNodeBefore(m.Projection, OpTypes.Transpose, [heads], [output]).SetInts("perm", keyTransposed ? [0, 2, 3, 1] : [0, 2, 1, 3]);
        }
        foreach (var node in m.Removed) graph.RemoveNode(node);
        if (keyTranspose is not null)
        {
            // Shape readers of the key read the value instead: the same [B,H,S,D] from the same reshape, never scaled.
            foreach (var reader in graph.Consumers(m.Key).ToArray())
                for (int i = 0; i < reader.Inputs.Count; i++)
                    if (reader.Inputs[i] == m.Key) graph.SetInput(reader, i, m.Value);
            graph.RemoveNode(keyTranspose);
            note += ", key transposed once";
        }
        if (scale is not null)
        {
            graph.ReplaceAllUses(scale.Node.Outputs[0], scale.Node.Inputs[0]);
            graph.RemoveNode(scale.Node);
            note += ", " + (scale.Constant is null ? ScaleMoved : ScaleFolded);
        }
        return $"{m.Projection.DisplayName}: packed q/k/v projection split into three ({m.Heads} heads of {m.HeadSize}){note}";
    }

    /// <summary>The score scale: q's only reader is q·kᵀ, whose only reader multiplies (or divides) it by a scalar.</summary>
    private sealed record Scale(Node Node, string Operand, float? Constant);

    private static Scale? ScoreScale(ModelGraph graph, Lazy<Dictionary<string, string[]>> shapes, string query, IReadOnlyCollection<string> rewritten)
    {
        if (graph.Consumers(query) is not [var product] || !Is(product, OpTypes.MatMul) || product.Inputs[0] != query || graph.IsGraphOutput(product.Outputs[0])) return null;
        if (graph.Consumers(product.Outputs[0]) is not [var scaling] || graph.IsGraphOutput(scaling.Outputs[0])) return null;
        bool multiply = Is(scaling, OpTypes.Mul);
        if (!multiply && !Is(scaling, OpTypes.Div)) return null;
        if (scaling.Inputs.Count != 2 || (!multiply && scaling.Inputs[0] != product.Outputs[0])) return null;
        // Rewritten as scaling(scores, operand): keep the scores first.
        string operand = scaling.Inputs[0] == product.Outputs[0] ? scaling.Inputs[1] : scaling.Inputs[0];
        if (scaling.Inputs[0] != product.Outputs[0])
        {
            graph.SetInput(scaling, 1, operand);
            graph.SetInput(scaling, 0, product.Outputs[0]);
        }
        if (graph.FindInitializer(operand) is { Type: ElementType.Float, ElementCount: 1 } constant)
        {
            float s = constant.AsSpan<float>()[0];
            if (!float.IsFinite(s) || (!multiply && s == 0)) return null;
            return new Scale(scaling, operand, multiply ? s : 1 / s);
        }
        // Computed from dimensions known before running (torch's (C // heads) ** -0.5 from x.shape): a constant too.
        if (ShapeScalars.Evaluate(graph, operand, shapes.Value) is double computed && double.IsFinite(computed) && (multiply || computed != 0))
        {
            float s = (float)computed;
            return new Scale(scaling, operand, multiply ? s : 1 / s);
        }
        // Moved onto the query projection, the scale must not be computed from what the rewrite replaces (q.shape[-1]).
        return IsScalar(graph, operand, 0) && !DependsOn(graph, operand, rewritten.ToHashSet(StringComparer.Ordinal), 0) ? new Scale(scaling, operand, null) : null;
    }

    /// <summary>The key's Transpose [0,1,3,2] when it and Shape nodes are the key's only readers.</summary>
    private static Node? KeyTranspose(ModelGraph graph, string key)
    {
        if (graph.IsGraphOutput(key)) return null;
        var readers = graph.Consumers(key);
        var transposes = readers.Where(r => Is(r, OpTypes.Transpose) && Perm(r) is [0, 1, 3, 2]).ToArray();
        if (transposes.Length != 1 || graph.IsGraphOutput(transposes[0].Outputs[0])) return null;
        return readers.All(r => ReferenceEquals(r, transposes[0]) || OpCatalog.Find(r.OpType, r.Domain)?.ChannelFlow == ChannelFlow.ReadsShape) ? transposes[0] : null;
    }

    /// <summary>Whether a value is one number: a one-element initializer, a Gather of one index from a Shape, or elementwise ops of such.</summary>
    private static bool IsScalar(ModelGraph graph, string value, int depth)
    {
        if (depth > MaxScalarDepth) return false;
        if (graph.FindInitializer(value) is { } t) return t.ElementCount == 1;
        if (graph.Producer(value) is not { Outputs.Count: 1 } node || OpCatalog.Find(node.OpType, node.Domain) is not { } schema) return false;
        return schema.ChannelFlow switch
        {
            ChannelFlow.PassesThrough or ChannelFlow.Ties => node.Inputs.Where(i => i.Length > 0).All(i => IsScalar(graph, i, depth + 1)),
            ChannelFlow.Gathers => node.Inputs.Count == 2 && graph.FindInitializer(node.Inputs[1]) is { Dims.Count: 0 }
                && graph.Producer(node.Inputs[0]) is { } source && OpCatalog.Find(source.OpType, source.Domain)?.ChannelFlow == ChannelFlow.ReadsShape,
            _ => false,
        };
    }

    private static bool DependsOn(ModelGraph graph, string value, HashSet<string> targets, int depth)
    {
        if (targets.Contains(value)) return true;
        if (graph.Producer(value) is not { } node) return false;
        // A shape reader depends on its input's shape only: on a rewritten value itself, not on what computed it.
        if (OpCatalog.Find(node.OpType, node.Domain)?.ChannelFlow == ChannelFlow.ReadsShape) return node.Inputs.Count > 0 && targets.Contains(node.Inputs[0]);
        if (depth > MaxScalarDepth) return true;
        return node.Inputs.Any(i => i.Length > 0 && DependsOn(graph, i, targets, depth + 1));
    }

    private static IEnumerable<Node> DeadNodes(ModelGraph graph) =>
        graph.Nodes.Where(n => !n.HasSubgraph && !n.Outputs.Any(o => o.Length > 0 && (graph.IsGraphOutput(o) || graph.Consumers(o).Count > 0)));

    /// <summary>Removes the nodes the rewrites left unread (the packed reshape's shape arithmetic), not ones unread before.</summary>
    private static void RemoveDeadNodes(ModelGraph graph, HashSet<Node> deadBefore)
    {
        while (DeadNodes(graph).Where(n => !deadBefore.Contains(n)).ToArray() is { Length: > 0 } dead)
            foreach (var node in dead) graph.RemoveNode(node);
    }

    private static bool OnlyReader(ModelGraph graph, string value, Node reader) =>
        !graph.IsGraphOutput(value) && graph.Consumers(value) is [var only] && ReferenceEquals(only, reader);

    private static bool Is(Node node, string opType) => node.OpType == opType && OpDomains.IsDefault(node.Domain);

    private static IReadOnlyList<long>? Perm(Node node) => node.GetInts("perm");
}
