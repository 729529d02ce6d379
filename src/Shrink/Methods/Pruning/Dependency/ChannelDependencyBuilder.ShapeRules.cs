using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Methods.Pruning.Dependency;

/// <summary>The rules of ops that move data: Transpose, Flatten/Reshape/Squeeze/Unsqueeze, Concat, Split, Slice, Gather, Shape.</summary>
internal sealed partial class ChannelDependencyBuilder
{
    private void VisitTranspose(Node node)
    {
        var layout = LayoutOf(node, 0);
        if (layout is null) return;
        var perm = node.GetInts("perm")?.Select(p => (int)p).ToArray() ?? Enumerable.Range(0, layout.Rank).Reverse().ToArray();
        int axis = Array.IndexOf(perm, layout.Axis);
        if (layout.Block != 1 || layout.Repeats != 1 || axis < 0)
        {
            RefuseInputs(node, $"Transpose {node.DisplayName} splits flattened channels");
            return;
        }
        _layouts[node.Outputs[0]] = layout with { Axis = axis };
    }

    /// <summary>Flatten, Reshape, Squeeze, Unsqueeze: the data order is unchanged, so channels stay whole when some output axis starts at the same outer index.</summary>
    private void VisitReshape(Node node)
    {
        var layout = LayoutOf(node, 0);
        if (layout is null || VisitGroupNorm(node, layout)) return;
        var inShape = ShapeOf(node.Inputs[0]);
        var outShape = ShapeOf(node.Outputs[0]);
        string refusal = $"{node.OpType} {node.DisplayName} mixes channels (shape unknown or channel axis split)";
        if (inShape is null || outShape is null || inShape.Length != layout.Rank)
        {
            RefuseInputs(node, refusal);
            return;
        }
        long outer = 1;
        for (int i = 0; i < layout.Axis; i++) outer *= inShape[i];
        long perChannel = layout.Block;
        for (int i = layout.Axis + 1; i < inShape.Length; i++) perChannel *= inShape[i];
        int channels = layout.Channels;
        // A fused projection's repeats either move onto outer axes of their own ([B, T, 3·H·dh] → [B, T, 3, H, dh])
        // or stay inside the channel axis.
        foreach (int repeats in layout.Repeats == 1 ? new[] { 1 } : new[] { 1, layout.Repeats })
        {
            long before = outer * (layout.Repeats / repeats);
            long run = (long)channels * repeats;
            long prefix = 1;
            for (int j = 0; j < outShape.Length; j++)
            {
                if (prefix == before && outShape[j] >= run && outShape[j] % run == 0)
                {
                    long block = outShape[j] / run;
                    long inner = 1;
                    for (int i = j + 1; i < outShape.Length; i++) inner *= outShape[i];
                    if (block * inner == perChannel)
                    {
                        if (MayFoldBatch(node, inShape.AsSpan(0, layout.Axis), outShape.AsSpan(0, j)))
                        {
                            RefuseInputs(node, $"{node.OpType} {node.DisplayName} may fold a size-1 axis before the channels (the batch, measured at 1) into the channel axis");
                            return;
                        }
                        var outLayout = new ChannelLayout(layout.Segments, j, outShape.Length, block, repeats);
                        if (node.OpType == OpTypes.Reshape && !PlanShapeEdit(node, layout, outLayout)) return;
                        _layouts[node.Outputs[0]] = outLayout;
                        return;
                    }
                }
                prefix *= outShape[j];
                if (prefix > before) break;
            }
        }
        RefuseInputs(node, refusal);
    }

    /// <summary>
    /// Shapes are measured at batch 1, so a Reshape from [1, H, T, dh] to [H, T, dh] cannot be told from one to [B·H, T, dh]
    /// (Hugging Face's BART, CLIP, Whisper; torch.nn.MultiheadAttention): heads folded with the batch. When the shape is
    /// computed (or a Flatten), fewer size-1 axes right before the channels in the output than in the input may be such a
    /// fold (only axes next to the channel axis can merge into it; GPT-2's [1, T, D] to [T, D] folds the batch into T).
    /// </summary>
    private bool MayFoldBatch(Node node, ReadOnlySpan<long> outerIn, ReadOnlySpan<long> outerOut)
    {
        bool computed = node.OpType == OpTypes.Flatten || (node.OpType == OpTypes.Reshape && node.Inputs.Count > 1 && graph.FindInitializer(node.Inputs[1]) is null);
        return computed && TrailingOnes(outerIn) > TrailingOnes(outerOut);
    }

    private static int TrailingOnes(ReadOnlySpan<long> dims)
    {
        int count = 0;
        for (int i = dims.Length - 1; i >= 0 && dims[i] == 1; i--) count++;
        return count;
    }

