namespace Shrink.Evaluation.Tasks;

/// <summary>One task metric of the evaluated model, with the reference's value on the same samples.</summary>
/// <param name="Name">A snake_case name: <c>top1_accuracy</c>, <c>perplexity</c>, <c>embedding_cosine_mean</c>, ...</param>
/// <param name="Value">The model's value.</param>
/// <param name="ReferenceValue">The reference model's value (null without a reference, or for a metric that already compares the two).</param>
/// <param name="LowerIsBetter">The direction: true for perplexity, losses and errors, false for accuracies and similarities.</param>
/// <param name="IsFraction">True when the value is a share in [0, 1] (shown as a percentage, changes in points).</param>
public sealed record TaskMetric(string Name, double Value, double? ReferenceValue, bool LowerIsBetter, bool IsFraction = false);
