namespace Shrink.Training;

/// <summary>
/// The teacher's first outputs on held-out data, kept between epochs so <see cref="HeldOutDistillation"/> runs the
/// teacher once per run, not once per epoch. Filled on the first pass while the outputs fit
/// <see cref="BudgetBytes"/>; past the budget it is dropped and the teacher runs every time (said by <see cref="Complete"/>
/// staying false). One cache belongs to one teacher and one data set read the same way each epoch.
/// </summary>
public sealed class TeacherOutputCache(long budgetBytes = TeacherOutputCache.DefaultBudgetBytes)
{
    /// <summary>The default budget: 256 MiB of float outputs.</summary>
    public const long DefaultBudgetBytes = 256L << 20;

    private readonly List<float[]> _batches = [];
    private long _bytes;
    private bool _overflowed;

    /// <summary>The most bytes of outputs kept.</summary>
    public long BudgetBytes { get; } = budgetBytes > 0 ? budgetBytes : throw new ArgumentOutOfRangeException(nameof(budgetBytes), budgetBytes, "The budget must be positive.");

    /// <summary>Whether every batch of a whole pass is held (the teacher need not run again).</summary>
    public bool Complete { get; private set; }

    /// <summary>How many batches the teacher was run on through this cache (for tests and reports).</summary>
    public int TeacherRuns { get; private set; }

    /// <summary>The teacher's output for batch <paramref name="index"/> of the pass, when held.</summary>
    internal bool TryGet(int index, out float[] outputs)
    {
        if (Complete && index < _batches.Count)
        {
            outputs = _batches[index];
            return true;
        }
        outputs = [];
        return false;
    }

    /// <summary>Records the teacher's output for the next batch of the first pass (dropped once over the budget).</summary>
    internal void Add(float[] outputs)
    {
        TeacherRuns++;
        if (Complete || _overflowed) return;
        _bytes += (long)outputs.Length * sizeof(float);
        if (_bytes > BudgetBytes)
        {
            _overflowed = true;
            _batches.Clear();
            return;
        }
        _batches.Add(outputs);
    }

    /// <summary>Ends a pass: the first pass that stayed within the budget makes the cache complete.</summary>
    internal void EndPass()
    {
        if (!_overflowed && !Complete && _batches.Count > 0) Complete = true;
    }
}
