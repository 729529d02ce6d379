using System.Diagnostics;
using System.Globalization;
using Shrink.Layers;
using Shrink.Model;
using Shrink.Ops;
using Shrink.Registration;

namespace Shrink.Methods.Quantization.Equivalence;

/// <summary>
/// Cross-layer equalization (Nagel et al. 2019, "Data-Free Quantization Through Weight Equalization and Bias
/// Correction"): for each <see cref="EqualizationPair"/> A → B, output channel i of A (its weight row and bias) is divided
/// by s_i = √(r1_i / r2_i) and input channel i of B multiplied by it, where r1_i is the range (max |w|) of A's row i and
/// r2_i that of B's input channel i, so both become √(r1_i·r2_i): the per-tensor weight ranges stop being set by one
/// channel. Chains (A → B → C) are swept until the scales settle, as the paper does. The ops between must satisfy
/// f(x/s) = f(x)/s; a Clip (ReLU6) does not with a scalar bound, so it is rewritten as Relu (or Max) then Min with a
/// per-channel bound 6/s_i, which is exact. Data-free; BatchNormalization is already folded by preparation.
/// </summary>
[Registered("equalize", "cross-layer equalization of Conv → (ReLU) → Conv and Gemm/MatMul pairs, depthwise included (data-free)")]
public sealed class CrossLayerEqualization : IEquivalenceTransform
{
    /// <summary>Most sweeps over the pairs.</summary>
    public const int MaxSweeps = 100;

    /// <summary>A sweep whose scales are all within this of 1 ends the iteration.</summary>
    public const double Converged = 1e-4;

    /// <inheritdoc />
    public bool NeedsData(EquivalenceOptions options) => false;

    /// <inheritdoc />
    public EquivalenceResult Apply(OnnxModel model, EquivalenceContext context)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(context);
        var clock = Stopwatch.StartNew();
        var graph = model.Graph;
        var (pairs, skipped) = EqualizationPairs.Find(graph);

        var weights = new Dictionary<Node, float[]>();
        float[] Weight(WeightLayer layer) => weights.TryGetValue(layer.Node, out var w) ? w : weights[layer.Node] = layer.ReadMatrix(graph);
        var biases = new Dictionary<Node, float[]>();
        var totals = pairs.Select(p => Enumerable.Repeat(1.0, p.First.Rows).ToArray()).ToList();
        var ratioBefore = pairs.Select(p => RangeRatio(Weight(p.First), LayerChannels.Of(p.First))).ToList();
        foreach (var p in pairs)
            if (p.FirstBias is { } b) biases[p.First.Node] = graph.FindInitializer(b)!.ToFloatArray();

        int sweeps = 0;
        for (; sweeps < MaxSweeps; sweeps++)
        {
            double largest = 0;
            for (int k = 0; k < pairs.Count; k++)
            {
                var p = pairs[k];
                var w1 = Weight(p.First);
                var w2 = Weight(p.Second);
                var c1 = LayerChannels.Of(p.First);
                var c2 = LayerChannels.Of(p.Second);
                biases.TryGetValue(p.First.Node, out var b1);
                for (int i = 0; i < p.First.Rows; i++)
                {
                    double r1 = c1.RowRange(w1, i), r2 = c2.InputRange(w2, i);
                    if (!(r1 > 0) || !(r2 > 0)) continue; // a dead channel stays as it is
                    double s = Math.Sqrt(r1 / r2);
                    c1.ScaleRow(w1, i, (float)(1 / s));
                    if (b1 is not null) b1[i] = (float)(b1[i] / s);
                    c2.ScaleInput(w2, i, (float)s);
                    totals[k][i] *= s;
                    largest = Math.Max(largest, Math.Abs(s - 1));
                }
            }
            if (largest < Converged)
            {
                sweeps++;
                break;
            }
        }

