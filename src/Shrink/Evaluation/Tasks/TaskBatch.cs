using Shrink.Data;
using Shrink.Runtime;

namespace Shrink.Evaluation.Tasks;

/// <summary>One batch for an <see cref="EvaluationTask"/>.</summary>
/// <param name="Data">The data batch as read (before <see cref="EvaluationTask.ModelBatch"/>); only its first <see cref="DataBatch.Count"/> rows are real samples.</param>
/// <param name="Outputs">The model's outputs, trimmed to the real samples.</param>
/// <param name="ReferenceOutputs">The reference model's outputs (null without a reference).</param>
/// <param name="Model">The model's name for messages.</param>
/// <param name="Reference">The reference's name for messages.</param>
public sealed record TaskBatch(DataBatch Data, IReadOnlyList<OutputTensor> Outputs, IReadOnlyList<OutputTensor>? ReferenceOutputs, string Model, string? Reference);
