using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Model;

namespace Shrink.Training.Quantization;

/// <summary>
/// A weight-only (MatMulNBits, DequantizeLinear weights, GatherBlockQuantized tables) model rewritten for quantization-aware training
/// (<see cref="WeightOnlyQatRewriter"/>): the float training model, what to train and how, and <see cref="Export"/>,
/// which writes the trained values back into the PTQ model's MatMulNBits, DequantizeLinear and GatherBlockQuantized initializers (same layout,
/// same size).
/// </summary>
/// <remarks>
/// Trained as <see cref="QatModel"/> is: <see cref="FineTuning.Run"/> with <see cref="FineTuneOptions.StopGradient"/> =
/// <see cref="QatTrainingModel.StopGradient"/> and <see cref="FineTuneOptions.Hints"/> = <see cref="QatTrainingModel.Hints"/>.
/// </remarks>
public sealed class WeightOnlyQatModel : QatTrainingModel
{
    private readonly IReadOnlyList<BlockWeightLink> _layers;
    private readonly IReadOnlyList<DequantizeWeightLink> _dequantized;
    private readonly IReadOnlyList<DequantizeWeightLink> _tables;

    internal WeightOnlyQatModel(OnnxModel ptq, OnnxModel model, IReadOnlyList<(string Name, ParameterRole Role, ParameterHint Hint)> parameters, IReadOnlyList<string> stopGradient,
        IReadOnlyList<BlockWeightLink> layers, IReadOnlyList<DequantizeWeightLink> dequantized, IReadOnlyList<DequantizeWeightLink> tables, int frozenLayers)
        : base(ptq, model, parameters, stopGradient)
    {
        _layers = layers;
        _dequantized = dequantized;
        _tables = tables;
        FrozenLayers = frozenLayers;
    }

    /// <summary>The MatMulNBits layers trained.</summary>
    public int Layers => _layers.Count;

    /// <summary>The layers trained whose weight the PTQ model dequantizes with a DequantizeLinear (Conv, groups MatMulNBits cannot carry).</summary>
    public int DequantizeLayers => _dequantized.Count;

    /// <summary>The embedding tables trained that the PTQ model reads with GatherBlockQuantized (one per table, however many nodes read it).</summary>
    public int EmbeddingTables => _tables.Count;

    /// <summary>Weight-only layers left as the PTQ model has them (DequantizeLinear and GatherBlockQuantized inside subgraphs).</summary>
    public int FrozenLayers { get; }

    /// <summary>
    /// The PTQ model with the values of <paramref name="trained"/> (a copy of <see cref="Model"/> with trained
    /// initializers): each MatMulNBits' codes clip(round(W / s), levels) + z with the learned block scales (ONNX
    /// rounding, half to even; rows padding the last block keep the zero point), its scales and its bias; each
    /// DequantizeLinear weight's codes and scales the same way, in their own types and dims, and each GatherBlockQuantized
    /// table's uint8 codes (packed as PTQ packs them) and scales. Node names,
    /// attributes, zero points and every other initializer are the PTQ model's, so the file has the PTQ model's size.
    /// Refuses (ShrinkException) a trained model that lacks a parameter, has it with other dims, or holds a non-finite
    /// value or a scale that is not positive.
    /// </summary>
    public OnnxModel Export(OnnxModel trained)
    {
        ArgumentNullException.ThrowIfNull(trained);
        var result = Ptq.Clone();
        var graph = result.Graph;
        float[] Read(string name, bool positive)
        {
            var t = trained.Graph.FindInitializer(name) ?? throw new ShrinkException($"{trained.Name}: the trained model has no initializer '{name}'; export needs every QAT parameter.");
            var expected = Model.Graph.FindInitializer(name)!;
            if (t.Type != ElementType.Float || !t.Dims.SequenceEqual(expected.Dims))
                throw new ShrinkException($"{trained.Name}: initializer '{name}' is {t.Type.OnnxName()} [{string.Join(",", t.Dims)}]; the QAT model has float [{string.Join(",", expected.Dims)}].");
            var values = t.ToFloatArray();
            foreach (float v in values)
            {
                if (!float.IsFinite(v)) throw new ShrinkException($"{trained.Name}: '{name}' holds {v}; training diverged.");
                if (positive && v <= 0) throw new ShrinkException($"{trained.Name}: scale '{name}' holds {v}; scales must stay positive (apply the parameter's Minimum).");
            }
            return values;
        }

        foreach (var layer in _layers)
        {
            var w = Read(layer.Weight, positive: false);
            var s = Read(layer.Scale, positive: true);
            int n = layer.N, k = layer.K, blocks = layer.Blocks, block = layer.Block, blob = block * layer.ContainerBits / 8;
            var packed = new byte[(long)n * blocks * blob];
            var scales = new float[(long)n * blocks];
            var codes = new byte[block];
            for (int r = 0; r < n; r++)
            {
                for (int b = 0; b < blocks; b++)
                {
                    int g = r * blocks + b;
                    float scale = s[(long)b * n + r];
                    scales[g] = scale;
                    int z = layer.ZeroPoints[g], lo = layer.LevelMin[g], hi = layer.LevelMax[g];
                    for (int i = 0; i < block; i++)
                    {
                        int row = b * block + i;
                        if (row >= k)
                        {
                            codes[i] = (byte)z; // padding dequantizes to 0
                            continue;
                        }
                        // As the fake quantizer computes it: clip(W / s) to the levels, then round half to even.
                        float v = Math.Clamp(w[(long)row * n + r] / scale, lo, hi);
                        codes[i] = (byte)((int)MathF.Round(v, MidpointRounding.ToEven) + z);
                    }
                    NBitsPacking.Pack(codes, layer.ContainerBits, packed.AsSpan((int)((long)g * blob), blob));
                }
            }
            var oldCodes = graph.FindInitializer(layer.Codes)!;
            var oldScales = graph.FindInitializer(layer.Scales)!;
            graph.SetInitializer(TensorData.Create<byte>(layer.Codes, oldCodes.Dims.ToArray(), packed, ElementType.UInt8));
            graph.SetInitializer(TensorData.FromFloats(layer.Scales, oldScales.Dims.ToArray(), scales));
            if (layer.Bias is string bias)
            {
                var old = graph.FindInitializer(bias)!;
                graph.SetInitializer(TensorData.FromFloats(bias, old.Dims.ToArray(), Read(bias, positive: false)));
            }
        }
        foreach (var layer in _dequantized)
            DequantizeWeightRewrite.Export(graph, layer, Read(layer.Weight, positive: false), Read(layer.Scale, positive: true));
        foreach (var table in _tables)
            GatherBlockQuantizedRewrite.Export(graph, table, Read(table.Weight, positive: false), Read(table.Scale, positive: true));
        return result;
    }
}