        var rows = new List<EquivalenceLayer>();
        int clips = 0;
        for (int k = 0; k < pairs.Count; k++)
        {
            var p = pairs[k];
            foreach (var clip in p.Between.Where(n => n.OpType == OpTypes.Clip))
            {
                RewriteClip(graph, clip, totals[k], p.First);
                clips++;
            }
            double after = RangeRatio(Weight(p.First), LayerChannels.Of(p.First));
            string setting = $"scales {F(totals[k].Min())}..{F(totals[k].Max())}";
            foreach (var clip in p.Between.Where(n => n.OpType == OpTypes.Clip)) setting += $"; Clip '{clip.DisplayName}' → per-channel bound";
            rows.Add(new EquivalenceLayer(p.Name, p.First.WeightName, double.NaN, double.NaN, ratioBefore[k], after, setting));
        }
        foreach (var (node, w) in weights)
            WeightLayer.TryCreate(node, graph, out _)!.WriteMatrix(graph, w);
        foreach (var p in pairs)
            if (p.FirstBias is { } b)
            {
                var old = graph.FindInitializer(b)!;
                graph.SetInitializer(TensorData.FromFloats(b, old.Dims.ToArray(), biases[p.First.Node]));
            }
        rows.AddRange(skipped.Select(s => new EquivalenceLayer(s.Name, "", double.NaN, double.NaN, double.NaN, double.NaN, "", s.Reason)));

        var notes = new List<string>
        {
            "Equalize: the outlier ratio is that of the first layer's weight, largest output-channel range (max |w|) over the median channel's, before → after.",
            pairs.Count == 0 ? "No Conv → Conv or Gemm/MatMul → Gemm/MatMul pair to equalize." : $"{pairs.Count} pair(s), {sweeps} sweep(s){(sweeps >= MaxSweeps ? " (stopped before the scales settled)" : "")}.",
        };
        if (clips > 0) notes.Add($"{clips} Clip(s) between equalized layers became Relu/Max + Min with a per-channel bound (ONNX Clip takes scalar bounds; the rewrite is exact, the Min stays float in the quantized model).");
        return new EquivalenceResult { Name = "equalize", Layers = rows, Notes = notes, Seconds = clock.Elapsed.TotalSeconds };
    }

    /// <summary>Largest row range over the median row range of a weight matrix (1: flat; <see cref="EquivalenceLayer.OutlierRatio(ReadOnlySpan{double})"/>).</summary>
    public static double RangeRatio(float[] w, LayerChannels channels)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(channels);
        var ranges = new double[channels.Rows];
        for (int r = 0; r < channels.Rows; r++) ranges[r] = channels.RowRange(w, r);
        return EquivalenceLayer.OutlierRatio(ranges);
    }

    // clip(z/s, lo, hi) = clip(z, lo·s, hi·s)/s is not what we need: the pair needs clip(z, lo, hi)/s = clip(z/s, lo/s, hi/s),
    // a bound per channel, which ONNX Clip cannot hold; Max/Min broadcast one.
    private static void RewriteClip(ModelGraph graph, Node clip, double[] scales, WeightLayer first)
    {
        var bounds = ClipBounds.Read(graph, clip)!;
        int rank = first.Schema.Layer == LayerKind.Convolution ? first.WeightDims.Length : 1;
        long[] dims = new long[rank == 1 ? 1 : rank - 1];
        Array.Fill(dims, 1L);
        dims[0] = scales.Length;
        string PerChannel(string stem, float bound)
        {
            string name = graph.UniqueName(stem);
            graph.SetInitializer(TensorData.FromFloats(name, dims, scales.Select(s => (float)(bound / s)).ToArray()));
            return name;
        }
        string x = clip.Inputs[0], y = clip.Outputs[0], stem = clip.DisplayName;
        var steps = new List<(string Op, string? Bound)>();
        if (bounds.Min == 0) steps.Add((OpTypes.Relu, null));
        else if (float.IsFinite(bounds.Min)) steps.Add((OpTypes.Max, PerChannel(stem + "_min", bounds.Min)));
        if (float.IsFinite(bounds.Max)) steps.Add((OpTypes.Min, PerChannel(stem + "_max", bounds.Max)));
        if (steps.Count == 0) steps.Add((OpTypes.Identity, null));
        string current = x;
        Node? last = null;
        foreach (var (op, bound) in steps)
        {
            // Each step writes a fresh name; the last takes over the Clip's output once the Clip is gone.
            string output = graph.UniqueName($"{y}_{op.ToLowerInvariant()}");
            last = graph.AddNodeBefore(clip, op, bound is null ? [current] : [current, bound], [output], graph.UniqueName($"{stem}_{op.ToLowerInvariant()}"));
            current = output;
        }
        graph.RemoveNode(clip);
        graph.SetOutput(last!, 0, y);
    }

    private static string F(double v) => v.ToString("G2", CultureInfo.InvariantCulture);
}
