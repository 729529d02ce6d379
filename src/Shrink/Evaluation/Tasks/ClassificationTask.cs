using Shrink.Registration;
using Shrink.Runtime;

namespace Shrink.Evaluation.Tasks;

/// <summary>Top-1 and top-5 accuracy of the first output (one row of class scores per sample) against the labels, when the data has them.</summary>
[Registered("classification", "top-1/top-5 accuracy of the first output against the labels (when the data has them)", Order = 0)]
public sealed class ClassificationTask : EvaluationTask
{
    /// <inheritdoc />
    public override string Name => "classification";

    /// <summary>The model's accuracy.</summary>
    public ClassificationAccuracy Model { get; } = new();

    /// <summary>The reference's accuracy on the same samples.</summary>
    public ClassificationAccuracy Reference { get; } = new();

    private bool _hasReference;

    /// <inheritdoc />
    public override void Add(TaskBatch batch)
    {
        var labels = batch.Data.Labels;
        if (labels is null) return;
        Add(Model, batch.Outputs[0], labels, batch.Model);
        if (batch.ReferenceOutputs is { } reference)
        {
            Add(Reference, reference[0], labels, batch.Reference ?? "the reference");
            _hasReference = true;
        }
    }

    private static void Add(ClassificationAccuracy accuracy, OutputTensor logits, int[] labels, string model)
    {
        int classes = logits.Shape.Length > 0 ? (int)logits.Shape[^1] : 0;
        if (classes <= 0 || logits.Data.Length != (long)labels.Length * classes)
            throw new ShrinkException($"{model}: output '{logits.Name}' with shape [{string.Join(",", logits.Shape)}] is not one row of class scores per sample, so accuracy cannot be measured; evaluate without labels.");
        accuracy.Add(logits.Data, classes, labels);
    }

    /// <inheritdoc />
    public override IReadOnlyList<TaskMetric> Metrics()
    {
        if (Model.Count == 0) return [];
        var metrics = new List<TaskMetric> { new("top1_accuracy", Model.Top1, _hasReference ? Reference.Top1 : null, LowerIsBetter: false, IsFraction: true) };
        if (Model.Top5 is double top5) metrics.Add(new("top5_accuracy", top5, _hasReference ? Reference.Top5 : null, LowerIsBetter: false, IsFraction: true));
        return metrics;
    }
}
