
namespace Shrink.Ops;

/// <summary>
/// An op's backward (gradient) rule, written as ONNX nodes: given the gradients of the node's outputs, it appends the
/// nodes that compute the gradients of its inputs (reading the forward values it needs by name) through
/// <see cref="BackwardContext"/>. Attached to the op's schema (<see cref="OpSchema.Backward"/>); used by
/// <c>Shrink.Training.Autodiff.Gradients</c>.
/// </summary>
public interface IBackwardRule
{
    /// <summary>
    /// Appends the backward nodes of <see cref="BackwardContext.Node"/> and returns, per input of the node, the name of
    /// its gradient, or null for inputs that need none (<see cref="BackwardContext.NeedsGradient"/> is false, or the input
    /// is not differentiable). The list has one entry per input.
    /// </summary>
    IReadOnlyList<string?> Emit(BackwardContext ctx);
}
