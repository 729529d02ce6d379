using System.Buffers;
using System.Numerics.Tensors;
using Shrink.Layers;
using Shrink.Numerics;
using Shrink.Ops;

namespace Shrink.Measures;

/// <summary>
/// Streams a layer's inputs into H = XᵀX, [Cols × Cols], where each row of X is one input vector the weight multiplies:
/// a row of a MatMul/Gemm input, or an im2col patch of a Conv input (channels, then kernel offsets, as the weight
/// flattens). Memory is bounded by one chunk of rows; nothing is kept between batches but H.
/// </summary>
public sealed class LayerHessian
{
    private const int ChunkRows = 2048;
    private readonly int _kh, _kw, _sh, _sw, _dh, _dw, _padTop, _padLeft, _padBottom, _padRight, _channels;
    private readonly string _autoPad = "NOTSET";

    /// <summary>Creates an empty accumulator for <paramref name="layer"/>.</summary>
    /// <exception cref="ShrinkException">The layer is a grouped or 3-D (or higher) convolution.</exception>
    public LayerHessian(WeightLayer layer)
    {
        Layer = layer;
        Cols = layer.Cols;
        Matrix = new float[(long)Cols * Cols];
        if (layer.Node.OpType != OpTypes.Conv) return;
        if (!SupportsConv(layer, out var reason)) throw new ShrinkException($"'{layer.Name}': {reason}.");
        var node = layer.Node;
        bool oneD = layer.WeightDims.Length == 3;
        _channels = (int)layer.WeightDims[1];
        _kh = oneD ? 1 : (int)layer.WeightDims[2];
        _kw = (int)layer.WeightDims[^1];
        var strides = node.GetInts("strides") ?? [];
        var dilations = node.GetInts("dilations") ?? [];
        var pads = node.GetInts("pads") ?? [];
        (_sh, _sw) = oneD ? (1, Get(strides, 0, 1)) : (Get(strides, 0, 1), Get(strides, 1, 1));
        (_dh, _dw) = oneD ? (1, Get(dilations, 0, 1)) : (Get(dilations, 0, 1), Get(dilations, 1, 1));
        (_padTop, _padLeft, _padBottom, _padRight) = oneD ? (0, Get(pads, 0, 0), 0, Get(pads, 1, 0)) : (Get(pads, 0, 0), Get(pads, 1, 0), Get(pads, 2, 0), Get(pads, 3, 0));
        _autoPad = node.GetString("auto_pad", "NOTSET");
    }

    /// <summary>The layer.</summary>
    public WeightLayer Layer { get; }

    /// <summary>Reduction length.</summary>
    public int Cols { get; }

    /// <summary>XᵀX, row-major [Cols × Cols].</summary>
    public float[] Matrix { get; }

    /// <summary>Input vectors seen.</summary>
    public long Rows { get; private set; }

    /// <summary>Whether the Hessian of this Conv can be collected (2-D or 1-D, one group).</summary>
    public static bool SupportsConv(WeightLayer layer, out string? reason)
    {
        reason = layer.Groups != 1 ? $"grouped convolution (group={layer.Groups}): its groups see different inputs"
            : layer.WeightDims.Length > 4 ? "convolutions above 2-D are not handled" : null;
        return reason is null;
    }

    private static int Get(IReadOnlyList<long> values, int index, int fallback) => index < values.Count ? (int)values[index] : fallback;

    /// <summary>
    /// Σ x_f·x_qᵀ over the rows added with <see cref="Add(ReadOnlySpan{float}, IReadOnlyList{long}, ReadOnlySpan{float})"/>:
    /// the float model's inputs against the quantized model's, [Cols × Cols]; null until such a pair is added.
    /// </summary>
    public float[]? Cross { get; private set; }

    /// <summary>Σ x_f·x_fᵀ of the float model's inputs, alongside <see cref="Cross"/>; null until a pair is added.</summary>
    public float[]? FloatMatrix { get; private set; }

    /// <summary>Adds one batch of the layer's input, of shape <paramref name="shape"/>.</summary>
    public void Add(ReadOnlySpan<float> input, IReadOnlyList<long> shape) => Add(input, shape, default);

