namespace Shrink.Ops;

/// <summary>
/// Conv (any spatial rank, strides, explicit pads, dilations, groups; auto_pad other than NOTSET/VALID is refused).
/// dX is a ConvTranspose of g with the same W, strides, pads, dilations and group, with output_padding = stride − 1 so
/// its output covers X, then sliced to X's shape (read at run time). dW is written as <paramref name="weightGradient"/>
/// says (<see cref="ConvWeightGradient.Auto"/> by default: im2col for 1×1 kernels and for stride 1, else the transposed
/// Conv, the fastest per layer shape measured on resnet8, bench/RESULTS-training.md): im2col reads the kernel offsets from the kernel_shape attribute
/// and needs group 1; other convs use a Conv over transposed tensors: X (padded) with batch and channels swapped is
/// convolved with g as the kernel (batch as its input channels), the forward stride as its dilation and the forward
/// dilation as its stride; per group the channels are regrouped first; the result is sliced to W's kernel and transposed
/// back. dB sums g over the batch and spatial axes. (Auto picks <see cref="ConvWeightGradient.Im2ColWidth"/> for 2-D
/// stride-1 kernels over at least 16 input channels.)
/// </summary>
public sealed class ConvBackward(ConvWeightGradient weightGradient = ConvWeightGradient.Auto) : IBackwardRule
{
    /// <summary>The form of the weight gradient this rule writes where it can.</summary>
    public ConvWeightGradient WeightGradient { get; } = weightGradient;

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
            var kernel = ctx.Ints("kernel_shape");
            var form = WeightGradient;
            if (form == ConvWeightGradient.Auto)
            {
                form = kernel is { Count: > 0 } && kernel.All(k => k == 1) ? ConvWeightGradient.Im2ColBatched
                    : strides.All(s => s == 1) ? spatial == 2 && InputChannels(ctx, w) >= 16 ? ConvWeightGradient.Im2ColWidth : ConvWeightGradient.Im2ColGemm
                    : ConvWeightGradient.TransposedConv;
            }
            bool im2col = form != ConvWeightGradient.TransposedConv && group == 1 && kernel is { Count: > 0 } && kernel.Count == spatial;
            if (form == ConvWeightGradient.Im2ColWidth && (!im2col || spatial != 2 || strides.Any(s => s != 1))) form = ConvWeightGradient.Im2ColGemm;
            result[1] = !im2col ? TransposedConv(e, g, padded, w, group, strides, dilations, spatialAxes, swap01)
                : form == ConvWeightGradient.Im2ColWidth ? Im2ColWidth(e, g, padded, w, [.. kernel!], dilations)
                : Im2Col(e, g, padded, w, [.. kernel!], strides, dilations, form == ConvWeightGradient.Im2ColBatched);
        }

        if (ctx.NeedsGradient(2)) result[2] = e.ReduceSum(g, [0, .. spatialAxes], keepDims: false);
        return result;
    }

    /// <summary>dW as a Conv over transposed tensors (see the class remarks).</summary>
    private static string TransposedConv(GraphEmitter e, string g, string padded, string w, long group, long[] strides, long[] dilations, long[] spatialAxes, long[] swap01)
    {
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
        string cut = e.Emit(OpTypes.Slice, [full, e.Ints(new long[spatialAxes.Length]), e.ShapeSlice(w, 2), e.Ints(spatialAxes)]);
        return e.Transpose(cut, swap01);
    }

    /// <summary>
    /// dW by im2col (group 1). Every kernel offset o reads the padded input at o·dilation + i·stride for output position
    /// i: one Slice with steps = strides per offset, its end from g's spatial shape at run time. The slices are stacked
    /// after the channel axis, so the columns' rows are ordered (c, offset) as W's [C, k...] flattens.
    /// One GEMM: X transposed to [C, N, s...] first, columns [C·k, N·out], g transposed to [M, N·out], dW = g · columnsᵀ.
    /// Batched: columns [N, C·k, out], g [N, M, out], MatMul with columnsᵀ per sample, then ReduceSum over the batch.
    /// </summary>
    private static string Im2Col(GraphEmitter e, string g, string padded, string w, long[] kernel, long[] strides, long[] dilations, bool batched)
    {
        int spatial = kernel.Length;
        long[] axes = [.. Enumerable.Range(2, spatial).Select(i => (long)i)];
        long offsets = kernel.Aggregate(1L, (a, b) => a * b);
        bool pointwise = offsets == 1 && strides.All(s => s == 1);
        // batched: slices of [N, C, s...], stacked at axis 2; one GEMM: slices of [C, N, s...], stacked at axis 1.
        string source = batched ? padded : e.Transpose(padded, [1, 0, .. axes]);
        long stackAxis = batched ? 2 : 1;
        string columns;
        if (pointwise)
        {
            columns = source;
        }
        else
        {
            // end − start = (out − 1)·stride + 1 along each spatial axis.
            string span = e.Add(e.Mul(e.Sub(e.ShapeSlice(g, 2), e.Ints(Enumerable.Repeat(1L, spatial).ToArray())), e.Ints(strides)), e.Ints(Enumerable.Repeat(1L, spatial).ToArray()));
            var slices = new List<string>((int)offsets);
            var index = new long[spatial];
            for (long o = 0; o < offsets; o++)
            {
                long rest = o;
                for (int a = spatial - 1; a >= 0; a--)
                {
                    index[a] = rest % kernel[a];
                    rest /= kernel[a];
                }
                long[] starts = [.. index.Select((k, a) => k * dilations[a])];
                string start = e.Ints(starts);
                string slice = e.Emit(OpTypes.Slice, [source, start, e.Add(span, start), e.Ints(axes), e.Ints(strides)]);
                slices.Add(offsets == 1 ? slice : e.Unsqueeze(slice, [stackAxis]));
            }
            columns = offsets == 1 ? slices[0] : e.Emit(OpTypes.Concat, slices, OnnxAttribute.Int("axis", stackAxis));
        }
        // Rows of the columns: C·k (C from W's axis 1, as the forward Conv requires).
        string rows = e.Mul(e.ShapeSlice(w, 1, 2), e.Ints(offsets));
        string dw;
        if (batched)
        {
            // [N, C, k, out...] → [N, C·k, P]; g [N, M, out...] → [N, M, P]; Σ_n g_n · columns_nᵀ.
            string cols = e.Reshape(columns, e.Emit(OpTypes.Concat, [e.Ints(0), rows, e.Ints(-1)], OnnxAttribute.Int("axis", 0)));
            string grad = e.Reshape(g, e.Ints(0, 0, -1));
            dw = e.ReduceSum(e.Emit(OpTypes.MatMul, [grad, e.Transpose(cols, [0, 2, 1])]), [0], keepDims: false);
        }
        else
        {
            // [C, (k,) N, out...] → [C·k, N·P]; g → [M, N, out...] → [M, N·P]; dW = g · columnsᵀ.
            string cols = e.Reshape(columns, e.Emit(OpTypes.Concat, [rows, e.Ints(-1)], OnnxAttribute.Int("axis", 0)));
            string grad = e.Reshape(e.Transpose(g, [1, 0, .. axes]), e.Ints(0, -1));
            dw = e.Emit(OpTypes.Gemm, [grad, cols], OnnxAttribute.Int("transB", 1));
        }
        return e.ReshapeLike(dw, w);
    }

    /// <summary>dW of a 2-D stride-1 Conv as one Gemm per kernel row (see <see cref="ConvWeightGradient.Im2ColWidth"/>).</summary>
    private static string Im2ColWidth(GraphEmitter e, string g, string padded, string w, long[] kernel, long[] dilations)
    {
        // X padded [N, C, Hp, Wp] → [C, N, Hp, Wp]; per width offset kw the Slice [.., kw·d : kw·d + W_out].
        string source = e.Transpose(padded, [1, 0, 2, 3]);
        string widthOut = e.ShapeSlice(g, 3, 4);
        var slices = new List<string>((int)kernel[1]);
        for (long kw = 0; kw < kernel[1]; kw++)
        {
            string start = e.Ints(kw * dilations[1]);
            slices.Add(e.Emit(OpTypes.Slice, [source, start, e.Add(start, widthOut), e.Ints(3)]));
        }
        string columns = slices.Count == 1 ? slices[0] : e.Emit(OpTypes.Concat, slices, OnnxAttribute.Int("axis", 0));
        string cols = e.Reshape(columns, e.Emit(OpTypes.Concat, [e.Mul(e.ShapeSlice(w, 1, 2), e.Ints(kernel[1])), e.Ints(-1)], OnnxAttribute.Int("axis", 0)));
        // g [N, M, H_out, W_out] → [M, N, H_out, W_out]; per height offset kh: kh·d rows of zeros above, the rest below.
        string gt = e.Transpose(g, [1, 0, 2, 3]);
        long rows = dilations[0] * (kernel[0] - 1);
        var perRow = new List<string>((int)kernel[0]);
        for (long kh = 0; kh < kernel[0]; kh++)
        {
            long above = kh * dilations[0];
            string shifted = rows == 0 ? gt : e.Emit(OpTypes.Pad, [gt, e.Ints(0, 0, above, 0, 0, 0, rows - above, 0)]);
            // [M, k_w·C]: entry (m, kw·C + c) = dW[m, c, kh, kw].
            perRow.Add(e.Unsqueeze(e.Emit(OpTypes.Gemm, [e.Reshape(shifted, e.Ints(0, -1)), cols], OnnxAttribute.Int("transB", 1)), [1]));
        }
        string stacked = perRow.Count == 1 ? perRow[0] : e.Emit(OpTypes.Concat, perRow, OnnxAttribute.Int("axis", 1));
        // [M, k_h, k_w·C] → [M, k_h, k_w, C] → [M, C, k_h, k_w].
        string split = e.Reshape(stacked, e.Ints(0, kernel[0], kernel[1], -1));
        return e.Transpose(split, [0, 3, 1, 2]);
    }

    // W's axis 1 (input channels per group) when the shape inference knows it.
    private static long InputChannels(BackwardContext ctx, string w) =>
        ctx.Shape(w) is { Count: >= 2 } dims && long.TryParse(dims[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long c) ? c : 0;

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
