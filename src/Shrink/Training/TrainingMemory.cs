namespace Shrink.Training;

/// <summary>
/// How a fine-tuning run with a memory budget (<see cref="FineTuneOptions.MemoryBudgetBytes"/>) chose recomputation, from
/// estimates at the training batch (<see cref="ActivationMemory"/>), each without recomputation (null when
/// <see cref="FineTuneOptions.Recompute"/> forced it) and with it: the most bytes of the step's computed values alive at
/// once (the peak, which the budget bounds), and of those the forward values kept for the backward pass.
/// </summary>
/// <param name="BudgetBytes">The budget.</param>
/// <param name="Batch">The batch the estimates are for.</param>
/// <param name="KeptBytes">Forward values kept for the backward pass, without recomputation (null when recomputation was forced).</param>
/// <param name="RecomputedBytes">Forward values kept for the backward pass, with recomputation.</param>
/// <param name="Recompute">Whether the run recomputes.</param>
/// <param name="PeakBytes">The step's peak of computed values without recomputation (null when recomputation was forced).</param>
/// <param name="RecomputedPeakBytes">The step's peak of computed values with recomputation.</param>
public sealed record TrainingMemory(long BudgetBytes, int Batch, long? KeptBytes, long RecomputedBytes, bool Recompute, long? PeakBytes, long RecomputedPeakBytes)
{
    /// <summary>The kept-values estimate of the graph the run trains with.</summary>
    public long ChosenBytes => Recompute ? RecomputedBytes : KeptBytes ?? RecomputedBytes;

    /// <summary>The peak estimate of the graph the run trains with (what the budget bounds).</summary>
    public long ChosenPeakBytes => Recompute ? RecomputedPeakBytes : PeakBytes ?? RecomputedPeakBytes;
}
