using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Methods.Pruning.Dependency;

/// <summary>The rules of the weighted ops (Conv, ConvTranspose, Gemm, MatMul: they create groups) and of attention's products of two computed values.</summary>
internal sealed partial class ChannelDependencyBuilder
{
    private void VisitConv(Node node)
    {
        var weight = graph.FindInitializer(node.Inputs[1]);
        var layout = LayoutOf(node, 0);
        if (weight is null || weight.Dims.Count < 3)
        {
            if (layout is not null) Refuse(layout, $"Conv {node.DisplayName} has a computed weight");
            return;
        }
        string? bias = node.Inputs.Count > 2 && node.Inputs[2].Length > 0 ? node.Inputs[2] : null;
        if (bias is not null && graph.FindInitializer(bias) is null)
        {
            if (layout is not null) Refuse(layout, $"Conv {node.DisplayName} has a computed bias");
            return;
        }
        long group = node.GetInt("group", 1);
        long outChannels = weight.Dims[0];
        long inChannels = weight.Dims[1] * group;
        int rank = weight.Dims.Count;
        if (layout is not null && (layout.Axis != 1 || layout.Block != 1 || layout.Repeats != 1 || layout.Channels != inChannels))
        {
            Refuse(layout, $"Conv {node.DisplayName} reads channels that are not on axis 1");
            layout = null;
        }
        if (group == 1)
        {
            if (layout is not null) AddConsumer(node, weight.Name, 1, layout, node.Inputs[0]);
            AddProducer(node, weight, 0, rank, bias, 0);
            return;
        }
        if (group == inChannels && group == outChannels && weight.Dims[1] == 1 && layout is not null)
        {
            // Depthwise: channel c in is channel c out; removing it drops filter c and one group.
            _slices.Add(new ChannelTensorSlice(weight.Name, 0, layout, node, "depthwise"));
            if (bias is not null) _slices.Add(new ChannelTensorSlice(bias, 0, layout, node, "bias"));
            _edits.Add(new ChannelAttributeEdit(ChannelAttributeKind.DepthwiseGroup, node, layout));
            _layouts[node.Outputs[0]] = layout;
            return;
        }
        if (layout is not null) Refuse(layout, $"grouped Conv {node.DisplayName} (group={group})");
        // Its output channels come in groups; we leave them whole.
        int id = NewGroup((int)outChannels);
        _groups[id].Producers.Add(new ChannelProducer(node, weight.Name, 0, node.Outputs[0]));
        _groups[id].Reasons.Add($"produced by grouped Conv {node.DisplayName} (group={group})");
        _layouts[node.Outputs[0]] = ChannelLayout.Single(id, (int)outChannels, 1, rank);
    }

    private void VisitConvTranspose(Node node)
    {
        var weight = graph.FindInitializer(node.Inputs[1]);
        var layout = LayoutOf(node, 0);
        long group = node.GetInt("group", 1);
        string? bias = node.Inputs.Count > 2 && node.Inputs[2].Length > 0 ? node.Inputs[2] : null;
        if (weight is null || group != 1 || (bias is not null && graph.FindInitializer(bias) is null)
            || (layout is not null && (layout.Axis != 1 || layout.Block != 1 || layout.Repeats != 1)))
        {
            if (layout is not null) Refuse(layout, $"ConvTranspose {node.DisplayName} is grouped or has computed parameters");
            return;
        }
        if (layout is not null) AddConsumer(node, weight.Name, 0, layout, node.Inputs[0]);
        AddProducer(node, weight, 1, weight.Dims.Count, bias, 0);
    }

    private void VisitGemm(Node node, OpSchema schema)
    {
        var weight = graph.FindInitializer(node.Inputs[1]);
        var layout = LayoutOf(node, 0);
        string? bias = node.Inputs.Count > 2 && node.Inputs[2].Length > 0 ? node.Inputs[2] : null;
        var biasTensor = bias is null ? null : graph.FindInitializer(bias);
        if (weight is null || weight.Dims.Count != 2 || schema.ReadsInputTransposed(node.GetInt) || (bias is not null && biasTensor is null))
        {
            if (layout is not null) Refuse(layout, $"Gemm {node.DisplayName} has transA or computed operands");
            return;
        }
        int inAxis = schema.WeightInputAxis!(node.GetInt), outAxis = schema.WeightOutputAxis!(node.GetInt);
        long k = weight.Dims[inAxis];
        if (layout is not null)
        {
            if (layout.Axis != 1 || layout.Rank != 2 || layout.Repeats != 1 || layout.Extent != k)
                Refuse(layout, $"Gemm {node.DisplayName} reads channels that are not its features");
            else AddConsumer(node, weight.Name, inAxis, layout, node.Inputs[0]);
        }
        long n = weight.Dims[outAxis];
        // C broadcasts over rows: per-feature when its last dim is N, nothing to slice when it is a scalar.
        if (biasTensor is not null && biasTensor.ElementCount != 1 && !(biasTensor.Dims.Count >= 1 && biasTensor.Dims[^1] == n && biasTensor.ElementCount == n))
        {
            int id = NewGroup((int)n);
            _groups[id].Reasons.Add($"Gemm {node.DisplayName} has a full-matrix C");
            _layouts[node.Outputs[0]] = ChannelLayout.Single(id, (int)n, 1, 2);
            return;
        }
        AddProducer(node, weight, outAxis, 2, biasTensor is not null && biasTensor.ElementCount != 1 ? bias : null, biasTensor is null ? 0 : biasTensor.Dims.Count - 1,
            HeadSplitOf(node, n) ?? ChunkSplitOf(node, n));
    }

