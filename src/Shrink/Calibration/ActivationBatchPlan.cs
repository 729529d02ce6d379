namespace Shrink.Calibration;

/// <summary>
/// How to observe a set of activations within a memory budget: the batch size, and the tensors split into groups
/// observed one pass each (one group unless a single sample's activations exceed the budget).
/// </summary>
/// <param name="BatchSize">Samples per run.</param>
/// <param name="Groups">Tensors per pass; every tensor in exactly one group.</param>
/// <param name="BytesPerSample">Measured bytes of all the tensors for one sample (times the plan's copies).</param>
/// <param name="BudgetBytes">The budget the plan respects.</param>
public sealed record ActivationBatchPlan(int BatchSize, IReadOnlyList<IReadOnlyList<string>> Groups, long BytesPerSample, long BudgetBytes)
{
    /// <summary>
    /// Plans for tensors with <paramref name="bytesPerSample"/> each (one sample, one copy) held <paramref name="copies"/>
    /// times, plus <paramref name="inputBytesPerSample"/> of model inputs: the requested batch when it fits, else the
    /// largest that does; when even one sample does not fit, tensors are grouped (in order) so each group's sample fits.
    /// </summary>
    public static ActivationBatchPlan Create(
        IReadOnlyList<(string Name, long Bytes)> bytesPerSample, long inputBytesPerSample, int copies, long budgetBytes, int requestedBatch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(requestedBatch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(copies, 1);
        long total = inputBytesPerSample + copies * bytesPerSample.Sum(t => t.Bytes);
        long perSample = Math.Max(1, total);
        if (perSample <= budgetBytes)
        {
            int batch = (int)Math.Clamp(budgetBytes / perSample, 1, requestedBatch);
            return new ActivationBatchPlan(batch, [bytesPerSample.Select(t => t.Name).ToArray()], total, budgetBytes);
        }
        var groups = new List<IReadOnlyList<string>>();
        var current = new List<string>();
        long used = inputBytesPerSample;
        foreach (var (name, bytes) in bytesPerSample)
        {
            if (current.Count > 0 && used + copies * bytes > budgetBytes)
            {
                groups.Add(current);
                current = [];
                used = inputBytesPerSample;
            }
            current.Add(name);
            used += copies * bytes;
        }
        if (current.Count > 0 || groups.Count == 0) groups.Add(current);
        return new ActivationBatchPlan(1, groups, total, budgetBytes);
    }

    /// <summary>Whether the plan differs from one pass at <paramref name="requestedBatch"/>.</summary>
    public bool Reduced(int requestedBatch) => BatchSize < requestedBatch || Groups.Count > 1;

    /// <summary>One line for reports: what was measured and what was chosen.</summary>
    public string Describe(int requestedBatch) =>
        $"{MemoryBudget.Format(BytesPerSample)} of activations per sample, memory limit {MemoryBudget.Format(BudgetBytes)}: "
        + (Groups.Count > 1 ? $"batch 1, tensors observed in {Groups.Count} passes" : BatchSize < requestedBatch ? $"batch {BatchSize} instead of {requestedBatch}" : $"batch {BatchSize}");
}
