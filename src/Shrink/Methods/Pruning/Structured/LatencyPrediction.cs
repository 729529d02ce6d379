namespace Shrink.Methods.Pruning.Structured;

/// <summary>What the latency cost model measured for a channel-pruning run with <see cref="PruningTarget.Latency"/>.</summary>
/// <param name="BatchSize">The batch size timed.</param>
/// <param name="BeforeMs">Median milliseconds of the unpruned model (BatchNormalization folded).</param>
/// <param name="AfterMs">Median milliseconds with the kept counts chosen (before any refit, which does not change shapes).</param>
/// <param name="Measurements">Channel configurations timed.</param>
/// <param name="Seconds">Seconds spent cutting and timing models.</param>
public sealed record LatencyPrediction(int BatchSize, double BeforeMs, double AfterMs, int Measurements, double Seconds)
{
    /// <summary>The measured speedup, before over after.</summary>
    public double Speedup => BeforeMs / Math.Max(AfterMs, 1e-12);
}
