using Shrink.Data;

namespace Shrink.Statistics;

/// <summary>One batch of a runner's pass over the data.</summary>
/// <param name="Batch">The batch being run.</param>
/// <param name="Pass">The pass (0 unless the memory plan split the tensors into groups observed one pass each).</param>
/// <param name="Index">The batch's index within its pass.</param>
public sealed record StatisticStep(DataBatch Batch, int Pass, int Index);