    private bool PlanShapeEdit(Node node, ChannelLayout layout, ChannelLayout outLayout)
    {
        int index = outLayout.Axis;
        if (node.Inputs.Count > 1 && graph.FindInitializer(node.Inputs[1]) is null) return PlanShapeConcatEdit(node, layout, outLayout);
        var shape = node.Inputs.Count > 1 ? graph.FindInitializer(node.Inputs[1]) : null;
        if (shape is null || shape.Type != ElementType.Int64 || shape.Dims.Count != 1 || shape.ElementCount <= index)
        {
            RefuseInputs(node, $"Reshape {node.DisplayName} takes a computed shape");
            return false;
        }
        long entry = shape.AsSpan<long>()[index];
        if (entry == -1) return true;
        if (entry == 0 && !CopiesChannelAxis(layout, outLayout))
        {
            RefuseInputs(node, $"Reshape {node.DisplayName} copies a dimension that is not the channel axis");
            return false;
        }
        if (entry == 0) return true;
        _edits.Add(new ChannelAttributeEdit(ChannelAttributeKind.ReshapeShape, node, outLayout, shape.Name, index));
        return true;
    }

    private static bool CopiesChannelAxis(ChannelLayout layout, ChannelLayout outLayout) =>
        outLayout.Axis == layout.Axis && outLayout.Block == layout.Block && outLayout.Repeats == layout.Repeats;

    /// <summary>
    /// A shape computed by a Concat of pieces (PyTorch's <c>x.reshape(B, T, H, dh)</c>: B and T read by Shape/Gather
    /// or a Slice of the Shape, H a constant, dh maybe computed): the piece holding the channel entry is replaced by a
    /// new constant. A constant piece may hold several entries; a computed one must be that entry alone, and is
    /// replaced only when the entry is fixed by the weights (block 1, or a head's dh), not by the input's spatial size.
    /// </summary>
    private bool PlanShapeConcatEdit(Node node, ChannelLayout layout, ChannelLayout outLayout)
    {
        var concat = graph.Producer(node.Inputs[1]);
        if (concat is not { OpType: OpTypes.Concat } || graph.Consumers(concat.Outputs[0]).Count != 1 || graph.IsGraphOutput(concat.Outputs[0]))
        {
            RefuseInputs(node, $"Reshape {node.DisplayName} takes a computed shape that is not a Concat read only by it");
            return false;
        }
        int position = 0;
        for (int i = 0; i < concat.Inputs.Count && position <= outLayout.Axis; i++)
        {
            var length = ShapeOf(concat.Inputs[i]);
            if (length is null || length.Length != 1)
                break;
            int element = outLayout.Axis - position;
            var constant = graph.FindInitializer(concat.Inputs[i]);
            if (element < length[0] && (length[0] == 1 || constant is { Type: ElementType.Int64 }))
            {
                long? entry = constant is { Type: ElementType.Int64 } ? constant.AsSpan<long>()[element] : null;
                if (entry == -1 || (entry == 0 && CopiesChannelAxis(layout, outLayout))) return true;
                bool fixedByWeights = outLayout.Block == 1 || outLayout.Segments.All(s => Group(s.GroupId).HeadSize == outLayout.Block);
                if (entry == 0 || (constant is null && !fixedByWeights))
                {
                    RefuseInputs(node, $"Reshape {node.DisplayName}: shape entry {outLayout.Axis} (input {i} of {concat.DisplayName}) may not be kept channels × block");
                    return false;
                }
                _edits.Add(new ChannelAttributeEdit(ChannelAttributeKind.ShapeConcatInput, concat, outLayout, constant?.Name, i, element));
                _channelCountReads.Remove(concat.Inputs[i]);
                return true;
            }
            position += (int)length[0];
        }
        RefuseInputs(node, $"Reshape {node.DisplayName}: {concat.DisplayName} does not build shape entry {outLayout.Axis} as a piece of its own");
        return false;
    }

    private void VisitConcat(Node node)
    {
        var layouts = node.Inputs.Select(i => _layouts.GetValueOrDefault(i)).ToList();
        var first = layouts.First(l => l is not null)!;
        int axis = (int)node.GetInt("axis", 0);
        if (axis < 0) axis += first.Rank;
        if (axis != first.Axis)
        {
            // Concatenating along another axis ties the inputs channel by channel, as an elementwise op does; a decoder's
            // past cache joined to the new keys or values takes their heads.
            TieCacheInputs(node, first);
            VisitElementwise(node, concatenation: true);
            return;
        }
        if (layouts.Any(l => l is null || l.Block != first.Block || l.Rank != first.Rank || l.Axis != first.Axis || l.Repeats != 1))
        {
            RefuseInputs(node, $"Concat {node.DisplayName} joins values whose channels are not all tracked");
            return;
        }
        _layouts[node.Outputs[0]] = first with { Segments = layouts.SelectMany(l => l!.Segments).ToArray() };
    }

