using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Methods.Pruning.Dependency;

/// <summary>The rules of ops that keep each channel in place: elementwise ops, BatchNormalization, pooling, Softmax.</summary>
internal sealed partial class ChannelDependencyBuilder
{
    private void VisitUnary(Node node, OpSchema schema)
    {
        var layout = LayoutOf(node, 0);
        if (layout is null) return;
        // Extra outputs (Dropout's mask) or extra computed inputs are not understood.
        if (node.Outputs.Skip(1).Any(o => o.Length > 0 && graph.Consumers(o).Count > 0 || graph.IsGraphOutput(o)))
        {
            RefuseInputs(node, $"{node.OpType} {node.DisplayName} has a second output in use");
            return;
        }
        for (int i = 1; i < node.Inputs.Count; i++)
        {
            string input = node.Inputs[i];
            if (input.Length == 0) continue;
            if (graph.FindInitializer(input) is { } constant)
            {
                if (schema.HasChannelParameters && !SliceConstant(node, constant, layout)) return;
                if (!schema.HasChannelParameters && constant.ElementCount != 1)
                {
                    RefuseInputs(node, $"{node.OpType} {node.DisplayName} has a non-scalar parameter '{input}'");
                    return;
                }
            }
            else
            {
                RefuseInputs(node, $"{node.OpType} {node.DisplayName} has a computed parameter '{input}'");
                return;
            }
        }
        _layouts[node.Outputs[0]] = layout;
    }

    /// <summary>Records a per-channel constant operand; false (after refusing) when it broadcasts in a way we cannot slice.</summary>
    private bool SliceConstant(Node node, TensorData constant, ChannelLayout layout)
    {
        int rank = constant.Dims.Count;
        int axis = layout.Axis - (layout.Rank - rank);
        if (axis < 0 || constant.Dims[axis] == 1) return true;
        if (constant.Dims[axis] != layout.Extent)
        {
            Refuse(layout, $"{node.OpType} {node.DisplayName}: constant '{constant.Name}' does not broadcast per channel");
            return false;
        }
        _slices.Add(new ChannelTensorSlice(constant.Name, axis, layout, node, "parameter"));
        return true;
    }

    /// <summary>
    /// Ties the channels of every computed operand (<paramref name="concatenation"/>: a Concat along another axis than the
    /// channels', whose untracked operands must be scalars: they do not broadcast).
    /// </summary>
    private void VisitElementwise(Node node, bool concatenation = false)
    {
        ChannelLayout? first = null;
        var computed = new List<ChannelLayout>();
        var untracked = new List<string>();
        for (int i = 0; i < node.Inputs.Count; i++)
        {
            string input = node.Inputs[i];
            if (input.Length == 0 || graph.FindInitializer(input) is not null) continue;
            if (!_layouts.TryGetValue(input, out var layout))
            {
                untracked.Add(input);
                continue;
            }
            computed.Add(layout);
            first ??= layout;
        }
        if (first is null) return;
        foreach (var input in untracked)
        {
            // A computed operand without channels is fine when it is a scalar or, for an elementwise op, broadcasts
            // along the channel axis (an attention mask [B, 1, 1, T] over the heads): every channel meets the same values.
            // A graph input's shape is not measured; its declared shape (symbolic dims as -1) is enough to see a broadcast.
            var shape = ShapeOf(input) ?? DeclaredInputShape(input);
            bool scalar = shape is not null && shape.All(d => d >= 0) && shape.Aggregate(1L, (a, b) => a * b) == 1;
            if (shape is not null && (scalar || (!concatenation && BroadcastsOverChannels(shape, first))))
                continue;
            if (TracksConstantOperand(node, input, first)) continue;
            RefuseInputs(node, $"{node.OpType} {node.DisplayName} mixes the channels with '{input}', whose channels are not tracked");
            return;
        }
        foreach (var other in computed.Skip(1))
        {
            if (!first.SameShape(other))
            {
                RefuseInputs(node, $"{node.OpType} {node.DisplayName} combines channel layouts that do not line up");
                return;
            }
        }
        foreach (var other in computed.Skip(1))
            for (int s = 0; s < first.Segments.Count; s++) Union(first.Segments[s].GroupId, other.Segments[s].GroupId, node);
        foreach (var input in node.Inputs)
            if (input.Length > 0 && graph.FindInitializer(input) is { } constant && !SliceConstant(node, constant, first)) return;
        _layouts[node.Outputs[0]] = first;
    }

    /// <summary>The declared shape of a graph input, symbolic or unknown dims as -1; null when it is not a graph input with a shape.</summary>
    private long[]? DeclaredInputShape(string value) =>
        graph.Inputs.FirstOrDefault(i => i.Name == value)?.Shape?.Select(d => d.Value ?? -1).ToArray();

    private static bool BroadcastsOverChannels(long[] shape, ChannelLayout layout)
    {
        int axis = layout.Axis - (layout.Rank - shape.Length);
        return shape.Length <= layout.Rank && (axis < 0 || shape[axis] == 1);
    }

    private void VisitBatchNorm(Node node)
    {
        var layout = LayoutOf(node, 0);
        if (layout is null) return;
        if (layout.Axis != 1 || layout.Block != 1 || layout.Repeats != 1 || node.Outputs.Skip(1).Any(o => o.Length > 0))
        {
            RefuseInputs(node, $"BatchNormalization {node.DisplayName} is not an inference-mode BN over axis 1");
            return;
        }
        for (int i = 1; i <= 4; i++)
        {
            if (node.Inputs.Count <= i || graph.FindInitializer(node.Inputs[i]) is null)
            {
                RefuseInputs(node, $"BatchNormalization {node.DisplayName} has computed parameters");
                return;
            }
        }
        for (int i = 1; i <= 4; i++) _slices.Add(new ChannelTensorSlice(node.Inputs[i], 0, layout, node, "parameter"));
        int offset = 0;
        foreach (var s in layout.Segments)
        {
            Group(s.GroupId).BatchNorms.Add(new ChannelBatchNorm(node, node.Inputs[1], offset));
            offset += s.Count;
        }
        _layouts[node.Outputs[0]] = layout;
    }

    private void VisitPooling(Node node)
    {
        var layout = LayoutOf(node, 0);
        if (layout is null) return;
        if (layout.Axis != 1 || layout.Block != 1 || layout.Repeats != 1 || node.Outputs.Skip(1).Any(o => o.Length > 0))
        {
            RefuseInputs(node, $"{node.OpType} {node.DisplayName} pools a value whose channels are not on axis 1");
            return;
        }
        _layouts[node.Outputs[0]] = layout;
    }

    /// <summary>
    /// Softmax normalizes along its axis (before opset 13: over every axis from it on, the default being 1), so channels
    /// on an earlier axis (attention heads) stay independent.
    /// </summary>
    private void VisitSoftmax(Node node)
    {
        var layout = LayoutOf(node, 0);
        if (layout is null) return;
        int axis = (int)node.GetInt("axis", 1);
        if (axis < 0) axis += layout.Rank;
        if (layout.Axis >= axis)
        {
            RefuseInputs(node, $"{node.OpType} {node.DisplayName} normalizes across the channels");
            return;
        }
        _layouts[node.Outputs[0]] = layout;
    }
}
