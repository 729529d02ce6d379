using Shrink.Model;

namespace Shrink.Training;

/// <summary>What <see cref="FineTuning.Run"/> returns: the student with its trained weights, and how the run went.</summary>
public sealed record FineTuneResult
{
    /// <summary>A copy of the student with the trained parameters written into its initializers.</summary>
    public required OnnxModel Model { get; init; }

    /// <summary>One row per epoch run.</summary>
    public required IReadOnlyList<EpochRecord> Epochs { get; init; }

    /// <summary>The epoch whose weights are the result by the metric (0: the untrained model); null without an evaluator.</summary>
    public int? BestEpoch { get; init; }

    /// <summary>The per-epoch metric's name, when there is an evaluator.</summary>
    public string? Metric { get; init; }

    /// <summary>Whether smaller values of the metric are better.</summary>
    public bool MetricLowerIsBetter { get; init; }

    /// <summary>The metric before training (when there is an evaluator).</summary>
    public double? InitialMetric { get; init; }

    /// <summary>The loss, in words (e.g. "KL distillation from the teacher at T=1").</summary>
    public required string Loss { get; init; }

    /// <summary>The parameters trained.</summary>
    public required IReadOnlyList<string> Parameters { get; init; }

    /// <summary>Things the user should know (fixed batch, early stop, data repeated...).</summary>
    public required IReadOnlyList<string> Notes { get; init; }

    /// <summary>How the memory budget chose recomputation (null without <see cref="FineTuneOptions.MemoryBudgetBytes"/>).</summary>
    public TrainingMemory? Memory { get; init; }

    /// <summary>The base learning rate the run used.</summary>
    public double LearningRate { get; init; }

    /// <summary>Whether the learning rate was the default set from the weights' size rather than given.</summary>
    public bool LearningRateChosen { get; init; }

    /// <summary>The learning-rate warm-up steps the run used.</summary>
    public long WarmupSteps { get; init; }

    /// <summary>Wall-clock seconds of the training (graph build, steps, evaluations).</summary>
    public double Seconds { get; init; }

    /// <summary>Training samples per second over all epochs (steps only).</summary>
    public double SamplesPerSecond { get; init; }
}
