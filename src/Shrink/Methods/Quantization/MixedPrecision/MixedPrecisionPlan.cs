namespace Shrink.Methods.Quantization.MixedPrecision;

/// <summary>The outcome of bit allocation: a width per layer for <see cref="WeightOnly.WeightOnlyOptions.LayerBits"/>, with the budget and its bounds.</summary>
public sealed record MixedPrecisionPlan
{
    /// <summary>The width of each layer, by node name.</summary>
    public required IReadOnlyDictionary<string, int> LayerBits { get; init; }

    /// <summary>Per layer, in graph order.</summary>
    public required IReadOnlyList<LayerPlan> Layers { get; init; }

    /// <summary>The budget asked for.</summary>
    public required MixedPrecisionBudget Budget { get; init; }

    /// <summary>The budget in the resource's unit (bytes or BOPs).</summary>
    public required long BudgetValue { get; init; }

    /// <summary>What the plan uses, in the same unit.</summary>
    public required long Used { get; init; }

    /// <summary>The smallest feasible budget (every layer at its lowest width) and the float model's, in the same unit.</summary>
    public required (long Minimum, long Float) Bounds { get; init; }

    /// <summary>The predicted model size in bytes.</summary>
    public required long PredictedBytes { get; init; }

    /// <summary>The size of the file the plan's model was written to, when a size budget was checked against it (<see cref="MixedPrecisionPlanner.PlanWritten"/>).</summary>
    public long? WrittenBytes { get; init; }

    /// <summary>Σ Ω of the plan.</summary>
    public required double TotalOmega { get; init; }

    /// <summary>Whether the solver proved the plan optimal.</summary>
    public required bool Optimal { get; init; }

    /// <summary>How sizes were counted.</summary>
    public required SizeAccounting Accounting { get; init; }
}
