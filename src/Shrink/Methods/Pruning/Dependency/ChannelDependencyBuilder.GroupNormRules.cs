using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Methods.Pruning.Dependency;

/// <summary>
/// The rules of GroupNorm as PyTorch exports it (Reshape to [N, G, −1] → InstanceNormalization → Reshape back to the
/// input's shape, read by a Shape node; the affine γ/β follow as per-channel Mul/Add) and of Resize. GroupNorm normalizes
/// each run of C/G consecutive channels together, so its input channels can only be removed in whole runs: every group
/// that reaches one gets a unit of C/G channels (the least common multiple of all its GroupNorms' runs, shared by the
/// groups a channel Concat puts side by side), and once the graph is built such a group counts units of that many
/// channels instead of single channels (<see cref="ChannelGroup.NormGroupChannels"/>). G in the first Reshape's shape
/// and the InstanceNormalization's scale and bias are cut with the runs kept. The ONNX GroupNormalization op follows the
/// same rules: its num_groups is cut with the runs kept, and its scale and bias with the runs (opset 18: one per group)
/// or with the channels (opset 21: one per channel).
/// </summary>
internal sealed partial class ChannelDependencyBuilder
{
    private readonly List<(int GroupId, int Channels, Node At)> _normUnits = [];
    private readonly List<GroupNormMatch> _groupNorms = [];
    private readonly List<GroupNormalizationMatch> _groupNormalizations = [];

    /// <summary>One GroupNormalization op: its groups, channels per group, and whether scale and bias hold one value per group (opset 18) or per channel (opset 21).</summary>
    private sealed record GroupNormalizationMatch(Node Norm, int Groups, int GroupChannels, bool PerGroup, ChannelLayout Layout);

    /// <summary>One exported GroupNorm: the Reshape into groups, its shape constant, the InstanceNormalization, the Reshape back.</summary>
    private sealed record GroupNormMatch(Node Split, string SplitShape, Node Norm, Node Merge, int Groups, int GroupChannels, string? MergeShape)
    {
        public ChannelLayout? Layout { get; init; }
    }

    /// <summary>
    /// Recognizes <paramref name="reshape"/> as the start of an exported GroupNorm over <paramref name="layout"/>: the
    /// channels then pass to the Reshape back, and each group must lose whole runs of C/G channels. False when the
    /// Reshape is something else (the general Reshape rule then applies).
    /// </summary>
    private bool VisitGroupNorm(Node reshape, ChannelLayout layout)
    {
        if (MatchGroupNorm(reshape, layout) is not { } gn) return false;
        if (layout.Segments.Any(s => s.Count % gn.GroupChannels != 0))
        {
            Refuse(layout, $"GroupNorm {gn.Norm.DisplayName} normalizes runs of {gn.GroupChannels} channels that straddle the inputs of a Concat");
        }
        else
        {
            foreach (var s in layout.Segments) _normUnits.Add((s.GroupId, gn.GroupChannels, gn.Norm));
            _groupNorms.Add(gn with { Layout = layout });
            if (gn.MergeShape is not null) _edits.Add(new ChannelAttributeEdit(ChannelAttributeKind.ReshapeShape, gn.Merge, layout, gn.MergeShape, 1));
        }
        _layouts[gn.Merge.Outputs[0]] = layout;
        return true;
    }

