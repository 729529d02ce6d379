namespace Shrink.Ops;

/// <summary>
/// Conv (any spatial rank, strides, explicit pads, dilations, groups; auto_pad other than NOTSET/VALID is refused).
/// dX is a ConvTranspose of g with the same W, strides, pads, dilations and group, with output_padding = stride − 1 so
/// its output covers X, then sliced to X's shape (read at run time). dW is a Conv over transposed tensors: X (padded)
/// with batch and channels swapped is convolved with g as the kernel (batch as its input channels), the forward stride
/// as its dilation and the forward dilation as its stride; per group the channels are regrouped first; the result is
/// sliced to W's kernel and transposed back. dB sums g over the batch and spatial axes. (The im2col alternative the
/// issue measured as faster on one layer is not written yet.)
/// </summary>
public sealed class ConvBackward : IBackwardRule
{
    /// <inheritdoc />
    public IReadOnlyList<string?> Emit(BackwardContext ctx)
    {
        var e = ctx.Emitter;
        string g = ctx.Gradient, x = ctx.Input(0), w = ctx.Input(1);
        string autoPad = ctx.Node.GetString("auto_pad", "NOTSET");
        if (autoPad is not ("NOTSET" or "VALID")) throw ctx.Refuse($"auto_pad {autoPad} is not supported; write explicit pads");
        int spatial = SpatialRank(ctx);
        long group = ctx.Int("group", 1);
        long[] strides = Attribute(ctx, "strides", spatial, 1);
        long[] dilations = Attribute(ctx, "dilations", spatial, 1);
        long[] pads = autoPad == "VALID" ? new long[2 * spatial] : Attribute(ctx, "pads", 2 * spatial, 0);
        long[] spatialAxes = Enumerable.Range(2, spatial).Select(i => (long)i).ToArray();
        long[] swap01 = [1, 0, .. spatialAxes];
        var result = ctx.NoGradients();

        if (ctx.NeedsGradient(0))
        {
            string full = e.Emit(OpTypes.ConvTranspose, [g, w],
                OnnxAttribute.Ints("strides", strides), OnnxAttribute.Ints("pads", pads), OnnxAttribute.Ints("dilations", dilations),
                OnnxAttribute.Int("group", group), OnnxAttribute.Ints("output_padding", strides.Select(s => s - 1)));
            result[0] = strides.All(s => s == 1)
                ? full
                : e.Emit(OpTypes.Slice, [full, e.Ints(new long[spatial]), e.ShapeSlice(x, 2), e.Ints(spatialAxes)]);
        }

        if (ctx.NeedsGradient(1))
        {
            string padded = pads.All(p => p == 0)
                ? x
                : e.Emit(OpTypes.Pad, [x, e.Ints([0, 0, .. pads.AsSpan(0, spatial), 0, 0, .. pads.AsSpan(spatial)])]);
            string input;
            if (group == 1)
            {
                input = e.Transpose(padded, swap01); // [C, N, spatial...]
            }
            else
            {
                // [N, g·Cg, s...] → [N, g, Cg, s...] → [Cg, g, N, s...] → [Cg, g·N, s...]: group k's batch block meets group k's kernels.
                string split = e.Emit(OpTypes.Concat, [e.ShapeSlice(padded, 0, 1), e.Ints(group), e.ShapeSlice(w, 1, 2), e.ShapeSlice(padded, 2)], OnnxAttribute.Int("axis", 0));
                string grouped = e.Transpose(e.Reshape(padded, split), [2, 1, 0, .. spatialAxes.Select(a => a + 1)]);
                input = e.Reshape(grouped, e.Emit(OpTypes.Concat, [e.ShapeSlice(w, 1, 2), e.Ints(-1), e.ShapeSlice(padded, 2)], OnnxAttribute.Int("axis", 0)));
            }
            string kernel = e.Transpose(g, swap01); // [M, N, out spatial...]
            string full = e.Emit(OpTypes.Conv, [input, kernel],
                OnnxAttribute.Ints("strides", dilations), OnnxAttribute.Ints("dilations", strides), OnnxAttribute.Int("group", group));
            string cut = e.Emit(OpTypes.Slice, [full, e.Ints(new long[spatial]), e.ShapeSlice(w, 2), e.Ints(spatialAxes)]);
            result[1] = e.Transpose(cut, swap01);
        }

        if (ctx.NeedsGradient(2)) result[2] = e.ReduceSum(g, [0, .. spatialAxes], keepDims: false);
        return result;
    }

    private static int SpatialRank(BackwardContext ctx)
    {
        if (ctx.Rank(ctx.Input(1)) is int r) return r - 2;
        if (ctx.Ints("kernel_shape") is { Count: > 0 } k) return k.Count;
        if (ctx.Rank(ctx.Input(0)) is int rx) return rx - 2;
        throw ctx.Refuse("the number of spatial axes is not known before running");
    }

    private static long[] Attribute(BackwardContext ctx, string name, int count, long fallback)
    {
        var values = ctx.Ints(name);
        if (values is null || values.Count == 0) return Enumerable.Repeat(fallback, count).ToArray();
        if (values.Count != count) throw ctx.Refuse($"{name} has {values.Count} values; expected {count}");
        return [.. values];
    }
}
