using System.Globalization;
using Shrink.Methods.Pruning.Dependency;
using Shrink.Model;

namespace Shrink.Methods.Pruning.Structured;

/// <summary>
/// Removes channels physically: gathers the surviving positions of every initializer axis the dependency graph lists,
/// rewrites depthwise <c>group</c> and GroupNormalization <c>num_groups</c> attributes, Reshape shape constants and Resize sizes (or the Concat pieces that compute them) and the
/// sizes of a Split of a fused q,k,v projection, and drops value_info that no longer holds.
/// The graph's inputs, outputs and node names are unchanged, except the head axis of a decoder's KV cache inputs and
/// outputs (<see cref="ChannelDependencyGraph.InterfaceSlices"/>), declared with the heads kept.
/// </summary>
public static class ChannelSurgery
{
    /// <summary>
    /// Keeps, for every group g of <paramref name="dependencies"/>, the sorted channel indices <c>keep[g]</c> and removes the rest
    /// from <paramref name="graph"/> (the graph the dependencies were built on, or a clone with the same names).
    /// </summary>
    public static void Apply(ModelGraph graph, ChannelDependencyGraph dependencies, IReadOnlyList<int[]> keep)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(dependencies);
        ArgumentNullException.ThrowIfNull(keep);
        var kept = keep.Select(k => k.Length).ToArray();
        foreach (var slice in dependencies.Slices)
        {
            var positions = slice.Layout.KeptPositions(keep);
            if (positions is null) continue;
            var tensor = graph.FindInitializer(slice.Tensor)
                ?? throw new InvalidOperationException($"Initializer '{slice.Tensor}' of {slice.Node.DisplayName} is missing; the dependency graph was built on another model.");
            graph.SetInitializer(Gather(tensor, slice.Axis, positions));
        }
        foreach (var edit in dependencies.AttributeEdits)
        {
            int channels = edit.Layout.KeptChannels(kept);
            if (channels == edit.Layout.Channels) continue;
            var node = FindSameNode(graph, edit.Node);
            switch (edit.Kind)
            {
                case ChannelAttributeKind.DepthwiseGroup:
                    node.SetInt("group", channels);
                    break;
                case ChannelAttributeKind.GroupCount:
                    node.SetInt("num_groups", channels * edit.Layout.Block * edit.Layout.Repeats);
                    break;
                case ChannelAttributeKind.ReshapeShape:
                case ChannelAttributeKind.ResizeSizes:
                    var shape = graph.FindInitializer(edit.ShapeTensor!)!;
                    var values = shape.AsSpan<long>().ToArray();
                    values[edit.Index] = channels * edit.Layout.Block * edit.Layout.Repeats;
                    // A copy for this Reshape (or Resize): exporters and optimizers share one shape constant between
                    // nodes, and the others' channels may stay (or be cut to another count).
                    string copy = graph.UniqueName(shape.Name + "_pruned");
                    graph.SetInitializer(TensorData.Create<long>(copy, shape.Dims.ToArray(), values, ElementType.Int64));
                    graph.SetInput(node, edit.Kind == ChannelAttributeKind.ReshapeShape ? 1 : 3, copy);
                    break;
                case ChannelAttributeKind.ShapeConcatInput:
                    // A new initializer: the old piece may be computed, or a constant other nodes read.
                    string piece = graph.UniqueName(node.Outputs[0] + "_pruned_" + edit.Index.ToString(CultureInfo.InvariantCulture));
                    long[] entries = edit.ShapeTensor is null ? [0] : graph.FindInitializer(edit.ShapeTensor)!.AsSpan<long>().ToArray();
                    entries[edit.Element] = channels * edit.Layout.Block * edit.Layout.Repeats;
                    graph.SetInitializer(TensorData.Create<long>(piece, [entries.Length], entries, ElementType.Int64));
                    graph.SetInput(node, edit.Index, piece);
                    break;
                case ChannelAttributeKind.SplitSizes:
                    // A new initializer too: the old sizes may be read by other Splits.
                    var oldSizes = graph.FindInitializer(edit.ShapeTensor!)!;
                    string sizes = graph.UniqueName(node.Outputs[0] + "_pruned_split");
                    var widths = Enumerable.Repeat(channels * edit.Layout.Block, (int)oldSizes.ElementCount).ToArray();
                    graph.SetInitializer(TensorData.Create<long>(sizes, oldSizes.Dims.ToArray(), widths, ElementType.Int64));
                    graph.SetInput(node, edit.Index, sizes);
                    break;
            }
        }
        // A decoder's KV cache loses the removed heads: its inputs and outputs are declared with the kept count.
        foreach (var cache in dependencies.InterfaceSlices)
            if (cache.Layout.KeptPositions(keep) is { } positions) graph.SetDeclaredDim(cache.Value, cache.Axis, positions.Length);
        // Shapes of intermediate values changed; ORT infers them again.
        var stale = new HashSet<string>(dependencies.Layouts.Keys, StringComparer.Ordinal);
        graph.RemoveValueInfos(stale);
    }

    /// <summary>The node of <paramref name="graph"/> that writes the same first output as <paramref name="node"/> (the graph may be a clone).</summary>
    internal static Node FindSameNode(ModelGraph graph, Node node) =>
        graph.Producer(node.Outputs[0]) ?? throw new InvalidOperationException($"Node {node.DisplayName} is missing; the dependency graph was built on another model.");

    /// <summary>A copy of <paramref name="tensor"/> holding only <paramref name="positions"/> along <paramref name="axis"/>.</summary>
    public static TensorData Gather(TensorData tensor, int axis, IReadOnlyList<int> positions)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentNullException.ThrowIfNull(positions);
        var dims = tensor.Dims.ToArray();
        int width = tensor.Type.BitWidth();
        if (width < 8) throw new ShrinkException($"Initializer '{tensor.Name}' has sub-byte type {tensor.Type.OnnxName()}; channel pruning needs a float model.");
        long elementBytes = width / 8;
        long outer = 1;
        for (int i = 0; i < axis; i++) outer *= dims[i];
        long inner = elementBytes;
        for (int i = axis + 1; i < dims.Length; i++) inner *= dims[i];
        var source = tensor.RawBytes;
        var result = new byte[outer * positions.Count * inner];
        long axisLength = dims[axis];
        for (long o = 0; o < outer; o++)
        {
            for (int j = 0; j < positions.Count; j++)
            {
                long from = (o * axisLength + positions[j]) * inner;
                long to = (o * positions.Count + j) * inner;
                source.Slice((int)from, (int)inner).CopyTo(result.AsSpan((int)to, (int)inner));
            }
        }
        dims[axis] = positions.Count;
        return TensorData.Create<byte>(tensor.Name, dims, result, tensor.Type);
    }
}
