using Shrink.Runtime;

namespace Shrink.Methods.Pruning.Structured;

/// <summary>A 2-D Conv with group 1 as a matrix product over im2col columns (input channel, kernel row, kernel column).</summary>
internal sealed class ConvLayerShape(int outChannels, int inChannels, int kernelH, int kernelW, int strideH, int strideW,
    int dilationH, int dilationW, int padTop, int padLeft) : LayerShape
{
    public override int InputFeatures => inChannels * kernelH * kernelW;

    public override int OutputFeatures => outChannels;

    public override bool CanHaveBias => true;

    public override long RowCount(long[] outputShape) => outputShape[0] * outputShape[2] * outputShape[3];

    public override void Fill(OutputTensor x, OutputTensor y, int[]? keptOutputs, long first, int step, int selected, bool bias, float[] columns, float[] targets)
    {
        int inH = (int)x.Shape[2], inW = (int)x.Shape[3];
        int refChannels = (int)y.Shape[1], outH = (int)y.Shape[2], outW = (int)y.Shape[3];
        int spatial = outH * outW;
        var xs = x.Data;
        var ys = y.Data;
        int features = InputFeatures;
        for (int s = 0; s < selected; s++)
        {
            long row = first + (long)s * step;
            int n = (int)(row / spatial);
            int rest = (int)(row % spatial);
            int oy = rest / outW, ox = rest % outW;
            int col = 0;
            for (int c = 0; c < inChannels; c++)
            {
                int plane = (n * inChannels + c) * inH;
                for (int ky = 0; ky < kernelH; ky++)
                {
                    int iy = oy * strideH - padTop + ky * dilationH;
                    bool rowInside = iy >= 0 && iy < inH;
                    for (int kx = 0; kx < kernelW; kx++, col++)
                    {
                        int ix = ox * strideW - padLeft + kx * dilationW;
                        columns[col * selected + s] = rowInside && ix >= 0 && ix < inW ? xs[(plane + iy) * inW + ix] : 0f;
                    }
                }
            }
            if (bias) columns[features * selected + s] = 1f;
            for (int j = 0; j < outChannels; j++)
            {
                int channel = keptOutputs?[j] ?? j;
                targets[j * selected + s] = ys[(n * refChannels + channel) * spatial + rest];
            }
        }
    }

    public override float[] ReadWeights(float[] weight, float[]? bias, bool withBias)
    {
        int features = InputFeatures;
        int cols = features + (withBias ? 1 : 0);
        var m = new float[cols * outChannels];
        for (int j = 0; j < outChannels; j++)
        {
            for (int f = 0; f < features; f++) m[f * outChannels + j] = weight[j * features + f];
            if (withBias && bias is not null) m[features * outChannels + j] = bias[j];
        }
        return m;
    }

    public override float[] WriteWeights(float[] solved)
    {
        int features = InputFeatures;
        var w = new float[outChannels * features];
        for (int j = 0; j < outChannels; j++)
            for (int f = 0; f < features; f++) w[j * features + f] = solved[f * outChannels + j];
        return w;
    }
}