    /// <summary>
    /// Adds one batch of the layer's input as the quantized model computes it (<paramref name="input"/>) and, when not
    /// empty, the same batch as the float model computes it (<paramref name="floatInput"/>, same shape), which also
    /// accumulates <see cref="Cross"/>.
    /// </summary>
    public void Add(ReadOnlySpan<float> input, IReadOnlyList<long> shape, ReadOnlySpan<float> floatInput)
    {
        var geometry = Geometry(shape);
        bool pair = !floatInput.IsEmpty;
        if (pair && floatInput.Length != input.Length)
            throw new ShrinkException($"'{Layer.Name}': the float and quantized inputs differ in size ({floatInput.Length} vs {input.Length}).");
        if (pair)
        {
            Cross ??= new float[(long)Cols * Cols];
            FloatMatrix ??= new float[(long)Cols * Cols];
        }
        var buffer = ArrayPool<float>.Shared.Rent(ChunkRows * Cols);
        var floatBuffer = pair ? ArrayPool<float>.Shared.Rent(ChunkRows * Cols) : null;
        var gram = ArrayPool<float>.Shared.Rent(Cols * Cols);
        try
        {
            for (long r0 = 0; r0 < geometry.Rows; r0 += ChunkRows)
            {
                int n = (int)Math.Min(ChunkRows, geometry.Rows - r0);
                for (int i = 0; i < n; i++)
                {
                    FillRow(input, geometry, r0 + i, buffer.AsSpan(i * Cols, Cols));
                    if (pair) FillRow(floatInput, geometry, r0 + i, floatBuffer.AsSpan(i * Cols, Cols));
                }
                // A Gram product into a scratch (beta 0) computes one triangle and mirrors it: half the work of accumulating.
                DenseMatrix.Gemm(true, false, Cols, Cols, n, 1f, buffer, 0, Cols, buffer, 0, Cols, 0f, gram, 0, Cols);
                TensorPrimitives.Add(Matrix, gram.AsSpan(0, Matrix.Length), Matrix);
                if (pair)
                {
                    DenseMatrix.Gemm(true, false, Cols, Cols, n, 1f, floatBuffer!, 0, Cols, buffer, 0, Cols, 1f, Cross!, 0, Cols);
                    DenseMatrix.Gemm(true, false, Cols, Cols, n, 1f, floatBuffer!, 0, Cols, floatBuffer!, 0, Cols, 0f, gram, 0, Cols);
                    TensorPrimitives.Add(FloatMatrix!, gram.AsSpan(0, FloatMatrix!.Length), FloatMatrix);
                }
                Rows += n;
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
            ArrayPool<float>.Shared.Return(gram);
            if (floatBuffer is not null) ArrayPool<float>.Shared.Return(floatBuffer);
        }
    }

    private readonly record struct InputGeometry(long Rows, int Height, int Width, int OutHeight, int OutWidth, int PadTop, int PadLeft);

    private InputGeometry Geometry(IReadOnlyList<long> shape)
    {
        if (Layer.Node.OpType != OpTypes.Conv)
        {
            if (shape.Count == 0 || shape[^1] != Cols)
                throw new ShrinkException($"'{Layer.Name}': its input has shape [{string.Join(",", shape)}], expected a last axis of {Cols}.");
            return new InputGeometry(shape.Aggregate(1L, (a, b) => a * b) / Cols, 0, 0, 0, 0, 0, 0);
        }
        bool oneD = Layer.WeightDims.Length == 3;
        if (shape.Count != (oneD ? 3 : 4) || shape[1] != _channels)
            throw new ShrinkException($"'{Layer.Name}': its input has shape [{string.Join(",", shape)}], expected {(oneD ? 3 : 4)}-D with {_channels} channels.");
        int h = oneD ? 1 : (int)shape[2], w = (int)shape[^1];
        var (pt, pl, oh, ow) = OutputGeometry(h, w);
        return new InputGeometry(shape[0] * oh * ow, h, w, oh, ow, pt, pl);
    }

    // Row r of X: a row of a MatMul/Gemm input, or the im2col patch of output position r = (b, oy, ox) of a Conv.
    private void FillRow(ReadOnlySpan<float> input, in InputGeometry g, long r, Span<float> row)
    {
        if (Layer.Node.OpType != OpTypes.Conv)
        {
            input.Slice((int)(r * Cols), Cols).CopyTo(row);
            return;
        }
        int ox = (int)(r % g.OutWidth), oy = (int)(r / g.OutWidth % g.OutHeight), b = (int)(r / ((long)g.OutWidth * g.OutHeight));
        int k = 0, h = g.Height, w = g.Width;
        for (int c = 0; c < _channels; c++)
        {
            int plane = (b * _channels + c) * h * w;
            for (int ky = 0; ky < _kh; ky++)
            {
                int y = oy * _sh - g.PadTop + ky * _dh;
                bool rowInside = (uint)y < (uint)h;
                for (int kx = 0; kx < _kw; kx++, k++)
                {
                    int x = ox * _sw - g.PadLeft + kx * _dw;
                    row[k] = rowInside && (uint)x < (uint)w ? input[plane + y * w + x] : 0f;
                }
            }
        }
    }

    // Pads and output size; auto_pad SAME_* splits the total padding as ONNX defines (the extra one at the end for UPPER).
    private (int PadTop, int PadLeft, int OutH, int OutW) OutputGeometry(int h, int w)
    {
        int pt = _padTop, pl = _padLeft, pb = _padBottom, pr = _padRight;
        if (_autoPad is "SAME_UPPER" or "SAME_LOWER")
        {
            (pt, pb) = SamePads(h, _kh, _sh, _dh, _autoPad == "SAME_UPPER");
            (pl, pr) = SamePads(w, _kw, _sw, _dw, _autoPad == "SAME_UPPER");
        }
        else if (_autoPad == "VALID")
        {
            pt = pl = pb = pr = 0;
        }
        int oh = (h + pt + pb - _dh * (_kh - 1) - 1) / _sh + 1;
        int ow = (w + pl + pr - _dw * (_kw - 1) - 1) / _sw + 1;
        return (pt, pl, oh, ow);
    }

    private static (int Begin, int End) SamePads(int size, int kernel, int stride, int dilation, bool upper)
    {
        int output = (size + stride - 1) / stride;
        int total = Math.Max(0, (output - 1) * stride + (kernel - 1) * dilation + 1 - size);
        return upper ? (total / 2, total - total / 2) : (total - total / 2, total / 2);
    }
}
