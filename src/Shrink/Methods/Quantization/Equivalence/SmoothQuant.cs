using System.Diagnostics;
using System.Globalization;
using Shrink.Layers;
using Shrink.Model;
using Shrink.Registration;
using Shrink.Statistics;

namespace Shrink.Methods.Quantization.Equivalence;

/// <summary>
/// SmoothQuant (Xiao et al. 2023): divides each input channel j of a MatMul/Gemm activation X by s_j and multiplies the
/// weight's input channel j by s_j, so X·W is unchanged while the activation's outlier channels shrink. The division
/// is folded into the op producing X (a LayerNorm's scale and bias, a norm's trailing γ/β, the previous layer's output
/// channels), so no op is added. s_j = max|X_j|^α / max|W_j|^(1−α) from one statistics run; with α null it is searched
/// per place on sampled rows, minimizing the quantized layer output error.
/// </summary>
[Registered("smooth", "SmoothQuant: migrate activation outliers into the weights through per-channel scales folded into the preceding norm or layer (α fixed, or searched per layer)")]
public sealed class SmoothQuant : IEquivalenceTransform
{
    /// <summary>Rows of each smoothed activation kept to search α on.</summary>
    public const int SearchRows = 1024;

    /// <inheritdoc />
    public bool NeedsData(EquivalenceOptions options) => true;

    /// <inheritdoc />
    public EquivalenceResult Apply(OnnxModel model, EquivalenceContext context)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(context);
        var clock = Stopwatch.StartNew();
        var graph = model.Graph;
        var data = context.Data ?? throw new ShrinkException($"{context.Source}: smoothing needs calibration data (--data PATH).");
        double? alpha = context.Options.SmoothAlpha;
        var (places, skipped) = SmoothingPlaces.Find(graph);
        var notes = new List<string>();
        if (places.Count == 0 && skipped.Count == 0)
            return new EquivalenceResult { Name = "smooth", Notes = ["no MatMul or Gemm with a constant weight: nothing to smooth."], Seconds = clock.Elapsed.TotalSeconds };

        var tensors = new Dictionary<string, (int Channels, int SampleRows)>(StringComparer.Ordinal);
        foreach (var p in places) tensors[p.Tensor] = (p.Channels, alpha is null ? SearchRows : 0);
        foreach (var s in skipped) tensors.TryAdd(s.Tensor, (s.Channels, 0));
        var request = new SmoothingStatisticsRequest(tensors, context.Options.Seed);
        var run = StatisticsRunner.Run(new StatisticsTap(model, ComputeOnlyRequested: true), [request], data, new StatisticsRunOptions
        {
            Samples = context.Samples,
            BatchSize = context.BatchSize,
            MemoryBudgetBytes = context.MemoryBudgetBytes,
            Progress = context.Progress,
            Stage = "smoothing statistics",
            EmptyDataMessage = $"{data.Description}: empty calibration data set.",
        });
        double statisticsSeconds = clock.Elapsed.TotalSeconds;

