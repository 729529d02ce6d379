namespace Shrink.Ops;

/// <summary>
/// Slice and Gather (any axis, steps, negative indices, repeated indices): the forward op is applied to the index grid of
/// its data input (<see cref="GraphEmitter.IndexGrid"/>), which says where each output element came from, and the gradient
/// is scatter-added there (ScatterElements with reduction "add", so repeated Gather indices accumulate).
/// </summary>
public sealed class IndexingBackward : FirstInputBackward
{
    /// <inheritdoc />
    protected override string InputGradient(BackwardContext ctx)
    {
        var e = ctx.Emitter;
        string data = ctx.Input(0);
        var inputs = ctx.Node.Inputs.ToArray();
        inputs[0] = e.IndexGrid(data);
        OpAttribute[] axis = ctx.Node.HasAttribute("axis") ? [OnnxAttribute.Int("axis", ctx.Int("axis", 0))] : [];
        string positions = e.Emit(ctx.Node.OpType, inputs, axis);
        return e.ScatterAddLike(data, positions, ctx.Gradient);
    }
}
