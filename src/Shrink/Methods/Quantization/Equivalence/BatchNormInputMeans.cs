using Shrink.Layers;
using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Methods.Quantization.Equivalence;

/// <summary>
/// Data-free per-channel means of a layer input (analytic bias correction, Nagel et al. 2019): the input is traced back
/// through Relu, Clip and Max/Min with constant bounds to the BatchNormalization before them, whose output is taken as
/// N(β, γ²) per channel and clipped by those bounds (<see cref="ClippedNormal"/>). Preparation folds the BN into the
/// layer before it, so its β and γ are read from the original model (the folded layer writes the BN's output name);
/// where cross-layer equalization has since divided the channels by s, s is recovered from the weights (the folded
/// row's range over the equalized one) and the moments divided by it.
/// </summary>
public static class BatchNormInputMeans
{
    /// <summary>The means of the <paramref name="channels"/> channels of <paramref name="input"/>, or null with the reason there are none.</summary>
    public static double[]? Of(ModelGraph graph, OnnxModel? original, string input, int channels, out string reason)
    {
        ArgumentNullException.ThrowIfNull(graph);
        reason = "";
        var lo = Enumerable.Repeat(double.NegativeInfinity, channels).ToArray();
        var hi = Enumerable.Repeat(double.PositiveInfinity, channels).ToArray();
        string value = input;
        for (int hop = 0; hop < 4; hop++)
        {
            var p = graph.Producer(value);
            if (p is null || p.Domain.Length > 0) break;
            if (p.OpType == OpTypes.Relu) Bound(lo, hi, 0, double.PositiveInfinity);
            else if (p.OpType == OpTypes.Clip && ClipBounds.Read(graph, p) is { } clip) Bound(lo, hi, clip.Min, clip.Max);
            else if (p.OpType is OpTypes.Max or OpTypes.Min && p.Inputs.Count == 2 && graph.FindInitializer(p.Inputs[1]) is { } t && (t.ElementCount == 1 || t.ElementCount == channels))
            {
                var b = t.ToFloatArray();
                for (int c = 0; c < channels; c++)
                {
                    double v = b[b.Length == 1 ? 0 : c];
                    if (p.OpType == OpTypes.Max) lo[c] = Math.Max(lo[c], v);
                    else hi[c] = Math.Min(hi[c], v);
                }
            }
            else break;
            value = p.Inputs[0];
        }

        var producer = graph.Producer(value);
        Node? bn = producer is not null && IsBatchNorm(producer) ? producer : null;
        var bnGraph = graph;
        if (bn is null && original?.Graph.Producer(value) is { } before && IsBatchNorm(before))
        {
            bn = before;
            bnGraph = original.Graph;
        }
        if (bn is null)
        {
            string what = producer is null ? "a graph input" : $"{producer.OpType} '{producer.DisplayName}'";
            reason = $"no BatchNormalization precedes '{input}' (it comes from {what}): analytic correction needs BN statistics; --bias-correction empirical measures the means on data";
            return null;
        }
        float[]? Param(int index) => bn.Inputs.Count > index ? bnGraph.FindInitializer(bn.Inputs[index])?.ToFloatArray() : null;
        var gamma = Param(1);
        var beta = Param(2);
        if (gamma is null || beta is null || gamma.Length != channels || beta.Length != channels)
        {
            reason = $"BatchNormalization '{bn.DisplayName}' has no constant scale and B of {channels} values";
            return null;
        }
        var scales = bnGraph == graph ? null : EqualizedScales(graph, bnGraph, bn, producer, channels);
        var means = new double[channels];
        for (int c = 0; c < channels; c++)
        {
            double s = scales?[c] ?? 1;
            means[c] = ClippedNormal.Mean(beta[c] / s, gamma[c] / s, lo[c], hi[c]);
        }
        return means;
    }

    private static bool IsBatchNorm(Node node) => ReferenceEquals(OpCatalog.Find(node.OpType, node.Domain), NormalizationSchemas.BatchNormalization);

    private static void Bound(double[] lo, double[] hi, double min, double max)
    {
        for (int c = 0; c < lo.Length; c++)
        {
            lo[c] = Math.Max(lo[c], min);
            hi[c] = Math.Min(hi[c], max);
        }
    }

    // s_c = range of (original row c · γ_c/√(var_c + ε)) over the range of the current (folded, maybe equalized) row c.
    private static double[]? EqualizedScales(ModelGraph graph, ModelGraph originalGraph, Node bn, Node? folded, int channels)
    {
        var var = bn.Inputs.Count > 4 ? originalGraph.FindInitializer(bn.Inputs[4])?.ToFloatArray() : null;
        var gamma = originalGraph.FindInitializer(bn.Inputs[1])!.ToFloatArray();
        var conv = originalGraph.Producer(bn.Inputs[0]);
        if (var is null || var.Length != channels || conv is null || folded is null) return null;
        var before = WeightLayer.TryCreate(conv, originalGraph, out _);
        var now = WeightLayer.TryCreate(folded, graph, out _);
        if (before is null || now is null || before.Rows != channels || now.Rows != channels || before.Cols != now.Cols) return null;
        var a = LayerChannels.Of(before);
        var b = LayerChannels.Of(now);
        var wa = before.ReadMatrix(originalGraph);
        var wb = now.ReadMatrix(graph);
        double eps = bn.GetFloat("epsilon", 1e-5f);
        var scales = new double[channels];
        for (int c = 0; c < channels; c++)
        {
            double r0 = a.RowRange(wa, c) * Math.Abs(gamma[c]) / Math.Sqrt(var[c] + eps), r1 = b.RowRange(wb, c);
            scales[c] = r0 > 0 && r1 > 0 ? r0 / r1 : 1;
        }
        return scales;
    }
}