        var rows = new List<EquivalenceLayer>();
        int unchanged = 0;
        foreach (var place in places)
        {
            var stats = request[place.Tensor];
            var readers = place.Readers.Select(r => Fresh(graph, r)).ToArray();
            var search = new SmoothingSearch(stats, readers.Select(r => (r.ReadMatrix(graph), r.Rows)).ToArray(), context.Target);
            double chosen;
            float[]? s;
            string setting;
            if (alpha is double fixedAlpha)
            {
                chosen = fixedAlpha;
                s = search.Scales(chosen);
                setting = $"α {Format(chosen)}";
            }
            else
            {
                (chosen, s) = Search(search, out double gain);
                setting = s is null ? "" : $"α {Format(chosen)} (searched; layer error {gain:P0} of unsmoothed)";
            }
            if (s is null)
            {
                unchanged++;
                rows.Add(Row(place.Describe(), place.Tensor, stats.AbsMax, null, "", "no α in 0..1 lowered the quantized layer error"));
                continue;
            }
            setting += $", s {s.Min().ToString("G2", CultureInfo.InvariantCulture)}..{s.Max().ToString("G2", CultureInfo.InvariantCulture)}";
            place.Absorber.Divide(graph, s);
            foreach (var reader in readers) MultiplyInputChannels(graph, reader, s);
            rows.Add(Row(place.Describe(), place.Tensor, stats.AbsMax, s, setting, null));
        }
        foreach (var (node, tensor, _, reason) in skipped)
            rows.Add(Row(node, tensor, request[tensor].AbsMax, null, "", reason));
        if (alpha is null)
            notes.Add($"α searched per place over 0, 0.1, …, 1 on up to {SearchRows} sampled rows of each input: least ‖XW − Q(X/s)·Q(W·diag(s))‖² summed over its readers"
                + (context.Target.ActivationBits is int bits ? $" (activations per tensor at {bits} bits, min-max range; weights at {context.Target.WeightBits} bits)" : $" (weights at {context.Target.WeightBits} bits; activations stay float)")
                + (unchanged > 0 ? $"; {unchanged} place(s) kept unsmoothed, where no α beat no smoothing." : "."));
        notes.Add($"{places.Count - unchanged} of {places.Count + skipped.Count} layer input(s) smoothed; the scales are folded into the preceding norms and layers (no op added).");
        notes.Add($"statistics {statisticsSeconds:0.0} s ({run.Samples} samples), {(alpha is null ? "α search and " : "")}folding {clock.Elapsed.TotalSeconds - statisticsSeconds:0.0} s.");
        return new EquivalenceResult { Name = "smooth", Layers = rows, Notes = notes, Seconds = clock.Elapsed.TotalSeconds };
    }

    /// <summary>The α with the least error, or (NaN, null) where no α beats no smoothing; <paramref name="gain"/> is its error over the unsmoothed error.</summary>
    private static (double Alpha, float[]? Scales) Search(SmoothingSearch search, out double gain)
    {
        double baseline = search.Error(null), best = baseline, bestAlpha = double.NaN;
        float[]? bestScales = null;
        foreach (double a in SmoothingSearch.Alphas)
        {
            var s = search.Scales(a);
            double e = search.Error(s);
            if (e < best)
            {
                best = e;
                bestAlpha = a;
                bestScales = s;
            }
        }
        gain = baseline > 0 ? best / baseline : 1;
        return (bestAlpha, bestScales);
    }

    private static WeightLayer Fresh(ModelGraph graph, WeightLayer layer) =>
        WeightLayer.TryCreate(layer.Node, graph, out var reason) ?? throw new ShrinkException($"{layer.Name}: lost its weight view during smoothing ({reason}).");

    private static void MultiplyInputChannels(ModelGraph graph, WeightLayer layer, float[] s)
    {
        layer = SmoothingEdits.Own(graph, layer);
        var w = layer.ReadMatrix(graph);
        for (int r = 0; r < layer.Rows; r++)
        {
            var row = w.AsSpan(r * layer.Cols, layer.Cols);
            for (int c = 0; c < row.Length; c++) row[c] *= s[c];
        }
        layer.WriteMatrix(graph, w);
    }

    private static EquivalenceLayer Row(string node, string tensor, float[] absMax, float[]? s, string setting, string? skipped)
    {
        var after = absMax;
        if (s is not null)
        {
            after = new float[absMax.Length];
            for (int j = 0; j < after.Length; j++) after[j] = absMax[j] / s[j];
        }
        return new EquivalenceLayer(node, tensor, Max(absMax), Max(after), EquivalenceLayer.OutlierRatio(absMax), EquivalenceLayer.OutlierRatio(after), setting, skipped);
    }

    private static double Max(float[] values) => values.Length == 0 || float.IsNegativeInfinity(values.Max()) ? double.NaN : values.Max();

    private static string Format(double v) => v.ToString("0.0##", CultureInfo.InvariantCulture);
}
