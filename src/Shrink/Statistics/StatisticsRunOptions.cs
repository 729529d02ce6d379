using Shrink.Calibration;

namespace Shrink.Statistics;

/// <summary>How a <see cref="StatisticsRunner"/> reads the data.</summary>
public sealed record StatisticsRunOptions
{
    /// <summary>Samples read per pass (at most; the data may hold fewer).</summary>
    public required long Samples { get; init; }

    /// <summary>Samples per run; lowered by the memory plan when <see cref="MemoryBudgetBytes"/> is given.</summary>
    public required int BatchSize { get; init; }

    /// <summary>
    /// Bytes one batch of exposed primary-model tensors may take (see <see cref="ActivationBatchPlan"/>): one sample is
    /// run first to measure them, the batch is lowered to fit, and when even one sample does not fit the tensors are
    /// split into groups observed one pass each (the data is read again for each pass). Null: no plan, the batch as
    /// given, one pass.
    /// </summary>
    public long? MemoryBudgetBytes { get; init; }

    /// <summary>How many copies of each primary tensor the requests hold per batch (for the memory plan).</summary>
    public int Copies { get; init; } = 1;

    /// <summary>Receives the memory plan chosen (only with <see cref="MemoryBudgetBytes"/>).</summary>
    public Action<ActivationBatchPlan>? Planned { get; init; }

    /// <summary>Receives the samples run so far over the samples of all passes, after every batch.</summary>
    public IProgress<ProgressInfo>? Progress { get; init; }

    /// <summary>The stage name reported to <see cref="Progress"/>.</summary>
    public string Stage { get; init; } = "statistics";

    /// <summary>The error when the data holds no sample to measure the plan on (null: "DATA: empty calibration data set.").</summary>
    public string? EmptyDataMessage { get; init; }
}
