namespace Shrink.Pipelines.Decoding;

/// <summary>
/// One cache tensor of a decoder: the input that takes the cache of the tokens seen so far and the output that gives it
/// back grown by the tokens of this run (e.g. <c>past_key_0</c> → <c>present_key_0</c>).
/// </summary>
/// <param name="Past">The graph input that takes the cache.</param>
/// <param name="Present">The graph output that returns it, one run longer.</param>
/// <param name="BatchAxis">The axis samples are stacked along (0 for [batch,heads,seq,dim]).</param>
/// <param name="SequenceAxis">The axis that grows by one per token (2 for [batch,heads,seq,dim]).</param>
/// <param name="Dims">The declared dims of the past input; null where symbolic (the batch and sequence axes always are).</param>
public sealed record KvCachePair(string Past, string Present, int BatchAxis, int SequenceAxis, IReadOnlyList<long?> Dims)
{
    /// <summary>The shape of an empty cache (0 tokens) for <paramref name="batch"/> samples.</summary>
    /// <exception cref="ShrinkException">A dim other than the batch and sequence axes is not fixed in the model.</exception>
    public long[] EmptyShape(int batch)
    {
        var shape = new long[Dims.Count];
        for (int a = 0; a < shape.Length; a++)
            shape[a] = a == BatchAxis ? batch : a == SequenceAxis ? 0 : Dims[a]
                ?? throw new ShrinkException($"Cache input '{Past}': dim {a} is symbolic, so an empty cache cannot be made; only its batch (axis {BatchAxis}) and sequence (axis {SequenceAxis}) dims may be.");
        return shape;
    }
}
