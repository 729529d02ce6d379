using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Methods.Pruning.Dependency;

/// <summary>
/// <c>torch.chunk</c> of a projection's output along its features (Mamba's <c>x, z = in_proj(u).chunk(2, dim=-1)</c>), as
/// the exporter writes it: the chunk size <c>(C + n − 1) / n</c> computed from a Shape read of the channel count
/// (Shape → Gather → Add → Div), and one Slice per part whose bounds are multiples of it (Mul by a constant, or 0).
/// The projection's columns are then n runs of one group of C / n channels, as a fused q,k,v projection's (channel c owns
/// position c of every run, so the parts stay aligned), and the computed bounds stay right after pruning: the Shape
/// reads the pruned count.
/// </summary>
internal sealed partial class ChannelDependencyBuilder
{
    /// <summary>Where a chunk size is computed from: the chunked value, its (non-negative) axis and the number of parts.</summary>
    private readonly record struct ChunkSource(string Data, int Axis, int Parts);

    /// <summary>
    /// The run structure of a projection's output when it is chunked: read (apart from Shape nodes) only by Slices, and its
    /// Shape read through the chunk-size computation along the last axis. Null otherwise.
    /// </summary>
    private (int Heads, int HeadSize, int Parts)? ChunkSplitOf(Node node, long columns)
    {
        string value = node.Outputs[0];
        // A Linear with bias: MatMul, then the bias Add, which is chunked.
        if (SoleReader(value) is { OpType: OpTypes.Add } add && add.Inputs.Count == 2
            && add.Inputs.Count(i => graph.FindInitializer(i) is { } bias && bias.ElementCount == columns) == 1
            && graph.Consumers(value).Count == 1)
            value = add.Outputs[0];
        var shape = ShapeOf(value);
        if (shape is not { Length: > 0 } || shape[^1] != columns || graph.IsGraphOutput(value)) return null;
        var readers = graph.Consumers(value);
        if (readers.Any(r => r.OpType is not (OpTypes.Shape or OpTypes.Slice) || r.OpType == OpTypes.Slice && r.Inputs[0] != value)) return null;
        foreach (var shapeRead in readers.Where(r => r.OpType == OpTypes.Shape))
            foreach (var gather in graph.Consumers(shapeRead.Outputs[0]))
                foreach (var size in ChunkSizesReading(gather.Outputs[0]))
                    if (ChunkSizeOf(size) is { } chunk && chunk.Data == value && chunk.Axis == shape.Length - 1 && columns % chunk.Parts == 0)
                        return ((int)(columns / chunk.Parts), 1, chunk.Parts);
        return null;
    }

    /// <summary>The Div outputs that compute a chunk size from <paramref name="count"/> (through its Add), or none.</summary>
    private IEnumerable<string> ChunkSizesReading(string count)
    {
        foreach (var add in graph.Consumers(count))
        {
            if (add.OpType != OpTypes.Add) continue;
            foreach (var div in graph.Consumers(add.Outputs[0]))
                if (div.OpType == OpTypes.Div && div.Inputs[0] == add.Outputs[0]) yield return div.Outputs[0];
        }
    }

    /// <summary><c>Div(Add(Gather(Shape(data), axis), n − 1), n)</c>: the chunk size of n parts of data's axis; null for anything else.</summary>
    private ChunkSource? ChunkSizeOf(string value)
    {
        var div = graph.Producer(value);
        if (div is not { OpType: OpTypes.Div } || div.Inputs.Count != 2 || IntConstant(div.Inputs[1]) is not long parts || parts < 2 || parts > int.MaxValue)
            return null;
        var add = graph.Producer(div.Inputs[0]);
        if (add is not { OpType: OpTypes.Add } || add.Inputs.Count != 2) return null;
        int constant = IntConstant(add.Inputs[1]) == parts - 1 ? 1 : IntConstant(add.Inputs[0]) == parts - 1 ? 0 : -1;
        if (constant < 0) return null;
        var gather = graph.Producer(add.Inputs[1 - constant]);
        if (gather is not { OpType: OpTypes.Gather } || gather.GetInt("axis", 0) != 0 || gather.Inputs.Count != 2 || IntConstant(gather.Inputs[1]) is not long index)
            return null;
        var shapeRead = graph.Producer(gather.Inputs[0]);
        if (shapeRead is not { OpType: OpTypes.Shape } || shapeRead.Attribute("start") is not null || shapeRead.Attribute("end") is not null) return null;
        var shape = ShapeOf(shapeRead.Inputs[0]);
        if (shape is null || index < -shape.Length || index >= shape.Length) return null;
        return new ChunkSource(shapeRead.Inputs[0], (int)(index < 0 ? index + shape.Length : index), (int)parts);
    }

