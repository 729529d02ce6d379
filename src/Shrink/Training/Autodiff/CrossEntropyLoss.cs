using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Training.Autodiff;

/// <summary>
/// Cross-entropy of integer class labels against logits over the last axis, averaged over every other position (the
/// batch; batch × sequence for next-token logits): −mean(Σ onehot(labels) · LogSoftmax(logits)). The labels are an
/// int64 input shaped like the logits without their last axis.
/// </summary>
public sealed record CrossEntropyLoss(string LabelsInput, string? Logits) : LossSpec
{
    /// <inheritdoc />
    public override LossGraph Append(OnnxModel model, GraphEmitter emitter)
    {
        string logits = ResolveTensor(model, Logits, "cross-entropy");
        var labels = DeclareInput(model, new ValueInfo(LabelsInput, ElementType.Int64, null), "cross-entropy");
        var e = emitter;
        string logProbabilities = e.Emit(OpTypes.LogSoftmax, [logits], OnnxAttribute.Int("axis", -1));
        string oneHot = e.Emit(OpTypes.OneHot, [labels.Name, e.ShapeSlice(logits, -1), e.Floats([2], [0, 1])], OnnxAttribute.Int("axis", -1));
        string picked = e.ReduceSum(e.Mul(logProbabilities, oneHot), [-1], keepDims: false);
        return new LossGraph(e.Neg(e.ReduceMean(picked, null, keepDims: false)), [labels]);
    }
}
