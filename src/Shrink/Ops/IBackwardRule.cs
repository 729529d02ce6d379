namespace Shrink.Ops;

/// <summary>
/// Placeholder for an op's backward (gradient) rule, to be filled when a method needs gradients through the graph
/// (e.g. gradient-based importance or AdaRound-style reconstruction). No schema has one yet.
/// </summary>
public interface IBackwardRule
{
    /// <summary>The op type the rule differentiates.</summary>
    string OpType { get; }
}
