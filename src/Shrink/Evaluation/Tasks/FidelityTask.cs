using Shrink.Registration;

namespace Shrink.Evaluation.Tasks;

/// <summary>No task metric: only the per-output fidelity to the reference, which every evaluation reports anyway.</summary>
[Registered("fidelity", "no task metric: only the fidelity of every output to the reference (cosine, SQNR, arg-max agreement)", Order = 4)]
public sealed class FidelityTask : EvaluationTask
{
    /// <inheritdoc />
    public override string Name => "fidelity";

    /// <inheritdoc />
    public override void Add(TaskBatch batch) { }

    /// <inheritdoc />
    public override IReadOnlyList<TaskMetric> Metrics() => [];
}
