namespace Shrink.Cli.Json;

/// <summary>Nodes of one op type left in float for one reason: one entry of <c>quantize --json</c>'s <c>left_in_float</c>.</summary>
internal sealed record LeftOpJson(string Op, string Reason, int Count)
{
    /// <summary>The entries for a quantization result's (op type, reason, count) list.</summary>
    public static IReadOnlyList<LeftOpJson> From(IEnumerable<(string OpType, string Reason, int Count)> left) =>
        [.. left.Select(l => new LeftOpJson(l.OpType, l.Reason, l.Count))];
}
