namespace Shrink.Methods.Pruning.Structured;

/// <summary>A cost of the model (MACs, parameters, predicted latency) as a function of the channels each group keeps.</summary>
public interface IPruningCost
{
    /// <summary>The cost with nothing removed.</summary>
    double Total { get; }

    /// <summary>The cost when group g keeps <c>kept[g]</c> channels.</summary>
    double Evaluate(IReadOnlyList<int> kept);
}
