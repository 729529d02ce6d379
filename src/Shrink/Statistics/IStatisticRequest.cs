namespace Shrink.Statistics;

/// <summary>
/// What a method wants measured on calibration data: the tensors it reads (<see cref="Tensors"/>) and the accumulator
/// they feed. A <see cref="StatisticsRunner"/> runs the model(s) once per batch and hands every requested tensor to every
/// request that asked for it, so several requests share one run.
/// </summary>
public interface IStatisticRequest
{
    /// <summary>The tensors this request observes, each on one of the runner's taps.</summary>
    IReadOnlyList<StatisticTensor> Tensors { get; }

    /// <summary>Called once per batch before any tensor of it is observed.</summary>
    void BeginStep(StatisticStep step)
    {
    }

    /// <summary>
    /// One requested tensor's values on the current batch. The span is valid only during the call (copy what must be
    /// kept). Tensors are observed tap by tap in the runner's tap order; a tap's graph inputs come first, from the batch.
    /// </summary>
    void Observe(StatisticStep step, StatisticTensor tensor, ReadOnlySpan<float> values, long[] shape);

    /// <summary>Called once per batch after every tap has run.</summary>
    void EndStep(StatisticStep step)
    {
    }
}