    /// <summary>The one int64/int32 value of a constant; null when <paramref name="value"/> is not a one-element integer initializer.</summary>
    private long? IntConstant(string value) => graph.FindInitializer(value) switch
    {
        { Type: ElementType.Int64, ElementCount: 1 } t => t.AsSpan<long>()[0],
        { Type: ElementType.Int32, ElementCount: 1 } t => t.AsSpan<int>()[0],
        _ => null,
    };

    /// <summary>
    /// A Slice bound as a multiple of <paramref name="chunk"/>'s size: 0 (a constant), k (Mul of the size by a constant k,
    /// or the size itself), or <see cref="long.MaxValue"/> for a constant that runs to the end.
    /// </summary>
    private long? ChunkBound(string value, ChunkSource chunk)
    {
        if (IntConstant(value) is long c) return c == 0 ? 0 : c >= int.MaxValue ? long.MaxValue : null;
        if (ChunkSizeOf(value) == chunk) return 1;
        if (graph.Producer(value) is { OpType: OpTypes.Mul } mul && mul.Inputs.Count == 2)
            for (int i = 0; i < 2; i++)
                if (ChunkSizeOf(mul.Inputs[i]) == chunk && IntConstant(mul.Inputs[1 - i]) is long k) return k;
        return null;
    }

    /// <summary>The chunk that a Slice bound is computed from, if either bound is.</summary>
    private ChunkSource? ChunkOfBounds(Node slice)
    {
        foreach (var bound in slice.Inputs.Skip(1).Take(2))
        {
            if (ChunkSizeOf(bound) is { } direct) return direct;
            if (graph.Producer(bound) is { OpType: OpTypes.Mul } mul)
                foreach (var factor in mul.Inputs)
                    if (ChunkSizeOf(factor) is { } chunk) return chunk;
        }
        return null;
    }

    /// <summary>
    /// A Slice that takes part k of a chunked value with n runs: bounds k and k + 1 times the chunk size computed from this
    /// value's channel axis, n = the layout's repeats. The part holds every channel of the run.
    /// </summary>
    private bool TryChunkSlice(Node node, ChannelLayout layout)
    {
        if (layout.Repeats < 2 || node.Inputs.Count < 4 || node.Inputs.Skip(1).Any(_layouts.ContainsKey)) return false;
        if (IntConstant(node.Inputs[3]) is not long axis || (axis < 0 ? axis + layout.Rank : axis) != layout.Axis) return false;
        if (node.Inputs.Count > 4 && node.Inputs[4].Length > 0 && IntConstant(node.Inputs[4]) != 1) return false;
        if (ChunkOfBounds(node) is not { } chunk || chunk.Data != node.Inputs[0] || chunk.Axis != layout.Axis || chunk.Parts != layout.Repeats) return false;
        if (ChunkBound(node.Inputs[1], chunk) is not long start || ChunkBound(node.Inputs[2], chunk) is not long end) return false;
        bool part = start >= 0 && start < chunk.Parts && (end == start + 1 || (end == long.MaxValue && start == chunk.Parts - 1));
        if (!part) return false;
        _layouts[node.Outputs[0]] = layout with { Repeats = 1 };
        return true;
    }

    /// <summary>
    /// A Gather of the channel entry of a chunked value's shape whose only use is the chunk size (Add, Div) that bounds
    /// Slices of that value, directly or times a constant: the bounds follow the pruned count (each Slice is checked
    /// when it is visited).
    /// </summary>
    private bool ReadsChannelCountForChunks(Node reader, Node shapeNode, ChannelLayout layout)
    {
        string data = shapeNode.Inputs[0];
        if (layout.Repeats < 2 || reader.OpType != OpTypes.Gather || reader.Inputs[0] != shapeNode.Outputs[0] || graph.IsGraphOutput(reader.Outputs[0]))
            return false;
        var adds = graph.Consumers(reader.Outputs[0]);
        if (adds is not [{ OpType: OpTypes.Add } add] || graph.IsGraphOutput(add.Outputs[0])) return false;
        var divs = graph.Consumers(add.Outputs[0]);
        if (divs is not [{ OpType: OpTypes.Div } div] || graph.IsGraphOutput(div.Outputs[0])) return false;
        if (ChunkSizeOf(div.Outputs[0]) is not { } chunk || chunk.Data != data || chunk.Axis != layout.Axis || chunk.Parts != layout.Repeats) return false;
        bool BoundsASlice(Node n, string value) => n.OpType == OpTypes.Slice && n.Inputs[0] == data && !n.Inputs.Skip(3).Contains(value);
        foreach (var use in graph.Consumers(div.Outputs[0]))
        {
            if (BoundsASlice(use, div.Outputs[0])) continue;
            if (use.OpType != OpTypes.Mul || graph.IsGraphOutput(use.Outputs[0]) || !use.Inputs.Any(i => IntConstant(i) is not null)) return false;
            if (!graph.Consumers(use.Outputs[0]).All(s => BoundsASlice(s, use.Outputs[0]))) return false;
        }
        return !graph.IsGraphOutput(div.Outputs[0]);
    }
}
