using Shrink.Calibration;

namespace Shrink.Statistics;

/// <summary>What a <see cref="StatisticsRunner"/> did.</summary>
/// <param name="Samples">Samples run, summed over all passes.</param>
/// <param name="Steps">Batches run, summed over all passes (each ran every tap once).</param>
/// <param name="Passes">Passes over the data.</param>
/// <param name="Plan">The memory plan, when one was asked for.</param>
public sealed record StatisticsRun(long Samples, int Steps, int Passes, ActivationBatchPlan? Plan);
