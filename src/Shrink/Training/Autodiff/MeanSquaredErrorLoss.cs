using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Training.Autodiff;

/// <summary>
/// Mean squared error of a tensor of the model (an output, or any intermediate: distillation to a teacher's features) to
/// a float target input of the same shape: mean((x − target)²).
/// </summary>
public sealed record MeanSquaredErrorLoss(string Tensor, string TargetInput) : LossSpec
{
    /// <inheritdoc />
    public override LossGraph Append(OnnxModel model, GraphEmitter emitter)
    {
        string tensor = ResolveTensor(model, Tensor, "mean squared error");
        var declared = model.Graph.FindValueInfo(tensor);
        var target = DeclareInput(model, new ValueInfo(TargetInput, ElementType.Float, declared?.Shape), "mean squared error");
        string difference = emitter.Sub(tensor, target.Name);
        return new LossGraph(emitter.ReduceMean(emitter.Mul(difference, difference), null, keepDims: false), [target]);
    }
}