    /// <summary>
    /// Split along another axis than the channels' (q, k, v out of a fused projection's [.., 3, H, dh]): every part keeps
    /// the channels. A Split of the channel axis is understood only into the runs of a fused projection (nanoGPT's
    /// <c>qkv.split(D, dim=2)</c>), whose sizes are then rewritten.
    /// </summary>
    private void VisitSplit(Node node)
    {
        var layout = LayoutOf(node, 0);
        if (layout is null) return;
        int axis = (int)node.GetInt("axis", 0);
        if (axis < 0) axis += layout.Rank;
        if (axis == layout.Axis && layout.Repeats > 1 && node.Outputs.Count == layout.Repeats && node.Outputs.All(o => o.Length > 0)
            && EqualSplit(node, layout.Extent / layout.Repeats))
        {
            // A fused projection's [q | k | v] runs, one per output: each part holds every head.
            var part = layout with { Repeats = 1 };
            if (node.Inputs.Count > 1 && node.Inputs[1].Length > 0)
                _edits.Add(new ChannelAttributeEdit(ChannelAttributeKind.SplitSizes, node, part, node.Inputs[1], 1));
            foreach (var output in node.Outputs) _layouts[output] = part;
            return;
        }
        if (axis == layout.Axis)
        {
            RefuseInputs(node, $"Split {node.DisplayName} splits the channel axis");
            return;
        }
        foreach (var output in node.Outputs)
            if (output.Length > 0) _layouts[output] = layout;
    }

    /// <summary>
    /// Slice along other axes than the channels' (a ViT's <c>x[:, 1:]</c>): the channels stay whole, whatever the bounds.
    /// The sliced axes must be constant; a Slice of the channel axis (torch.nn.MultiheadAttention's chunk of its packed
    /// q,k,v projection) is refused.
    /// </summary>
    private void VisitSlice(Node node)
    {
        var layout = LayoutOf(node, 0);
        if (layout is null || TryChunkSlice(node, layout)) return;
        if (node.Inputs.Skip(1).Any(_layouts.ContainsKey))
        {
            RefuseInputs(node, $"Slice {node.DisplayName} takes its bounds from the channels");
            return;
        }
        IReadOnlyList<long>? axes;
        if (node.Inputs.Count == 1) axes = node.GetInts("axes") ?? (node.GetInts("starts") is { } starts ? Enumerable.Range(0, starts.Count).Select(i => (long)i).ToArray() : null);
        else if (node.Inputs.Count > 3 && node.Inputs[3].Length > 0) axes = graph.FindInitializer(node.Inputs[3]) is { Type: ElementType.Int64 or ElementType.Int32 } t ? AsLongs(t) : null;
        else axes = ShapeOf(node.Inputs[1]) is [long count] ? Enumerable.Range(0, (int)count).Select(i => (long)i).ToArray() : null;
        if (axes is null)
        {
            RefuseInputs(node, $"Slice {node.DisplayName} takes computed axes");
            return;
        }
        if (axes.Any(a => (a < 0 ? a + layout.Rank : a) == layout.Axis))
        {
            RefuseInputs(node, $"Slice {node.DisplayName} slices the channel axis {layout.Axis}");
            return;
        }
        _layouts[node.Outputs[0]] = layout;
    }

    private static long[] AsLongs(TensorData t) => t.Type == ElementType.Int64 ? t.AsSpan<long>().ToArray() : t.AsSpan<int>().ToArray().Select(i => (long)i).ToArray();

    /// <summary>Gather of constant indices along another axis than the channels' (<c>qkv[0]</c>): the channels stay whole, on a shifted axis.</summary>
    private void VisitGather(Node node)
    {
        var layout = LayoutOf(node, 0);
        var indices = node.Inputs.Count > 1 ? graph.FindInitializer(node.Inputs[1]) : null;
        int axis = (int)node.GetInt("axis", 0);
        if (layout is not null && axis < 0) axis += layout.Rank;
        if (layout is null || indices is null || axis == layout.Axis)
        {
            RefuseInputs(node, $"Gather {node.DisplayName} picks channels or takes computed indices");
            return;
        }
        int rank = layout.Rank - 1 + indices.Dims.Count;
        _layouts[node.Outputs[0]] = layout with { Axis = layout.Axis < axis ? layout.Axis : layout.Axis - 1 + indices.Dims.Count, Rank = rank };
    }

