namespace Shrink.Ops;

/// <summary>
/// AveragePool (any spatial rank, strides, explicit pads, dilations, count_include_pad; auto_pad SAME and ceil_mode 1 are
/// refused). Samples and channels are folded into the batch ([N·C, 1, spatial...]) so one all-ones kernel [1, 1, k...]
/// serves every channel; g is divided by each window's count (the kernel size, or with count_include_pad 0 the count of
/// real elements, an AveragePool of ones), spread back by a ConvTranspose with that kernel, the forward strides, pads and
/// dilations and output_padding = stride − 1, sliced to X's spatial shape and reshaped to X's shape.
/// </summary>
public sealed class AveragePoolBackward : IBackwardRule
{
    /// <inheritdoc />
    public IReadOnlyList<string?> Emit(BackwardContext ctx)
    {
        var result = ctx.NoGradients();
        if (!ctx.NeedsGradient(0)) return result;
        string autoPad = ctx.Node.GetString("auto_pad", "NOTSET");
        if (autoPad is not ("NOTSET" or "VALID")) throw ctx.Refuse($"auto_pad {autoPad} is not supported; write explicit pads");
        if (ctx.Int("ceil_mode", 0) != 0) throw ctx.Refuse("ceil_mode 1 is not supported");
        long[] kernel = ctx.Ints("kernel_shape") is { Count: > 0 } k ? [.. k] : throw ctx.Refuse("it has no kernel_shape");
        int spatial = kernel.Length;
        long[] strides = Attribute(ctx, "strides", spatial, 1);
        long[] dilations = Attribute(ctx, "dilations", spatial, 1);
        long[] pads = autoPad == "VALID" ? new long[2 * spatial] : Attribute(ctx, "pads", 2 * spatial, 0);
        bool includePad = ctx.Int("count_include_pad", 0) != 0 || pads.All(p => p == 0);
        long size = kernel.Aggregate(1L, (a, b) => a * b);
        long[] spatialAxes = [.. Enumerable.Range(2, spatial).Select(a => (long)a)];

        var e = ctx.Emitter;
        string x = ctx.Input(0);
        string folded = e.Reshape(ctx.Gradient, e.Emit(OpTypes.Concat, [e.Ints(-1, 1), e.ShapeSlice(ctx.Gradient, 2)], OnnxAttribute.Int("axis", 0)));
        // AveragePool has dilations from opset 19 on: written only when the node uses them.
        OpAttribute[] window = dilations.All(d => d == 1)
            ? [OnnxAttribute.Ints("strides", strides), OnnxAttribute.Ints("pads", pads)]
            : [OnnxAttribute.Ints("strides", strides), OnnxAttribute.Ints("pads", pads), OnnxAttribute.Ints("dilations", dilations)];
        string scaled;
        if (includePad)
        {
            scaled = e.Mul(folded, e.Scalar(1f / size));
        }
        else
        {
            // The count of real (not padding) elements in each window: an AveragePool of ones that counts the padding, times the size.
            string ones = e.Emit(OpTypes.ConstantOfShape, [e.Emit(OpTypes.Concat, [e.Ints(1, 1), e.ShapeSlice(x, 2)], OnnxAttribute.Int("axis", 0))],
                new OpAttribute("value", FloatTensor: [1f]));
            string share = e.Emit(OpTypes.AveragePool, [ones], [OnnxAttribute.Ints("kernel_shape", kernel), OnnxAttribute.Int("count_include_pad", 1), .. window]);
            scaled = e.Div(folded, e.Mul(share, e.Scalar(size)));
        }
        string sumKernel = e.Floats([1, 1, .. kernel], Enumerable.Repeat(1f, (int)size).ToArray());
        string full = e.Emit(OpTypes.ConvTranspose, [scaled, sumKernel],
            OnnxAttribute.Ints("strides", strides), OnnxAttribute.Ints("pads", pads), OnnxAttribute.Ints("dilations", dilations),
            OnnxAttribute.Ints("output_padding", strides.Select(s => s - 1)));
        string cut = strides.All(s => s == 1)
            ? full
            : e.Emit(OpTypes.Slice, [full, e.Ints(new long[spatial]), e.ShapeSlice(x, 2), e.Ints(spatialAxes)]);
        result[0] = e.ReshapeLike(cut, x);
        return result;
    }

    private static long[] Attribute(BackwardContext ctx, string name, int count, long fallback)
    {
        var values = ctx.Ints(name);
        if (values is null || values.Count == 0) return Enumerable.Repeat(fallback, count).ToArray();
        if (values.Count != count) throw ctx.Refuse($"{name} has {values.Count} values; expected {count}");
        return [.. values];
    }
}
