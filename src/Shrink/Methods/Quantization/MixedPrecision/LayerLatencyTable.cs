using Shrink.Data;
using Shrink.Evaluation;
using Shrink.Layers;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Model;
using Shrink.Runtime;

namespace Shrink.Methods.Quantization.MixedPrecision;

/// <summary>
/// Each layer's ONNX Runtime time at each weight width, measured on this machine (as HAWQ-V3 does): every layer runs
/// alone as a one-node model on the input shape it sees in the model, in float and exported at each width exactly as
/// the weight-only exporter writes it (MatMulNBits, DequantizeLinear), all variants of a layer timed interleaved with
/// one intra-op thread. The rest of the model (everything but these layers) is the float model's time minus the
/// layers' float times.
/// </summary>
public sealed class LayerLatencyTable
{
    private LayerLatencyTable(IReadOnlyDictionary<string, IReadOnlyDictionary<int, double>> layerMs, IReadOnlyDictionary<string, double> floatMs, double modelMs, int batchSize)
    {
        LayerMs = layerMs;
        FloatLayerMs = floatMs;
        ModelMs = modelMs;
        BatchSize = batchSize;
    }

    /// <summary>Median milliseconds per layer (keyed as <see cref="MixedPrecisionLayers.Key"/>) and width.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<int, double>> LayerMs { get; }

    /// <summary>Median milliseconds of each layer in float.</summary>
    public IReadOnlyDictionary<string, double> FloatLayerMs { get; }

    /// <summary>Median milliseconds of the whole float model.</summary>
    public double ModelMs { get; }

    /// <summary>The batch size timed.</summary>
    public int BatchSize { get; }

    /// <summary>Milliseconds of everything that is not one of the layers (at least 0).</summary>
    public double FixedMs => Math.Max(0, ModelMs - FloatLayerMs.Values.Sum());

    /// <summary>The predicted model time with these widths.</summary>
    public double PredictedMs(IReadOnlyDictionary<string, int> bits) => FixedMs + LayerMs.Sum(l => l.Value[bits[l.Key]]);

    /// <summary>The fastest model these widths allow.</summary>
    public double FastestMs => FixedMs + LayerMs.Values.Sum(l => l.Values.Min());

    /// <summary>Measures the table for <paramref name="model"/> (not modified) on <paramref name="sample"/> (its batch size is timed).</summary>
    public static LayerLatencyTable Measure(OnnxModel model, IReadOnlyList<int> bits, int groupSize, bool symmetric, DataBatch sample,
        IReadOnlySet<string> excludeNodes, IReadOnlySet<string> excludeOps, IProgress<ProgressInfo>? progress = null)
    {
        var prepared = MixedPrecisionLayers.Prepare(model);
        var (layers, _) = MixedPrecisionLayers.Select(prepared, excludeNodes, excludeOps);
        var shapes = ValueShapeProbe.Measure(prepared, sample);
        var meter = new LatencyMeter { WarmupRuns = 5, TargetSeconds = 0.6, MinRuns = 20, MaxRuns = 400 };
        var runtime = new RuntimeOptions { IntraOpThreads = 1 };
        var table = new Dictionary<string, IReadOnlyDictionary<int, double>>(StringComparer.Ordinal);
        var floatMs = new Dictionary<string, double>(StringComparer.Ordinal);
        int done = 0;
        foreach (var layer in layers)
        {
            if (!shapes.TryGetValue(layer.Input, out var shape) && sample.Inputs.FirstOrDefault(i => i.Name == layer.Input) is { } direct) shape = direct.Shape;
            if (shape is null) throw new ShrinkException($"'{layer.Name}': the shape of its input '{layer.Input}' could not be measured.");
            var variants = new List<(int Bits, OnnxModel Model)> { (0, SingleNode(prepared, layer, shape)) };
            foreach (int b in bits.Distinct().Order())
            {
                var single = SingleNode(prepared, layer, shape);
                var singleLayer = WeightLayer.TryCreate(single.Graph.Nodes[0], single.Graph, out var reason) ?? throw new ShrinkException($"'{layer.Name}': {reason}.");
                var q = new RoundToNearest().Round(singleLayer.ReadMatrix(single.Graph), singleLayer.Rows, singleLayer.Cols, null,
                    new WeightRoundingSettings { Grid = new WeightGrid(b, symmetric), GroupSize = groupSize });
                WeightOnlyExporter.Apply(single, [(singleLayer, q)], new WeightExportSettings());
                variants.Add((b, single));
            }
            var input = new BatchTensor("x", ElementType.Float, shape, new float[shape.Aggregate(1L, (a, d) => a * d)]);
            var batch = new DataBatch([input], (int)shape[0], null);
            var sessions = variants.Select(v => ModelSession.Open(v.Model, runtime, $"{layer.Name} ({(v.Bits == 0 ? "float" : $"{v.Bits}-bit")})")).ToList();
            var prepares = sessions.Select(s => s.Prepare(batch)).ToList();
            try
            {
                var stats = meter.Measure(batch.Count, sessions.Zip(prepares).ToList());
                string key = MixedPrecisionLayers.Key(layer);
                floatMs[key] = stats[0].MedianMs;
                table[key] = variants.Skip(1).Select((v, i) => (v.Bits, stats[i + 1].MedianMs)).ToDictionary(t => t.Bits, t => t.MedianMs);
            }
            finally
            {
                foreach (var p in prepares) p.Dispose();
                foreach (var s in sessions) s.Dispose();
            }
            progress?.Report(new ProgressInfo("latency table", ++done, layers.Count));
        }
        using var whole = ModelSession.Open(prepared, runtime, model.Name);
        using var wholeInputs = whole.Prepare(sample);
        double modelMs = meter.Measure(sample.Count, [(whole, wholeInputs)])[0].MedianMs;
        return new LayerLatencyTable(table, floatMs, modelMs, sample.Count);
    }

    // The layer alone: input x of the measured shape → the node with its weight (and bias) → y.
    private static OnnxModel SingleNode(OnnxModel prepared, WeightLayer layer, long[] shape)
    {
        var x = new ValueInfo("x", ElementType.Float, shape.Select(d => new Dimension(d, null)).ToArray());
        return OnnxModel.SingleNode(prepared, layer.Node, x, "y", "layer", layer.Name);
    }
}