    /// <summary>
    /// Shape of a value with channels, read only for its other dims (Hugging Face's <c>x.size()[:-1] + (H, dh)</c>: a
    /// Slice that ends before the channel axis, or a Gather of B or T): removing channels does not change what is read.
    /// </summary>
    private void VisitShape(Node node)
    {
        var layout = LayoutOf(node, 0);
        if (layout is null || IsGroupNormShapeRead(node, layout)) return;
        string shape = node.Outputs[0];
        var pieces = new List<string>();
        if (node.Attribute("start") is null && node.Attribute("end") is null && !graph.IsGraphOutput(shape)
            && graph.Consumers(shape).All(r => ReadsOtherDims(r, shape, layout) || ReadsChannelCountInto(r, node, layout, pieces) || ReadsChannelCountForChunks(r, node, layout)))
        {
            // Held until the Reshape's visit: its edit must replace exactly these pieces.
            foreach (var piece in pieces) _channelCountReads[piece] = (node, layout);
            return;
        }
        RefuseInputs(node, $"Shape {node.DisplayName} reads the channel count");
    }

    /// <summary>
    /// A Gather or Slice of the channel entry alone whose value (through Squeeze/Unsqueeze/Cast) is one piece of the Concat
    /// that computes the shape of a Reshape of the same value (GPT-2's <c>x.view(-1, x.size(-1))</c>): the piece is added
    /// to <paramref name="pieces"/>, to be replaced by the Reshape's edit.
    /// </summary>
    private bool ReadsChannelCountInto(Node reader, Node shapeNode, ChannelLayout layout, List<string> pieces)
    {
        string shape = shapeNode.Outputs[0];
        if (reader.Inputs[0] != shape || reader.Inputs.Skip(1).Contains(shape) || layout.Repeats != 1) return false;
        long[]? Constant(int input) => reader.Inputs.Count > input && reader.Inputs[input].Length > 0
            && graph.FindInitializer(reader.Inputs[input]) is { Type: ElementType.Int64 } t ? t.AsSpan<long>().ToArray() : null;
        long Normalized(long index) => Math.Clamp(index < 0 ? index + layout.Rank : index, 0, layout.Rank);
        bool channelEntry = reader.OpType switch
        {
            OpTypes.Gather => Constant(1) is [long index] && Normalized(index) == layout.Axis,
            OpTypes.Slice => Constant(1) is [long start] && Constant(2) is [long end] && (reader.Inputs.Count <= 3 || Constant(3) is [0])
                && (reader.Inputs.Count <= 4 || Constant(4) is [1]) && Normalized(start) == layout.Axis && Normalized(end) == layout.Axis + 1,
            _ => false,
        };
        if (!channelEntry) return false;
        string value = reader.Outputs[0];
        for (int hops = 0; hops < 4; hops++)
        {
            var readers = graph.Consumers(value);
            if (readers.Count != 1 || graph.IsGraphOutput(value)) return false;
            var next = readers[0];
            if (next.OpType is OpTypes.Squeeze or OpTypes.Unsqueeze or OpTypes.Cast && next.Inputs[0] == value)
            {
                value = next.Outputs[0];
                continue;
            }
            if (next.OpType != OpTypes.Concat || next.GetInt("axis", 0) != 0 || graph.IsGraphOutput(next.Outputs[0])) return false;
            var shapeReaders = graph.Consumers(next.Outputs[0]);
            if (shapeReaders is not [{ OpType: OpTypes.Reshape } reshape] || reshape.Inputs[0] != shapeNode.Inputs[0] || reshape.Inputs[1] != next.Outputs[0])
                return false;
            pieces.Add(value);
            return true;
        }
        return false;
    }

    private bool ReadsOtherDims(Node reader, string shape, ChannelLayout layout)
    {
        if (reader.Inputs[0] != shape || reader.Inputs.Skip(1).Contains(shape)) return false;
        long[]? Constant(int input) => reader.Inputs.Count > input && reader.Inputs[input].Length > 0
            && graph.FindInitializer(reader.Inputs[input]) is { Type: ElementType.Int64 } t ? t.AsSpan<long>().ToArray() : null;
        bool Absent(int input) => reader.Inputs.Count <= input || reader.Inputs[input].Length == 0;
        long Normalized(long index) => Math.Clamp(index < 0 ? index + layout.Rank : index, 0, layout.Rank);
        switch (reader.OpType)
        {
            case OpTypes.Gather:
                return Constant(1) is { } indices && indices.All(i => Normalized(i) != layout.Axis);
            case OpTypes.Slice:
                if (Constant(1) is not [long start] || Constant(2) is not [long end]) return false;
                if (!(Absent(3) || Constant(3) is [0]) || !(Absent(4) || Constant(4) is [1])) return false;
                return Normalized(end) <= layout.Axis || Normalized(start) > layout.Axis;
            default:
                return false;
        }
    }
}
