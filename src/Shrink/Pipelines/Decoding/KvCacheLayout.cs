using Shrink.Model;

namespace Shrink.Pipelines.Decoding;

/// <summary>
/// How a decoder with a KV cache is fed, read from its graph interface: one integer token input [batch,seq], one
/// output of per-position scores [batch,seq,vocab], and the cache as float past inputs paired with present outputs.
/// </summary>
/// <remarks>
/// Pairs are found by name: an input and an output of the same rank (at least 3, float32) whose names agree once
/// the past/present prefix is removed: <c>past_key_0</c>/<c>present_key_0</c>, <c>past_key_values.0.key</c>/<c>present.0.key</c>,
/// <c>past_key_value_0</c>/<c>present_key_value_0</c>, <c>past_0</c>/<c>present_0</c>. The sequence axis of a pair is the one
/// axis whose declared dim differs between past and present (<c>past_seq</c> vs <c>past_seq + seq</c>); when the shapes
/// do not tell, it is axis 2 of a rank-4 cache [batch,heads,seq,dim] and axis 1 of a rank-3 one [batch,seq,dim]. The batch
/// axis is the one named like the token input's first dim (default 0).
/// </remarks>
public sealed record KvCacheLayout(string TokenInput, string LogitsOutput, IReadOnlyList<KvCachePair> Pairs)
{
    private static readonly string[] PastPrefixes = ["past_key_values", "past_key_value", "past"];
    private static readonly string[] PresentPrefixes = ["present_key_values", "present_key_value", "present"];

    /// <summary>The names of the cache inputs.</summary>
    public IEnumerable<string> PastInputs => Pairs.Select(p => p.Past);

    /// <summary>True when <paramref name="name"/> is one of the cache inputs.</summary>
    public bool IsPast(string name) => Pairs.Any(p => p.Past == name);

    /// <summary>
    /// The layout of <paramref name="model"/>, or null when it has no cache pairs or is not fed as this loop feeds a
    /// decoder (other inputs than the tokens and the cache, such as an attention mask; several score outputs).
    /// </summary>
    public static KvCacheLayout? Detect(OnnxModel model) => Detect(model.Graph.Inputs, model.Graph.Outputs);

    /// <summary>The layout of a graph with these inputs and outputs, or null (see <see cref="Detect(OnnxModel)"/>).</summary>
    public static KvCacheLayout? Detect(IReadOnlyList<ValueInfo> inputs, IReadOnlyList<ValueInfo> outputs)
    {
        var pairs = new List<(ValueInfo Past, ValueInfo Present)>();
        foreach (var input in inputs)
        {
            if (!IsCacheCandidate(input) || Strip(input.Name, PastPrefixes) is not string key) continue;
            var present = outputs.FirstOrDefault(o => IsCacheCandidate(o) && o.Shape!.Count == input.Shape!.Count
                && Strip(o.Name, PresentPrefixes) is string k && string.Equals(k, key, StringComparison.OrdinalIgnoreCase));
            if (present is not null) pairs.Add((input, present));
        }
        if (pairs.Count == 0) return null;
        var others = inputs.Where(i => !pairs.Any(p => p.Past.Name == i.Name)).ToList();
        if (others.Count != 1 || others[0].Type is not (ElementType.Int64 or ElementType.Int32) || others[0].Shape is not { Count: 2 } tokenShape)
            return null;
        var scores = outputs.Where(o => !pairs.Any(p => p.Present.Name == o.Name)).ToList();
        if (scores.Count != 1 || scores[0].Shape is { Count: not 3 })
            return null;
        string? batchSymbol = tokenShape[0].Symbol;
        return new KvCacheLayout(others[0].Name, scores[0].Name, [.. pairs.Select(p => Pair(p.Past, p.Present, batchSymbol))]);
    }

    private static KvCachePair Pair(ValueInfo past, ValueInfo present, string? batchSymbol)
    {
        var a = past.Shape!;
        var b = present.Shape!;
        int batchAxis = 0;
        for (int k = 0; k < a.Count; k++)
            if (batchSymbol is not null && a[k].Symbol == batchSymbol) { batchAxis = k; break; }
        var differing = Enumerable.Range(0, a.Count).Where(k => k != batchAxis && a[k] != b[k] && !a[k].IsFixed).ToList();
        int sequenceAxis = differing.Count == 1 ? differing[0] : a.Count == 3 ? 1 : 2;
        return new KvCachePair(past.Name, present.Name, batchAxis, sequenceAxis,
            [.. a.Select((d, k) => k == batchAxis || k == sequenceAxis ? null : d.Value)]);
    }

    private static bool IsCacheCandidate(ValueInfo v) =>
        v.Type == ElementType.Float && v.Shape is { Count: >= 3 };

    /// <summary>The name without its past/present prefix, or null when it has none.</summary>
    private static string? Strip(string name, string[] prefixes)
    {
        foreach (var p in prefixes)
            if (name.StartsWith(p, StringComparison.OrdinalIgnoreCase) && name.Length > p.Length)
                return name[p.Length..];
        return null;
    }
}
