using Shrink.Model;
using Shrink.Ops;
using Shrink.Pipelines.Decoding;

namespace Shrink.Methods.Pruning.Dependency;

/// <summary>
/// The rules of a decoder's KV cache (<see cref="KvCacheLayout"/>): a past cache input concatenated with the new keys or
/// values along another axis than the heads' takes their heads, and the present output it becomes may carry them, so
/// that pruning a head also removes its slice of the cache (the cache inputs and outputs are the one place where channel
/// pruning changes the model's interface).
/// </summary>
internal sealed partial class ChannelDependencyBuilder
{
    private readonly List<ChannelInterfaceSlice> _interface = [];
    private KvCacheLayout? _cache;
    private bool _cacheDetected;

    private KvCacheLayout? Cache
    {
        get
        {
            if (!_cacheDetected) _cache = KvCacheLayout.Detect(graph.Inputs, graph.Outputs);
            _cacheDetected = true;
            return _cache;
        }
    }

    /// <summary>
    /// At a Concat along another axis than the channels' of <paramref name="first"/> (the new keys [B, H, T, dh] joined to
    /// the past ones along T): every operand that is a past cache input of the model, declared with the same rank and the
    /// same count along the channel axis, and read otherwise only by Shape nodes for its other dims, takes the layout.
    /// Anything else is left untracked (and the Concat refuses the channels, as before).
    /// </summary>
    private void TieCacheInputs(Node node, ChannelLayout first)
    {
        if (Cache is not { } cache) return;
        foreach (var input in node.Inputs)
        {
            if (input.Length == 0 || _layouts.ContainsKey(input) || !cache.IsPast(input)) continue;
            var declared = DeclaredInputShape(input);
            if (declared is null || declared.Length != first.Rank || declared[first.Axis] != first.Extent) continue;
            if (!graph.Consumers(input).All(r => r == node || ReadsOnlyOtherDims(r, input, first))) continue;
            _layouts[input] = first;
            _interface.Add(new ChannelInterfaceSlice(input, true, first.Axis, first));
        }
    }

    /// <summary>A Shape of <paramref name="value"/> whose every reader picks dims other than the channel axis (the past length).</summary>
    private bool ReadsOnlyOtherDims(Node reader, string value, ChannelLayout layout) =>
        reader.OpType == OpTypes.Shape && reader.Inputs[0] == value && reader.Attribute("start") is null && reader.Attribute("end") is null
        && !graph.IsGraphOutput(reader.Outputs[0]) && graph.Consumers(reader.Outputs[0]).All(r => ReadsOtherDims(r, reader.Outputs[0], layout));

    /// <summary>
    /// Whether the channels may reach graph output <paramref name="output"/>: it is the present cache of a past input that
    /// carries the same channels (so the loop that feeds one back as the other sees the same heads), declared with the
    /// same count along the channel axis. Records the output's slice when so.
    /// </summary>
    private bool AllowsCacheOutput(string output, ChannelLayout layout)
    {
        if (Cache?.Pairs.FirstOrDefault(p => p.Present == output) is not { } pair) return false;
        var past = _interface.FirstOrDefault(s => s.IsInput && s.Value == pair.Past);
        var declared = graph.Outputs.FirstOrDefault(o => o.Name == output)?.Shape;
        if (past is null || declared is null || declared.Count != layout.Rank || declared[layout.Axis].Value != layout.Extent
            || !past.Layout.SameShape(layout) || past.Layout.Axis != layout.Axis
            || !past.Layout.Segments.Select(s => Find(s.GroupId)).SequenceEqual(layout.Segments.Select(s => Find(s.GroupId))))
            return false;
        _interface.Add(new ChannelInterfaceSlice(output, false, layout.Axis, layout));
        return true;
    }
}
