using Shrink.Layers;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Methods.Quantization.WeightOnly;

namespace Shrink.Methods.Quantization.Equivalence;

/// <summary>
/// The dequantized weights the quantizers produce, reproduced exactly on a [Rows × Cols] matrix
/// (<see cref="WeightLayer.ReadMatrix"/>): static int8 (<see cref="QuantMath"/>'s symmetric −127..127 grid, per output
/// channel or per tensor) and weight-only round-to-nearest (<see cref="RoundToNearest"/>).
/// </summary>
public static class QuantizedWeights
{
    /// <summary>Static int8 weights as <see cref="QdqInserter"/> writes them: q·scale with q from QuantMath.</summary>
    public static float[] Int8(float[] w, int rows, int cols, bool perChannel)
    {
        ArgumentNullException.ThrowIfNull(w);
        var q = new sbyte[w.Length];
        float[] scales = perChannel ? QuantMath.QuantizeWeightsPerChannel(w, [rows, cols], 0, q) : [QuantMath.QuantizeWeightsPerTensor(w, q)];
        var result = new float[w.Length];
        for (int r = 0; r < rows; r++)
        {
            float scale = scales[perChannel ? r : 0];
            for (int c = 0; c < cols; c++) result[(long)r * cols + c] = q[(long)r * cols + c] * scale;
        }
        return result;
    }

    /// <summary>
    /// The default view of <paramref name="target"/>: static int8 where activations are quantized, else round-to-nearest
    /// on the target's grid and group size.
    /// </summary>
    public static float[] ForTarget(float[] w, int rows, int cols, EquivalenceTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.ActivationBits is not null && target.WeightBits == 8 && target.SymmetricWeights) return Int8(w, rows, cols, target.PerChannelWeights);
        var settings = new WeightRoundingSettings { Grid = new WeightGrid(target.WeightBits, target.SymmetricWeights), GroupSize = target.PerChannelWeights ? target.GroupSize : 0 };
        return new RoundToNearest().Round(w, rows, cols, null, settings).Dequantize();
    }
}