    /// <summary>
    /// The GroupNorm that starts at <paramref name="reshape"/>, if it is one: a constant shape [0, G, −1] (or [0, G, C/G·H·W])
    /// of an NCHW value whose C channels are <paramref name="layout"/>, read only by an InstanceNormalization with G constant
    /// scales and biases of its own, read only by a Reshape back to the value's shape (Shape of the value, or a constant
    /// with C at entry 1).
    /// </summary>
    private GroupNormMatch? MatchGroupNorm(Node reshape, ChannelLayout layout)
    {
        if (reshape.OpType != OpTypes.Reshape || reshape.Inputs.Count != 2 || layout.Axis != 1 || layout.Block != 1 || layout.Repeats != 1) return null;
        var inShape = ShapeOf(reshape.Inputs[0]);
        if (inShape is not { Length: >= 3 } || inShape[1] != layout.Channels) return null;
        var shape = graph.FindInitializer(reshape.Inputs[1]);
        if (shape is not { Type: ElementType.Int64, ElementCount: 3 }) return null;
        var entries = shape.AsSpan<long>();
        long groups = entries[1], channels = inShape[1];
        if (entries[0] != 0 || groups < 1 || channels % groups != 0) return null;
        long spatial = 1;
        for (int i = 2; i < inShape.Length; i++) spatial *= inShape[i];
        if (entries[2] != -1 && entries[2] != channels / groups * spatial) return null;
        if (Only(reshape.Outputs[0]) is not { OpType: OpTypes.InstanceNormalization } norm || norm.Inputs.Count != 3 || norm.Inputs[0] != reshape.Outputs[0])
            return null;
        for (int i = 1; i <= 2; i++)
            if (graph.FindInitializer(norm.Inputs[i]) is not { ElementCount: var n, Dims.Count: 1 } || n != groups || graph.Consumers(norm.Inputs[i]).Count != 1) return null;
        if (Only(norm.Outputs[0]) is not { OpType: OpTypes.Reshape } merge || merge.Inputs.Count != 2 || merge.Inputs[0] != norm.Outputs[0]) return null;
        string? mergeShape = null;
        if (graph.Producer(merge.Inputs[1]) is { OpType: OpTypes.Shape } read)
        {
            if (read.Inputs[0] != reshape.Inputs[0] || read.Attribute("start") is not null || read.Attribute("end") is not null) return null;
        }
        else if (graph.FindInitializer(merge.Inputs[1]) is { Type: ElementType.Int64 } back && back.ElementCount == inShape.Length && back.AsSpan<long>()[1] == channels)
        {
            mergeShape = back.Name;
        }
        else
        {
            return null;
        }
        return new GroupNormMatch(reshape, shape.Name, norm, merge, (int)groups, (int)(channels / groups), mergeShape);
    }

    /// <summary>
    /// GroupNormalization (X, scale, bias; num_groups): the channels on axis 1 pass through and each group's runs of C/G
    /// channels go whole. Scale and bias must be constants of their own with G values (opset 18) or C (opset 21).
    /// </summary>
    private void VisitGroupNormalization(Node node)
    {
        var layout = LayoutOf(node, 0);
        if (layout is null || node.Inputs.Skip(1).Any(_layouts.ContainsKey))
        {
            RefuseInputs(node, $"GroupNormalization {node.DisplayName} takes the channels as its scale or bias");
            return;
        }
        long groups = node.GetInt("num_groups", 0);
        int channels = layout.Channels;
        if (layout.Axis != 1 || layout.Block != 1 || layout.Repeats != 1 || groups < 1 || channels % groups != 0)
        {
            Refuse(layout, $"GroupNormalization {node.DisplayName} ({groups} groups) does not normalize whole runs of its {channels} channels on axis 1");
            return;
        }
        int perRun = (int)(channels / groups);
        long? count = null;
        for (int i = 1; i <= 2; i++)
        {
            var t = node.Inputs.Count > i ? graph.FindInitializer(node.Inputs[i]) : null;
            if (t is not { Dims.Count: 1 } || (t.ElementCount != groups && t.ElementCount != channels) || (count ?? t.ElementCount) != t.ElementCount || graph.Consumers(t.Name).Count != 1)
            {
                Refuse(layout, $"GroupNormalization {node.DisplayName} needs a constant scale and bias of its own with {groups} or {channels} values");
                return;
            }
            count = t.ElementCount;
        }
        _layouts[node.Outputs[0]] = layout;
        if (layout.Segments.Any(s => s.Count % perRun != 0))
        {
            Refuse(layout, $"GroupNorm {node.DisplayName} normalizes runs of {perRun} channels that straddle the inputs of a Concat");
            return;
        }
        foreach (var s in layout.Segments) _normUnits.Add((s.GroupId, perRun, node));
        bool perGroup = count == groups && groups != channels;
        _groupNormalizations.Add(new GroupNormalizationMatch(node, (int)groups, perRun, perGroup, layout));
        if (!perGroup)
        {
            _slices.Add(new ChannelTensorSlice(node.Inputs[1], 0, layout, node, "parameter"));
            _slices.Add(new ChannelTensorSlice(node.Inputs[2], 0, layout, node, "parameter"));
        }
    }

    /// <summary>The one node that reads <paramref name="value"/> when it is not a graph output either.</summary>
    private Node? Only(string value) => graph.Consumers(value) is [var one] && !graph.IsGraphOutput(value) ? one : null;

