using System.Diagnostics;
using Shrink.Data;
using Shrink.Layers;
using Shrink.Measures;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Model;
using Shrink.Numerics;
using Shrink.Ops;

namespace Shrink.Methods.Quantization;

/// <summary>
/// The weights of static quantization rounded by a registered <see cref="IWeightRounding"/> other than plain
/// round-to-nearest (GPTQ, refit): each marked per-channel weight becomes a <see cref="WeightLayer"/>, the Hessians XᵀX of
/// the layers' inputs are collected on the calibration data through the prepared float model when the method needs
/// them (all layers in one pass, not sequentially), and each weight is rounded on the symmetric
/// <see cref="StaticQuantizationOptions.WeightBits"/> grid with one scale per output channel, the axis QDQ dequantizes
/// along. The result is a set of <see cref="QdqWeightCodes"/> for <see cref="QdqInserter"/>; weights the method cannot
/// take (per-tensor marks, shared weights, grouped convolutions without a Hessian) are left to the inserter's
/// round-to-nearest, and each layer's row says which.
/// </summary>
public static class StaticWeightRounding
{
    /// <summary>Clipping ranges tried per output channel by the data-aware methods (as weight-only's default for them).</summary>
    public const int ClipSteps = 20;

    /// <summary>The codes per weight initializer, a row per marked layer, and the seconds spent on Hessians and rounding.</summary>
    public sealed record Outcome(IReadOnlyDictionary<string, QdqWeightCodes> Codes, IReadOnlyList<WeightLayerResult> Layers, double CalibrationSeconds, double RoundingSeconds);

    /// <summary>
    /// Rounds the weights <paramref name="plan"/> marks in <paramref name="model"/> (the prepared float model, not
    /// modified). Round-to-nearest returns no codes: the inserter rounds those weights as it always has.
    /// </summary>
    public static Outcome Round(OnnxModel model, QdqPlan plan, StaticQuantizationOptions options, IDataSource data, IProgress<ProgressInfo>? progress = null)
    {
        var method = WeightRoundings.Create(options.WeightRounding);
        if (method is RoundToNearest) return new Outcome(new Dictionary<string, QdqWeightCodes>(StringComparer.Ordinal), [], 0, 0);
        var graph = model.Graph;
        var grid = new WeightGrid(options.WeightBits, Symmetric: true);
        var settings = new WeightRoundingSettings { Grid = grid, GroupSize = 0, ClipSteps = ClipSteps, ActOrder = true };
        var rtnSettings = settings with { ClipSteps = 1 };
        string format = $"int8 DequantizeLinear, {options.WeightBits}-bit grid";

        var layers = new List<(WeightLayer Layer, int Index)>();
        var rows = new List<(int Index, WeightLayerResult Row)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var mark in plan.Weights)
        {
            string name = mark.Node.Inputs[mark.InputIndex];
            if (!seen.Add(name)) continue;
            var layer = WeightLayer.TryCreate(mark.Node, graph, out var reason);
            reason = layer is null ? reason
                : mark.Axis is null ? "per-tensor weight scale"
                : graph.Consumers(name).Count > 1 || graph.IsGraphOutput(name) ? "its weight is shared with other nodes"
                : layer.Schema.WeightOutputAxis!(mark.Node.GetInt) != mark.Axis ? "its channel axis differs from the layer's rows"
                : method.NeedsHessian && mark.Node.OpType == OpTypes.Conv && !LayerHessian.SupportsConv(layer, out var why) ? why
                : null;
            if (reason is not null)
            {
                var dims = graph.FindInitializer(name)!.Dims;
                long elements = dims.Aggregate(1L, (a, b) => a * b);
                int outputs = layer?.Rows ?? (int)(mark.Axis is int axis ? dims[axis] : dims[0]);
                rows.Add((seen.Count, new WeightLayerResult(mark.Node.DisplayName, mark.Node.OpType, outputs, (int)(elements / Math.Max(1, outputs)), $"rtn ({reason})", format, null, null, 0, options.WeightBits)));
                continue;
            }
            layers.Add((layer!, seen.Count));
        }

        Dictionary<WeightLayer, LayerHessian> hessians = [];
        var clock = Stopwatch.StartNew();
        if (layers.Count > 0 && (method.NeedsHessian || options.AnalysisSamples > 0))
        {
            progress?.Report(new ProgressInfo("weight Hessians", 0, 1));
            var list = layers.Where(l => l.Layer.Node.OpType != OpTypes.Conv || LayerHessian.SupportsConv(l.Layer, out _)).Select(l => new LayerHessian(l.Layer)).ToList();
            if (list.Count > 0) HessianCollector.Collect(model, list, data, options.Samples, options.BatchSize);
            hessians = list.ToDictionary(h => h.Layer);
        }
        double calibrationSeconds = clock.Elapsed.TotalSeconds;

        var codes = new Dictionary<string, QdqWeightCodes>(StringComparer.Ordinal);
        var rtn = new RoundToNearest();
        double roundingSeconds = 0;
        int done = 0;
        foreach (var (layer, index) in layers)
        {
            clock.Restart();
            var w = layer.ReadMatrix(graph);
            var h = hessians.GetValueOrDefault(layer)?.Matrix;
            var q = method.Round(w, layer.Rows, layer.Cols, method.NeedsHessian ? h : null, settings);
            double seconds = clock.Elapsed.TotalSeconds;
            roundingSeconds += seconds;
            codes[layer.WeightName] = ToQdq(q, layer);
            double? error = null, rtnError = null;
            if (h is not null)
            {
                error = OutputError.Relative(w, q.Dequantize(), h, layer.Rows, layer.Cols);
                rtnError = OutputError.Relative(w, rtn.Round(w, layer.Rows, layer.Cols, null, rtnSettings).Dequantize(), h, layer.Rows, layer.Cols);
            }
            rows.Add((index, new WeightLayerResult(layer.Name, layer.Node.OpType, layer.Rows, layer.Cols, method.Name, format, rtnError, error, seconds, options.WeightBits)));
            progress?.Report(new ProgressInfo("weights", ++done, layers.Count));
        }
        return new Outcome(codes, [.. rows.OrderBy(r => r.Index).Select(r => r.Row)], calibrationSeconds, roundingSeconds);
    }

    /// <summary>Signed codes (code − zero point) in the ONNX weight's layout, and the one scale per row (output channel).</summary>
    internal static QdqWeightCodes ToQdq(QuantizedWeight q, WeightLayer layer)
    {
        if (q.GroupCount != 1) throw new InvalidOperationException($"'{layer.Name}': expected one scale per output channel, got {q.GroupCount} groups.");
        var signed = new sbyte[q.Codes.Length];
        for (int r = 0; r < q.Rows; r++)
        {
            int zp = q.ZeroPoints[r];
            for (int c = 0; c < q.Cols; c++)
            {
                long index = layer.StoredTransposed ? (long)c * q.Rows + r : (long)r * q.Cols + c;
                signed[index] = (sbyte)(q.Codes[(long)r * q.Cols + c] - zp);
            }
        }
        return new QdqWeightCodes(signed, q.Scales.ToArray());
    }
}
