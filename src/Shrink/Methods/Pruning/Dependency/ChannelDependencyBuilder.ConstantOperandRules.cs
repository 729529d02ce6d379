using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Methods.Pruning.Dependency;

/// <summary>
/// Computed operands of an elementwise op that hold one value per channel but come from no input: a parameter passed
/// through one-input ops (Mamba's <c>A = −exp(A_log)</c>: the initializer is sliced), or a ConstantOfShape whose shape
/// holds the channel count as a constant piece of a Concat (a scan's initial state <c>zeros(B, d_inner, d_state)</c>:
/// the piece is rewritten).
/// </summary>
internal sealed partial class ChannelDependencyBuilder
{
    /// <summary>
    /// Whether <paramref name="input"/>, an operand of <paramref name="node"/> without tracked channels, has the channels
    /// of <paramref name="layout"/> along its aligned axis and can follow them; when it can, the slice or edit is recorded.
    /// </summary>
    private bool TracksConstantOperand(Node node, string input, ChannelLayout layout)
    {
        var producer = graph.Producer(input);
        if (producer is null || graph.IsGraphOutput(input) || graph.Consumers(input).Count != 1 || !OpDomains.IsDefault(producer.Domain)) return false;
        var shape = ShapeOf(input);
        if (shape is null || shape.Length > layout.Rank) return false;
        int axis = layout.Axis - (layout.Rank - shape.Length);
        if (axis < 0 || shape[axis] != layout.Extent) return false;
        var own = layout with { Axis = axis, Rank = shape.Length };
        return producer.OpType == OpTypes.ConstantOfShape ? TracksFilledShape(producer, own) : TracksParameterChain(node, producer, input, own);
    }

    /// <summary>
    /// A parameter through one-input elementwise ops (Exp, Neg, ...; any other input a scalar constant), each value read
    /// only by the next: the ops keep the shape, so the initializer is sliced on the same axis.
    /// </summary>
    private bool TracksParameterChain(Node node, Node producer, string value, ChannelLayout layout)
    {
        var chain = new List<string> { value };
        var current = producer;
        for (int hops = 0; hops < 16; hops++)
        {
            var schema = OpCatalog.Find(current.OpType, current.Domain);
            if (schema is not { ChannelFlow: ChannelFlow.PassesThrough, HasChannelParameters: false } || current.Inputs.Count == 0
                || current.Outputs.Skip(1).Any(o => o.Length > 0)
                || current.Inputs.Skip(1).Any(i => i.Length > 0 && graph.FindInitializer(i) is not { ElementCount: 1 }))
                return false;
            string source = current.Inputs[0];
            if (_layouts.ContainsKey(source) || graph.IsGraphOutput(source) || graph.Consumers(source).Count != 1) return false;
            if (graph.FindInitializer(source) is { } parameter)
            {
                if (parameter.Dims.Count != layout.Rank || parameter.Dims[layout.Axis] != layout.Extent) return false;
                _slices.Add(new ChannelTensorSlice(parameter.Name, layout.Axis, layout, node, "parameter"));
                // The values in between change shape too (their value_info goes stale).
                foreach (var v in chain) _layouts[v] = layout;
                return true;
            }
            chain.Add(source);
            if (graph.Producer(source) is not { } next || !OpDomains.IsDefault(next.Domain)) return false;
            current = next;
        }
        return false;
    }

    /// <summary>
    /// A ConstantOfShape (every element the same value) whose shape is a Concat, read only by it, with the channel entry
    /// in a constant piece equal to the channel count: that piece is replaced by the kept count.
    /// </summary>
    private bool TracksFilledShape(Node fill, ChannelLayout layout)
    {
        if (fill.Inputs.Count != 1 || graph.Producer(fill.Inputs[0]) is not { OpType: OpTypes.Concat } concat
            || graph.Consumers(concat.Outputs[0]).Count != 1 || graph.IsGraphOutput(concat.Outputs[0]) || concat.GetInt("axis", 0) != 0)
            return false;
        int position = 0;
        for (int i = 0; i < concat.Inputs.Count; i++)
        {
            if (ShapeOf(concat.Inputs[i]) is not [long length]) return false;
            int element = layout.Axis - position;
            if (element < length)
            {
                if (graph.FindInitializer(concat.Inputs[i]) is not { Type: ElementType.Int64 } piece || piece.AsSpan<long>()[element] != layout.Extent) return false;
                _edits.Add(new ChannelAttributeEdit(ChannelAttributeKind.ShapeConcatInput, concat, layout, piece.Name, i, element));
                _layouts[fill.Outputs[0]] = layout;
                return true;
            }
            position += (int)length;
        }
        return false;
    }
}
