namespace Shrink.Ops;

/// <summary>
/// Comparisons, logic and index-valued ops (Equal, Greater, Not, ArgMax, Sign, ...): their outputs are booleans, indices
/// or signs that carry no gradient and no channels (pruning stops at them). Listed so that the catalog knows every op the
/// training graph writes.
/// </summary>
public static class LogicSchemas
{
    /// <summary>The family.</summary>
    public static IReadOnlyList<OpSchema> All { get; } =
    [
        new(OpTypes.Equal),
        new(OpTypes.Greater),
        new(OpTypes.GreaterOrEqual),
        new(OpTypes.Less),
        new(OpTypes.LessOrEqual),
        new(OpTypes.Not),
        new(OpTypes.And),
        new(OpTypes.Or),
        new(OpTypes.ArgMax),
        new(OpTypes.ArgMin),
        new(OpTypes.Sign),
    ];
}
