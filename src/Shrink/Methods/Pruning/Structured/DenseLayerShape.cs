using Shrink.Runtime;

namespace Shrink.Methods.Pruning.Structured;

/// <summary>A Gemm or MatMul with a constant [K×N] (or, transposed, [N×K]) weight: rows are all leading positions.</summary>
internal sealed class DenseLayerShape(int inFeatures, int outFeatures, bool transposed, bool canHaveBias) : LayerShape
{
    public override int InputFeatures => inFeatures;

    public override int OutputFeatures => outFeatures;

    public override bool CanHaveBias => canHaveBias;

    public override long RowCount(long[] outputShape)
    {
        long rows = 1;
        for (int i = 0; i < outputShape.Length - 1; i++) rows *= outputShape[i];
        return rows;
    }

    public override void Fill(OutputTensor x, OutputTensor y, int[]? keptOutputs, long first, int step, int selected, bool bias, float[] columns, float[] targets)
    {
        int refFeatures = (int)y.Shape[^1];
        var xs = x.Data;
        var ys = y.Data;
        for (int s = 0; s < selected; s++)
        {
            long row = first + (long)s * step;
            for (int f = 0; f < inFeatures; f++) columns[f * selected + s] = xs[row * inFeatures + f];
            if (bias) columns[inFeatures * selected + s] = 1f;
            for (int j = 0; j < outFeatures; j++)
                targets[j * selected + s] = ys[row * refFeatures + (keptOutputs?[j] ?? j)];
        }
    }

    public override float[] ReadWeights(float[] weight, float[]? bias, bool withBias)
    {
        int cols = inFeatures + (withBias ? 1 : 0);
        var m = new float[cols * outFeatures];
        for (int f = 0; f < inFeatures; f++)
            for (int j = 0; j < outFeatures; j++)
                m[f * outFeatures + j] = transposed ? weight[j * inFeatures + f] : weight[f * outFeatures + j];
        if (withBias && bias is not null)
            for (int j = 0; j < outFeatures; j++) m[inFeatures * outFeatures + j] = bias.Length == 1 ? bias[0] : bias[j];
        return m;
    }

    public override float[] WriteWeights(float[] solved)
    {
        var w = new float[inFeatures * outFeatures];
        for (int f = 0; f < inFeatures; f++)
            for (int j = 0; j < outFeatures; j++)
            {
                if (transposed) w[j * inFeatures + f] = solved[f * outFeatures + j];
                else w[f * outFeatures + j] = solved[f * outFeatures + j];
            }
        return w;
    }
}
