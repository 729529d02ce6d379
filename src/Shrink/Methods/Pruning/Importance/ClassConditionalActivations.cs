using Onnx;
using Shrink.Data;
using Shrink.Methods.Pruning.Dependency;
using Shrink.Model;
using Shrink.Runtime;

namespace Shrink.Methods.Pruning.Importance;

/// <summary>
/// Per-sample channel means of chosen values on calibration data (each channel averaged over every position but the
/// batch, e.g. over H·W for a conv output), with each sample's class: the unpruned model's prediction or the data's label.
/// The model runs in ONNX Runtime on a copy with the values exposed as extra outputs; the input model is not touched.
/// Memory: samples × channels doubles per value.
/// </summary>
public sealed class ClassConditionalActivations
{
    private readonly Dictionary<string, double[]> _means;
    private readonly Dictionary<string, int> _channels;

    /// <summary>Statistics from given means; <paramref name="means"/>[value] is [samples × channels], row by sample.</summary>
    /// <exception cref="ArgumentException">A value's means do not hold one row per label.</exception>
    public ClassConditionalActivations(IReadOnlyList<int> labels, IReadOnlyDictionary<string, double[]> means, IReadOnlyDictionary<string, int> channels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(means);
        ArgumentNullException.ThrowIfNull(channels);
        Labels = labels.ToArray();
        _means = means.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        _channels = channels.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        foreach (var (value, rows) in _means)
        {
            if (!_channels.TryGetValue(value, out int c) || rows.Length != (long)c * Labels.Count)
                throw new ArgumentException($"Value '{value}': {rows.Length} means do not make {Labels.Count} rows of its channels.", nameof(means));
        }
        Classes = Labels.Distinct().Order().ToArray();
    }

    /// <summary>The class of each sample, in data order.</summary>
    public IReadOnlyList<int> Labels { get; }

    /// <summary>The distinct classes seen, ascending.</summary>
    public IReadOnlyList<int> Classes { get; }

    /// <summary>Channels of <paramref name="value"/> (its layout's channels, before Block expansion).</summary>
    public int Channels(string value) => _channels[value];

    /// <summary>The means of <paramref name="value"/>: [samples × channels], row by sample.</summary>
    public ReadOnlySpan<double> Means(string value) => _means[value];

    /// <summary>
    /// Runs up to <paramref name="samples"/> samples of <paramref name="data"/> through <paramref name="model"/> and keeps the
    /// per-sample channel means of <paramref name="values"/> (each with its channel layout) and each sample's class.
    /// </summary>
    /// <exception cref="ShrinkException">Empty data, data labels asked for but absent, or a first output that is not float scores.</exception>
    public static ClassConditionalActivations Collect(OnnxModel model, IReadOnlyDictionary<string, ChannelLayout> values, IDataSource data,
        long samples, int batchSize, ClassLabelSource labelSource, IProgress<ProgressInfo>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(data);
        if (labelSource == ClassLabelSource.Data && !data.HasLabels)
            throw new ShrinkException($"{data.Description}: class labels were asked for from the data, but it has none; give a labels file or use the model's predictions.");
        string scores = model.Graph.Outputs.FirstOrDefault()?.Name ?? throw new ShrinkException($"{model.Name}: the model has no outputs.");
        var augmented = model.Clone();
        var existing = new HashSet<string>(augmented.Proto.Graph.Output.Select(o => o.Name), StringComparer.Ordinal);
        foreach (var v in values.Keys)
            if (existing.Add(v)) augmented.Proto.Graph.Output.Add(new ValueInfoProto { Name = v });
        var names = values.Keys.Append(scores).Distinct(StringComparer.Ordinal).ToArray();
        var rows = values.Keys.ToDictionary(v => v, _ => new List<double>(), StringComparer.Ordinal);
        var labels = new List<int>();
        using var session = ModelSession.Open(OnnxModel.FromProto(augmented.Proto, model.Name), new RuntimeOptions { Optimize = false });
        foreach (var batch in data.ReadBatches(batchSize, samples))
        {
            int take = (int)Math.Min(batch.Count, samples - labels.Count);
            if (take <= 0) break;
            using var prepared = session.Prepare(batch);
            int[]? predicted = null;
            session.RunVisit(prepared, names, (name, span, shape) =>
            {
                if (values.TryGetValue(name, out var layout)) AddMeans(span, shape, layout, take, rows[name]);
                if (name == scores) predicted = ArgMax(span, shape, take, model.Name);
            });
            if (labelSource == ClassLabelSource.Data)
                labels.AddRange(batch.Labels!.Take(take));
            else
                labels.AddRange(predicted ?? throw new ShrinkException($"{model.Name}: the first output '{scores}' is not a float tensor of class scores."));
            progress?.Report(new ProgressInfo("class-conditional statistics", labels.Count, data.Count is long c ? Math.Min(c, samples) : samples));
        }
        if (labels.Count == 0) throw new ShrinkException($"{data.Description}: empty calibration data set.");
        return new ClassConditionalActivations(labels, rows.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal),
            values.ToDictionary(p => p.Key, p => p.Value.Channels, StringComparer.Ordinal));
    }

    /// <summary>Appends one row of channel means per sample for the first <paramref name="take"/> samples of a batch.</summary>
    private static void AddMeans(ReadOnlySpan<float> span, long[] shape, ChannelLayout layout, int take, List<double> into)
    {
        long batch = shape.Length > 0 ? shape[0] : 1;
        int channels = layout.Channels;
        long axisLength = channels * layout.Block;
        long inner = 1;
        for (int i = layout.Axis + 1; i < shape.Length; i++) inner *= shape[i];
        long perSample = span.Length / Math.Max(1, batch);
        long outer = perSample / (axisLength * inner);
        double count = outer * layout.Block * inner;
        var sums = new double[channels];
        for (int n = 0; n < take; n++)
        {
            Array.Clear(sums);
            long index = n * perSample;
            for (long o = 0; o < outer; o++)
            {
                for (long a = 0; a < axisLength; a++)
                {
                    double s = 0;
                    for (long i = 0; i < inner; i++, index++) s += span[(int)index];
                    sums[a / layout.Block] += s;
                }
            }
            foreach (double s in sums) into.Add(s / count);
        }
    }

    private static int[] ArgMax(ReadOnlySpan<float> span, long[] shape, int take, string model)
    {
        long batch = shape.Length > 0 ? shape[0] : 1;
        int row = (int)(span.Length / Math.Max(1, batch));
        if (row < 2) throw new ShrinkException($"{model}: the first output has {row} value(s) per sample; class predictions need one score per class.");
        var result = new int[take];
        for (int n = 0; n < take; n++)
        {
            var scores = span.Slice(n * row, row);
            int best = 0;
            for (int k = 1; k < row; k++)
                if (scores[k] > scores[best]) best = k;
            result[n] = best;
        }
        return result;
    }
}
