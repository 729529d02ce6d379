namespace Shrink.Cli.Json;

/// <summary>A node a command left as it was (in float, dense, or unfactored), with the reason: one entry of <c>left_in_float</c> / <c>left_dense</c> / <c>left_alone</c>.</summary>
internal sealed record LeftNodeJson(string Name, string Op, string Reason)
{
    /// <summary>The entries for a result's (name, op type, reason) list.</summary>
    public static IReadOnlyList<LeftNodeJson> From(IEnumerable<(string Name, string OpType, string Reason)> left) =>
        [.. left.Select(l => new LeftNodeJson(l.Name, l.OpType, l.Reason))];
}
