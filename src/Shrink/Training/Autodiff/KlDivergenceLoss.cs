using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Training.Autodiff;

/// <summary>
/// Knowledge distillation: T² · mean over positions of KL(p_teacher ‖ p_student), p = softmax(logits / T) over the last
/// axis, with the teacher's logits given as a float input (the original model run alongside). T² keeps the gradient's
/// scale independent of the temperature (Hinton et al.).
/// </summary>
public sealed record KlDivergenceLoss(double Temperature, string TeacherInput, string? Logits) : LossSpec
{
    /// <inheritdoc />
    public override LossGraph Append(OnnxModel model, GraphEmitter emitter)
    {
        if (!(Temperature > 0) || double.IsInfinity(Temperature))
            throw new ShrinkException($"The KL distillation temperature must be a positive number (got {Temperature}).");
        string logits = ResolveTensor(model, Logits, "KL distillation");
        var teacher = DeclareInput(model, new ValueInfo(TeacherInput, ElementType.Float, model.Graph.FindValueInfo(logits)?.Shape), "KL distillation");
        var e = emitter;
        string t = e.Scalar((float)Temperature);
        var axis = OnnxAttribute.Int("axis", -1);
        string studentLog = e.Emit(OpTypes.LogSoftmax, [e.Div(logits, t)], axis);
        string teacherScaled = e.Div(teacher.Name, t);
        string teacherLog = e.Emit(OpTypes.LogSoftmax, [teacherScaled], axis);
        string teacherProbabilities = e.Emit(OpTypes.Softmax, [teacherScaled], axis);
        string perPosition = e.ReduceSum(e.Mul(teacherProbabilities, e.Sub(teacherLog, studentLog)), [-1], keepDims: false);
        string mean = e.ReduceMean(perPosition, null, keepDims: false);
        return new LossGraph(e.Mul(mean, e.Scalar((float)(Temperature * Temperature))), [teacher]);
    }
}