    /// <summary>
    /// A Shape of a GroupNorm's input read only as the shape of the Reshape back from [N, G, −1]: it reads the channel
    /// count as it is once pruned, so nothing to rewrite.
    /// </summary>
    private bool IsGroupNormShapeRead(Node shape, ChannelLayout layout)
    {
        string value = shape.Outputs[0];
        if (graph.IsGraphOutput(value) || shape.Attribute("start") is not null || shape.Attribute("end") is not null) return false;
        var readers = graph.Consumers(value);
        return readers.Count > 0 && readers.All(r => r.OpType == OpTypes.Reshape && r.Inputs.Count == 2 && r.Inputs[1] == value
            && graph.Producer(r.Inputs[0]) is { OpType: OpTypes.InstanceNormalization } norm
            && graph.Producer(norm.Inputs[0]) is { } split && split.Inputs[0] == shape.Inputs[0]
            && MatchGroupNorm(split, layout) is { } gn && gn.Merge == r);
    }

    /// <summary>
    /// Resize (opset 11+: X, roi, scales, sizes; opset 10: X, scales) with constant scales of 1 on the channel axis, or
    /// constant sizes that keep the channel count (the entry is then rewritten to the kept count) or that leave the
    /// channel axis out of their <c>axes</c> (opset 18).
    /// </summary>
    private void VisitResize(Node node)
    {
        var layout = LayoutOf(node, 0);
        if (layout is null) return;
        bool hasSizes = node.Inputs.Count > 3 && node.Inputs[3].Length > 0;
        if (hasSizes && !node.Inputs.Skip(1).Any(_layouts.ContainsKey))
        {
            VisitResizeSizes(node, layout);
            return;
        }
        int scalesInput = node.Inputs.Count == 2 ? 1 : 2;
        var scales = hasSizes || node.Inputs.Count <= scalesInput ? null : graph.FindInitializer(node.Inputs[scalesInput]);
        if (scales is not { Type: ElementType.Float } || scales.ElementCount != layout.Rank || scales.AsSpan<float>()[layout.Axis] != 1f
            || node.Inputs.Skip(1).Any(_layouts.ContainsKey))
        {
            RefuseInputs(node, $"{node.OpType} {node.DisplayName} resizes the channel axis or takes computed scales or sizes");
            return;
        }
        _layouts[node.Outputs[0]] = layout;
    }

    private void VisitResizeSizes(Node node, ChannelLayout layout)
    {
        var sizes = graph.FindInitializer(node.Inputs[3]);
        var axes = node.GetInts("axes")?.Select(a => a < 0 ? a + layout.Rank : a).ToList();
        int? entry = axes is null ? layout.Axis : axes.IndexOf(layout.Axis) is int i and >= 0 ? i : null;
        if (sizes is not { Type: ElementType.Int64, Dims.Count: 1 } || sizes.ElementCount != (axes?.Count ?? layout.Rank))
        {
            RefuseInputs(node, $"{node.OpType} {node.DisplayName} resizes the channel axis or takes computed scales or sizes");
            return;
        }
        if (entry is int e)
        {
            string policy = node.GetString("keep_aspect_ratio_policy", "stretch");
            if (sizes.AsSpan<long>()[e] != layout.Extent || policy != "stretch")
            {
                RefuseInputs(node, $"{node.OpType} {node.DisplayName} resizes the channel axis (sizes[{e}] = {sizes.AsSpan<long>()[e]} for {layout.Extent} channels, keep_aspect_ratio_policy {policy})");
                return;
            }
            _edits.Add(new ChannelAttributeEdit(ChannelAttributeKind.ResizeSizes, node, layout, sizes.Name, e));
        }
        _layouts[node.Outputs[0]] = layout;
    }

