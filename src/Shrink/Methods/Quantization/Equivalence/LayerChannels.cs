using Shrink.Layers;
using Shrink.Ops;

namespace Shrink.Methods.Quantization.Equivalence;

/// <summary>
/// Where an input channel of a weighted layer sits in its [Rows × Cols] weight matrix: a Conv with <c>group</c> G reads
/// input channel i = g·<see cref="ChannelsPerGroup"/> + j in the rows of group g and the columns j·kernel ..
/// (j+1)·kernel; a Gemm or MatMul (one group, kernel 1) in column i of every row. A depthwise Conv (G = channels) reads
/// channel i in row i only.
/// </summary>
/// <param name="Rows">Output channels.</param>
/// <param name="Cols">Matrix columns.</param>
/// <param name="Groups">Groups (1 for Gemm/MatMul).</param>
/// <param name="ChannelsPerGroup">Input channels per group.</param>
/// <param name="Kernel">Kernel positions per input channel (1 for Gemm/MatMul).</param>
public sealed record LayerChannels(int Rows, int Cols, int Groups, int ChannelsPerGroup, int Kernel)
{
    /// <summary>Input channels.</summary>
    public int InputChannels => Groups * ChannelsPerGroup;

    /// <summary>Output channels per group.</summary>
    public int RowsPerGroup => Rows / Groups;

    /// <summary>The layout of <paramref name="layer"/>.</summary>
    public static LayerChannels Of(WeightLayer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (layer.Schema.Layer != LayerKind.Convolution) return new LayerChannels(layer.Rows, layer.Cols, 1, layer.Cols, 1);
        int perGroup = (int)layer.WeightDims[1];
        return new LayerChannels(layer.Rows, layer.Cols, layer.Groups, perGroup, layer.Cols / perGroup);
    }

    /// <summary>The input channel column <paramref name="col"/> of row <paramref name="row"/> reads.</summary>
    public int InputChannel(int row, int col) => row / RowsPerGroup * ChannelsPerGroup + col / Kernel;

    /// <summary>max |w| over the entries that read input channel <paramref name="channel"/>.</summary>
    public float InputRange(ReadOnlySpan<float> w, int channel)
    {
        int g = channel / ChannelsPerGroup, j = channel % ChannelsPerGroup;
        float max = 0;
        for (int r = g * RowsPerGroup; r < (g + 1) * RowsPerGroup; r++)
        {
            var part = w.Slice(r * Cols + j * Kernel, Kernel);
            foreach (float v in part) max = Math.Max(max, Math.Abs(v));
        }
        return max;
    }

    /// <summary>Multiplies the entries that read input channel <paramref name="channel"/> by <paramref name="factor"/>.</summary>
    public void ScaleInput(Span<float> w, int channel, float factor)
    {
        int g = channel / ChannelsPerGroup, j = channel % ChannelsPerGroup;
        for (int r = g * RowsPerGroup; r < (g + 1) * RowsPerGroup; r++)
        {
            var part = w.Slice(r * Cols + j * Kernel, Kernel);
            for (int k = 0; k < part.Length; k++) part[k] *= factor;
        }
    }

    /// <summary>max |w| of output channel (row) <paramref name="row"/>.</summary>
    public float RowRange(ReadOnlySpan<float> w, int row)
    {
        float max = 0;
        foreach (float v in w.Slice(row * Cols, Cols)) max = Math.Max(max, Math.Abs(v));
        return max;
    }

    /// <summary>Multiplies output channel (row) <paramref name="row"/> by <paramref name="factor"/>.</summary>
    public void ScaleRow(Span<float> w, int row, float factor)
    {
        var part = w.Slice(row * Cols, Cols);
        for (int k = 0; k < part.Length; k++) part[k] *= factor;
    }
}
