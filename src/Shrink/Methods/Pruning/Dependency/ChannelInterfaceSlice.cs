namespace Shrink.Methods.Pruning.Dependency;

/// <summary>
/// A graph input or output whose axis <see cref="Axis"/> is indexed by channels (attention heads): a decoder's KV cache,
/// <c>past_key_i</c> concatenated with the new keys along the sequence axis into <c>present_key_i</c>. Removing heads
/// shrinks that axis, so the model's declared interface changes there (and only there): the caller feeds the cache of
/// the kept heads.
/// </summary>
/// <param name="Value">The graph input or output.</param>
/// <param name="IsInput">True for a graph input (a past cache), false for a graph output (a present cache).</param>
/// <param name="Axis">The axis of the value that the channels index (the head axis, 1 for [batch,heads,seq,dim]).</param>
/// <param name="Layout">The channels along that axis.</param>
public sealed record ChannelInterfaceSlice(string Value, bool IsInput, int Axis, ChannelLayout Layout);
