namespace Shrink.Training;

/// <summary>
/// How a fine-tuning run with a memory budget (<see cref="FineTuneOptions.MemoryBudgetBytes"/>) chose recomputation: the
/// estimated bytes of the forward values kept for the backward pass at the training batch (<see cref="ActivationMemory"/>),
/// without recomputation (null when <see cref="FineTuneOptions.Recompute"/> forced it) and with it.
/// </summary>
/// <param name="BudgetBytes">The budget.</param>
/// <param name="Batch">The batch the estimates are for.</param>
/// <param name="KeptBytes">The estimate without recomputation (null when recomputation was forced).</param>
/// <param name="RecomputedBytes">The estimate with recomputation.</param>
/// <param name="Recompute">Whether the run recomputes.</param>
public sealed record TrainingMemory(long BudgetBytes, int Batch, long? KeptBytes, long RecomputedBytes, bool Recompute)
{
    /// <summary>The estimate of the graph the run trains with.</summary>
    public long ChosenBytes => Recompute ? RecomputedBytes : KeptBytes ?? RecomputedBytes;
}
