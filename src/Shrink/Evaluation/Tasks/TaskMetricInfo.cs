namespace Shrink.Evaluation.Tasks;

/// <summary>A task metric as known before evaluation: its name, the task that measures it and its direction.</summary>
/// <param name="Name">The name in <see cref="EvaluationResult.Metrics"/> (<c>perplexity</c>, <c>top1_accuracy</c>, ...).</param>
/// <param name="Task">The registered task that measures it.</param>
/// <param name="LowerIsBetter">True for perplexity, losses and errors.</param>
/// <param name="ComparesWithReference">True when it is measured against the float model's outputs (1 for the float model itself).</param>
public sealed record TaskMetricInfo(string Name, string Task, bool LowerIsBetter, bool ComparesWithReference);