    /// <summary>
    /// Channels per unit of every root group: 1, or the least common multiple of the runs of the GroupNorms that read
    /// it, made equal across the groups that share a value's channel axis (a Concat's inputs: the layout has one block).
    /// A group whose size is not a multiple of its unit (or that is also a head group or has an unfused BatchNormalization)
    /// is refused, with the groups it shares a layout with, and counts single channels.
    /// </summary>
    private Dictionary<int, int> NormUnits()
    {
        var units = new Dictionary<int, int>();
        if (_normUnits.Count == 0) return units;
        foreach (var (id, channels, _) in _normUnits)
        {
            int root = Find(id);
            units[root] = Lcm(units.GetValueOrDefault(root, 1), channels);
        }
        foreach (var (root, unit) in units.ToArray())
            if (_groups[root].Size % unit != 0 || _groups[root].HeadSize is not null || _groups[root].BatchNorms.Count > 0) units[root] = 0;
        var shared = _layouts.Values.Concat(_slices.Select(s => s.Layout)).Concat(_edits.Select(e => e.Layout))
            .Where(l => l.Segments.Count > 1).Select(l => l.Segments.Select(s => Find(s.GroupId)).Distinct().ToArray()).ToList();
        for (bool changed = true; changed;)
        {
            changed = false;
            foreach (var roots in shared)
            {
                int unit = roots.Aggregate(1, (a, r) => Lcm(a, units.GetValueOrDefault(r, 1)));
                foreach (int r in roots)
                {
                    int next = unit != 0 && _groups[r].Size % unit == 0 && (unit == 1 || (_groups[r].HeadSize is null && _groups[r].BatchNorms.Count == 0)) ? unit : 0;
                    if (units.GetValueOrDefault(r, 1) == next) continue;
                    units[r] = next;
                    changed = true;
                }
            }
        }
        foreach (var (root, unit) in units.ToArray())
        {
            if (unit != 0) continue;
            var g = _groups[root];
            var norms = _normUnits.Where(n => Find(n.GroupId) == root).Select(n => $"{n.At.DisplayName} (runs of {n.Channels})").Distinct();
            string why = norms.Any()
                ? $"GroupNorm {string.Join(", ", norms)} would need whole runs of channels that do not fit its {g.Size} channels"
                : $"it shares a Concat with channels that a GroupNorm makes removable only in runs that do not fit";
            if (!g.Reasons.Contains(why)) g.Reasons.Add(why);
            units[root] = 1;
        }
        return units;
    }

    /// <summary>
    /// The GroupNorms' slices and edits once the units are known, over layouts already counted in units (with one entry
    /// per C/G channels): the InstanceNormalization's scale and bias and G in the first Reshape's shape; a GroupNormalization's
    /// num_groups and its per-group scale and bias.
    /// </summary>
    private (List<ChannelTensorSlice> Slices, List<ChannelAttributeEdit> Edits) GroupNormCuts(Dictionary<int, int> units)
    {
        var slices = new List<ChannelTensorSlice>();
        var edits = new List<ChannelAttributeEdit>();
        foreach (var gn in _groupNorms)
        {
            var layout = gn.Layout!;
            int unit = units.GetValueOrDefault(Find(layout.Segments[0].GroupId), 1);
            if (unit % gn.GroupChannels != 0) continue; // refused: nothing is cut
            var perGroup = ToUnits(layout, units) with { Block = unit / gn.GroupChannels };
            slices.Add(new ChannelTensorSlice(gn.Norm.Inputs[1], 0, perGroup, gn.Norm, "parameter"));
            slices.Add(new ChannelTensorSlice(gn.Norm.Inputs[2], 0, perGroup, gn.Norm, "parameter"));
            edits.Add(new ChannelAttributeEdit(ChannelAttributeKind.ReshapeShape, gn.Split, perGroup, gn.SplitShape, 1));
        }
        foreach (var gn in _groupNormalizations)
        {
            int unit = units.GetValueOrDefault(Find(gn.Layout.Segments[0].GroupId), 1);
            if (unit % gn.GroupChannels != 0) continue; // refused: nothing is cut
            var perGroup = ToUnits(gn.Layout, units) with { Block = unit / gn.GroupChannels };
            if (gn.PerGroup)
            {
                slices.Add(new ChannelTensorSlice(gn.Norm.Inputs[1], 0, perGroup, gn.Norm, "parameter"));
                slices.Add(new ChannelTensorSlice(gn.Norm.Inputs[2], 0, perGroup, gn.Norm, "parameter"));
            }
            edits.Add(new ChannelAttributeEdit(ChannelAttributeKind.GroupCount, gn.Norm, perGroup));
        }
        return (slices, edits);
    }

    /// <summary><paramref name="layout"/> counted in units: each segment's count divided by the unit, the block multiplied by it.</summary>
    private ChannelLayout ToUnits(ChannelLayout layout, Dictionary<int, int> units)
    {
        if (units.Count == 0 || layout.Segments.Count == 0) return layout;
        int unit = units.GetValueOrDefault(Find(layout.Segments[0].GroupId), 1);
        if (unit == 1) return layout;
        return layout with { Segments = layout.Segments.Select(s => s with { Count = s.Count / unit }).ToArray(), Block = layout.Block * unit };
    }

    private static int Lcm(int a, int b) => a == 0 || b == 0 ? 0 : checked(a / Gcd(a, b) * b);

    private static int Gcd(int a, int b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return a;
    }
}
