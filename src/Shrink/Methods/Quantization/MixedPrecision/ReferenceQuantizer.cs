using Shrink.Layers;
using Shrink.Methods.Quantization.WeightOnly;

namespace Shrink.Methods.Quantization.MixedPrecision;

/// <summary>The round-to-nearest quantizer Ω is measured against: Q_b(W) at a bit width, in the weight's ONNX layout.</summary>
public sealed class ReferenceQuantizer(int groupSize, bool symmetric)
{
    private readonly RoundToNearest _rtn = new();

    /// <summary>Q_b(W) of a layer's weight, given and returned in its ONNX layout.</summary>
    public float[] Quantize(WeightLayer layer, float[] onnxWeight, int bits)
    {
        var matrix = layer.StoredTransposed ? WeightLayer.Transpose(onnxWeight, layer.Cols, layer.Rows) : onnxWeight;
        var settings = new WeightRoundingSettings { Grid = new WeightGrid(bits, symmetric), GroupSize = groupSize, ClipSteps = 1 };
        var q = _rtn.Round(matrix, layer.Rows, layer.Cols, null, settings).Dequantize();
        return layer.StoredTransposed ? WeightLayer.Transpose(q, layer.Rows, layer.Cols) : q;
    }

    /// <summary>‖a − b‖², in double.</summary>
    public static double SquaredDistance(float[] a, float[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = (double)a[i] - b[i];
            sum += d * d;
        }
        return sum;
    }
}
