using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Model;

namespace Shrink.Methods.Quantization.MixedPrecision;

/// <summary>
/// The bytes of each layer's weight at each bit width and the bytes of the rest of the model, so the size of any
/// allocation is <see cref="FixedBytes"/> + Σ <see cref="LayerBytes"/>. Stored sizes come from running the exporter
/// once per width on a copy of the model, so they are what a quantized file holds.
/// </summary>
public sealed class LayerSizeTable
{
    private LayerSizeTable(long fixedBytes, long floatBytes, Dictionary<string, IReadOnlyDictionary<int, long>> layerBytes, Dictionary<string, long> floatLayerBytes)
    {
        FixedBytes = fixedBytes;
        FloatModelBytes = floatBytes;
        LayerBytes = layerBytes;
        FloatLayerBytes = floatLayerBytes;
    }

    /// <summary>Bytes of everything but the chosen layers' weights (graph, biases, excluded layers...).</summary>
    public long FixedBytes { get; }

    /// <summary>Bytes of the float model.</summary>
    public long FloatModelBytes { get; }

    /// <summary>Per layer key, the bytes of its weight at each width.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<int, long>> LayerBytes { get; }

    /// <summary>Per layer key, the bytes of its float weight.</summary>
    public IReadOnlyDictionary<string, long> FloatLayerBytes { get; }

    /// <summary>The model size of an allocation.</summary>
    public long TotalBytes(IReadOnlyDictionary<string, int> bits) => FixedBytes + LayerBytes.Sum(l => l.Value[bits[l.Key]]);

    /// <summary>The model size with every layer at <paramref name="bits"/>.</summary>
    public long UniformBytes(int bits) => FixedBytes + LayerBytes.Values.Sum(l => l[bits]);

    /// <summary>
    /// Measures the table for the layers of <paramref name="prepared"/> (a pre-processed model, not modified) selected
    /// with the given exclusions. <paramref name="floatModelBytes"/> is the float model's size (its file, or null to
    /// serialize it). <paramref name="embeddings"/>, when given, are the options the model will be quantized with: the
    /// Gather tables they quantize count in <see cref="FixedBytes"/> at their chosen width, not in float.
    /// </summary>
    public static LayerSizeTable Measure(OnnxModel prepared, IReadOnlyList<int> bits, int groupSize, bool symmetric, SizeAccounting accounting,
        IReadOnlySet<string> excludeNodes, IReadOnlySet<string> excludeOps, long? floatModelBytes = null, WeightOnlyOptions? embeddings = null)
    {
        long modelBytes = floatModelBytes ?? prepared.ToByteArray().LongLength;
        var (layers, _) = MixedPrecisionLayers.Select(prepared, excludeNodes, excludeOps);
        var floatLayer = layers.ToDictionary(MixedPrecisionLayers.Key, l => prepared.Graph.FindInitializer(l.WeightName)!.ByteCount, StringComparer.Ordinal);
        var table = layers.ToDictionary(MixedPrecisionLayers.Key, _ => new Dictionary<int, long>(), StringComparer.Ordinal);
        var rtn = new RoundToNearest();
        foreach (int b in bits.Distinct())
        {
            var settings = new WeightRoundingSettings { Grid = new WeightGrid(b, symmetric), GroupSize = groupSize, ClipSteps = 1 };
            if (accounting == SizeAccounting.Nominal)
            {
                foreach (var l in layers)
                {
                    int g = groupSize <= 0 || groupSize > l.Cols ? l.Cols : groupSize, groups = (l.Cols + g - 1) / g;
                    long bitsTotal = (long)l.Rows * l.Cols * b + (long)l.Rows * groups * (32 + (symmetric ? 0 : b));
                    table[MixedPrecisionLayers.Key(l)][b] = (bitsTotal + 7) / 8;
                }
                continue;
            }
            var copy = prepared.Clone();
            var (copyLayers, _) = MixedPrecisionLayers.Select(copy, excludeNodes, excludeOps);
            var decisions = copyLayers.Select(l => (l, rtn.Round(l.ReadMatrix(copy.Graph), l.Rows, l.Cols, null, settings))).ToList();
            var exported = WeightOnlyExporter.Apply(copy, decisions, new WeightExportSettings());
            foreach (var l in copyLayers) table[MixedPrecisionLayers.Key(l)][b] = exported[l].Bytes;
        }
        long embeddingBytes = 0;
        if (embeddings is not null)
        {
            // A table tied to a layer's weight is already out of the fixed part; its Gathers then add their quantized copy.
            var layerNodes = layers.Select(l => l.Node).ToHashSet();
            var layerWeights = layers.Select(l => l.WeightName).ToHashSet(StringComparer.Ordinal);
            foreach (var t in EmbeddingQuantizer.Select(prepared.Graph, embeddings with { GroupSize = groupSize, Symmetric = symmetric }, layerNodes.Contains).Tables)
                embeddingBytes += (layerWeights.Contains(t.TableName) ? 0 : t.FloatBytes) - t.QuantizedBytes(symmetric);
        }
        return new LayerSizeTable(modelBytes - floatLayer.Values.Sum() - embeddingBytes, modelBytes,
            table.ToDictionary(t => t.Key, t => (IReadOnlyDictionary<int, long>)t.Value, StringComparer.Ordinal), floatLayer);
    }
}
