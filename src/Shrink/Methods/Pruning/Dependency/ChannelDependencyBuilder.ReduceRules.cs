using Shrink.Model;

namespace Shrink.Methods.Pruning.Dependency;

/// <summary>The rule of the reductions (ReduceSum, ReduceMean): channels pass when their axis is not reduced.</summary>
internal sealed partial class ChannelDependencyBuilder
{
    /// <summary>
    /// A reduction over other axes than the channels' (a selective scan's <c>(h · C).sum(-1)</c> over the state axis)
    /// keeps every channel apart; with keepdims 0 the channel axis moves down by the reduced axes before it. Axes come
    /// from the attribute (older opsets) or the constant second input; none reduces every axis (the channels' too),
    /// unless noop_with_empty_axes makes it an identity.
    /// </summary>
    private void VisitReduce(Node node)
    {
        var layout = LayoutOf(node, 0);
        if (layout is null) return;
        IReadOnlyList<long>? axes;
        if (node.Inputs.Count > 1 && node.Inputs[1].Length > 0)
        {
            axes = graph.FindInitializer(node.Inputs[1]) is { Type: ElementType.Int64 } t ? t.AsSpan<long>().ToArray() : null;
            if (axes is null || _layouts.ContainsKey(node.Inputs[1]))
            {
                RefuseInputs(node, $"{node.OpType} {node.DisplayName} takes computed axes");
                return;
            }
        }
        else axes = node.GetInts("axes");
        if (axes is null || axes.Count == 0)
        {
            if (node.GetInt("noop_with_empty_axes", 0) == 1)
            {
                _layouts[node.Outputs[0]] = layout;
                return;
            }
            axes = Enumerable.Range(0, layout.Rank).Select(a => (long)a).ToArray();
        }
        var reduced = axes.Select(a => (int)(a < 0 ? a + layout.Rank : a)).Distinct().ToArray();
        if (reduced.Contains(layout.Axis) || reduced.Any(a => a < 0 || a >= layout.Rank))
        {
            RefuseInputs(node, $"{node.OpType} {node.DisplayName} reduces across the channels");
            return;
        }
        if (node.GetInt("keepdims", 1) != 0)
        {
            _layouts[node.Outputs[0]] = layout;
            return;
        }
        int before = reduced.Count(a => a < layout.Axis);
        _layouts[node.Outputs[0]] = layout with { Axis = layout.Axis - before, Rank = layout.Rank - reduced.Length };
    }
}