    private void VisitMatMul(Node node)
    {
        var weight = graph.FindInitializer(node.Inputs[1]);
        var layout = LayoutOf(node, 0);
        if (weight is null && graph.FindInitializer(node.Inputs[0]) is null)
        {
            VisitBatchedMatMul(node);
            return;
        }
        if (weight is null || weight.Dims.Count != 2 || _layouts.ContainsKey(node.Inputs[1]))
        {
            RefuseInputs(node, $"MatMul {node.DisplayName} multiplies two computed values");
            return;
        }
        // The output's measured shape: a graph input's is not measured.
        int rank = ShapeOf(node.Outputs[0])?.Length ?? ShapeOf(node.Inputs[0])?.Length ?? layout?.Rank ?? 2;
        if (layout is not null)
        {
            if (layout.Axis != layout.Rank - 1 || layout.Repeats != 1 || layout.Extent != weight.Dims[0])
                Refuse(layout, $"MatMul {node.DisplayName} reads channels that are not its last axis");
            else AddConsumer(node, weight.Name, 0, layout, node.Inputs[0]);
        }
        AddProducer(node, weight, 1, rank, null, 0, HeadSplitOf(node, weight.Dims[1]) ?? ChunkSplitOf(node, weight.Dims[1]));
    }

    /// <summary>
    /// A MatMul of two computed values (attention's q·kᵀ and softmax·v) broadcasts over the axes before its last two, so
    /// channels (heads) on such an axis stay whole; the operands' groups are tied (q with k, the attention with v). An
    /// operand without tracked channels must broadcast along that axis.
    /// </summary>
    private void VisitBatchedMatMul(Node node)
    {
        var a = LayoutOf(node, 0);
        var b = LayoutOf(node, 1);
        if (a is null && b is null) return;
        var shapesIn = new[] { ShapeOf(node.Inputs[0]), ShapeOf(node.Inputs[1]) };
        var outShape = ShapeOf(node.Outputs[0]);
        string refusal = $"MatMul {node.DisplayName} multiplies two computed values along the channel axis";
        if (outShape is null || shapesIn.Any(s => s is null || s.Length < 3))
        {
            RefuseInputs(node, refusal);
            return;
        }
        int rank = outShape.Length;
        int axis = -1;
        foreach (var (layout, shape) in new[] { (a, shapesIn[0]!), (b, shapesIn[1]!) })
        {
            if (layout is null) continue;
            int aligned = layout.Axis + rank - shape.Length;
            if (layout.Block != 1 || layout.Repeats != 1 || layout.Axis >= shape.Length - 2 || (axis >= 0 && aligned != axis))
            {
                RefuseInputs(node, refusal);
                return;
            }
            axis = aligned;
        }
        foreach (var (layout, shape) in new[] { (a, shapesIn[0]!), (b, shapesIn[1]!) })
        {
            int own = axis - (rank - shape.Length);
            if (layout is null && own >= 0 && shape[own] != 1)
            {
                RefuseInputs(node, $"MatMul {node.DisplayName} mixes the channels with an operand whose channels are not tracked");
                return;
            }
        }
        if (a is not null && b is not null)
        {
            if (a.Segments.Count != b.Segments.Count || a.Segments.Zip(b.Segments).Any(p => p.First.Count != p.Second.Count))
            {
                RefuseInputs(node, $"MatMul {node.DisplayName} combines channel layouts that do not line up");
                return;
            }
            for (int s = 0; s < a.Segments.Count; s++) Union(a.Segments[s].GroupId, b.Segments[s].GroupId, node);
        }
        _layouts[node.Outputs[0]] = (a ?? b)! with { Axis = axis, Rank = rank };
    }

