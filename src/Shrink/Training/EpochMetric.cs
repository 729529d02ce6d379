using Shrink.Model;

namespace Shrink.Training;

/// <summary>
/// What a fine-tuning run measures on held-out data before training and after each epoch: the figure it reports, stops
/// on (<see cref="FineTuneOptions.StopAtMetric"/>) and keeps the best epoch by.
/// </summary>
/// <param name="Name">The metric in words, e.g. <c>top-1 accuracy</c>.</param>
/// <param name="LowerIsBetter">Whether smaller values are better (a loss) rather than larger (an accuracy).</param>
/// <param name="Measure">Measures a model (the student with the weights so far).</param>
public sealed record EpochMetric(string Name, bool LowerIsBetter, Func<OnnxModel, double> Measure)
{
    /// <summary>Whether <paramref name="candidate"/> is strictly better than <paramref name="best"/>.</summary>
    public bool Improves(double candidate, double best) =>
        !double.IsNaN(candidate) && (double.IsNaN(best) || (LowerIsBetter ? candidate < best : candidate > best));

    /// <summary>Whether <paramref name="value"/> reaches <paramref name="target"/>.</summary>
    public bool Reaches(double value, double target) => LowerIsBetter ? value <= target : value >= target;
}