    /// <summary>
    /// The attention-head structure of a projection's output when it is recognizable: the output (after an optional
    /// constant bias Add, then an optional Mul or Div by a scalar constant) is read only by a Reshape that splits its last axis into [P, H, dh] (fused q,k,v: P = 3) or
    /// [H, dh] (Shape nodes may read it too, for B and T). The heads then become the group's units; that they stay whole
    /// downstream is proved like any channel's.
    /// </summary>
    private (int Heads, int HeadSize, int Parts)? HeadSplitOf(Node node, long columns)
    {
        string value = node.Outputs[0];
        var reader = SoleReader(value);
        if (reader is { OpType: OpTypes.Add } add && add.Inputs.Count == 2
            && add.Inputs.Count(i => graph.FindInitializer(i) is { } bias && bias.ElementCount == columns) == 1)
        {
            value = add.Outputs[0];
            reader = SoleReader(value);
        }
        // Hugging Face's BART, CLIP and Whisper scale q before splitting it: q_proj(x) * scaling.
        if (reader is { OpType: OpTypes.Mul or OpTypes.Div } scale && scale.Inputs.Count == 2 && scale.Inputs[0] == value
            && graph.FindInitializer(scale.Inputs[1]) is { ElementCount: 1 } || reader is { OpType: OpTypes.Mul } mul && mul.Inputs.Count == 2
            && mul.Inputs[1] == value && graph.FindInitializer(mul.Inputs[0]) is { ElementCount: 1 })
        {
            value = reader.Outputs[0];
            reader = SoleReader(value);
        }
        // Hugging Face GPT-2's Conv1D runs over the flattened tokens: [B·T, 3·D] is reshaped back to [B, T, 3·D] first.
        if (reader is { OpType: OpTypes.Reshape } lift && lift.Inputs[0] == value && ShapeOf(value) is { Length: > 0 } flat
            && ShapeOf(lift.Outputs[0]) is { Length: > 0 } lifted && flat[^1] == columns && lifted[^1] == columns && lifted.Length > flat.Length
            && SoleReader(lift.Outputs[0]) is { OpType: OpTypes.Split or OpTypes.Reshape } next && next.Inputs[0] == lift.Outputs[0])
        {
            value = lift.Outputs[0];
            reader = next;
        }
        if (reader is { OpType: OpTypes.Split } split) return FusedSplitIntoHeads(split, value, columns);
        return ReshapeIntoHeads(value, reader, columns);
    }

    /// <summary>The heads of <paramref name="value"/> when <paramref name="reader"/> reshapes its last axis into [P, H, dh] or [H, dh].</summary>
    private (int Heads, int HeadSize, int Parts)? ReshapeIntoHeads(string value, Node? reader, long columns)
    {
        if (reader is not { OpType: OpTypes.Reshape } reshape || reshape.Inputs[0] != value) return null;
        var inShape = ShapeOf(value);
        var outShape = ShapeOf(reshape.Outputs[0]);
        if (inShape is not { Length: > 0 } || outShape is null || inShape[^1] != columns) return null;
        int lead = inShape.Length - 1;
        int tail = outShape.Length - lead;
        if (tail is not (2 or 3) || !inShape.AsSpan(0, lead).SequenceEqual(outShape.AsSpan(0, lead))) return null;
        long parts = tail == 3 ? outShape[lead] : 1, heads = outShape[^2], headSize = outShape[^1];
        if (heads < 2 || headSize < 2 || parts < 1 || parts * heads * headSize != columns) return null;
        return ((int)heads, (int)headSize, (int)parts);
    }

    /// <summary>
    /// nanoGPT's <c>q, k, v = self.c_attn(x).split(D, dim=2)</c>: a Split of the last axis into P equal parts, each
    /// reshaped into the same [.., H, dh]. Head h then owns dh positions in each part, as in a fused [.., 3, H, dh].
    /// </summary>
    private (int Heads, int HeadSize, int Parts)? FusedSplitIntoHeads(Node split, string value, long columns)
    {
        var shape = ShapeOf(value);
        int parts = split.Outputs.Count;
        if (shape is not { Length: > 0 } || split.Inputs[0] != value || parts < 2 || columns % parts != 0) return null;
        long axis = split.GetInt("axis", 0);
        if (axis < 0) axis += shape.Length;
        if (axis != shape.Length - 1 || !EqualSplit(split, columns / parts)) return null;
        (int Heads, int HeadSize, int Parts)? found = null;
        foreach (var output in split.Outputs)
        {
            if (output.Length == 0 || ReshapeIntoHeads(output, SoleReader(output), columns / parts) is not { Parts: 1 } each
                || (found is { } f && (f.Heads, f.HeadSize) != (each.Heads, each.HeadSize)))
                return null;
            found = (each.Heads, each.HeadSize, parts);
        }
        return found;
    }

    /// <summary>Whether a Split makes parts of <paramref name="width"/> each: constant sizes all equal to it, or no sizes (equal parts).</summary>
    private bool EqualSplit(Node split, long width)
    {
        if (split.Inputs.Count > 1 && split.Inputs[1].Length > 0)
            return graph.FindInitializer(split.Inputs[1]) is { Type: ElementType.Int64 } sizes && sizes.AsSpan<long>().ToArray().All(w => w == width);
        return split.Attribute("split") is null;
    }
}
