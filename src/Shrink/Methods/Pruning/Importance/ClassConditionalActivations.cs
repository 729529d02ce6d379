using Shrink.Data;
using Shrink.Methods.Pruning.Dependency;
using Shrink.Model;
using Shrink.Statistics;

namespace Shrink.Methods.Pruning.Importance;

/// <summary>
/// Per-sample channel means of chosen values on calibration data (each channel averaged over every position but the
/// batch, e.g. over H·W for a conv output), with each sample's class: the unpruned model's prediction or the data's label.
/// The model runs in ONNX Runtime on a copy with the values exposed as extra outputs (a <see cref="ClassConditionalMeansRequest"/>
/// run by the <see cref="StatisticsRunner"/>); the input model is not touched.
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
        var request = new ClassConditionalMeansRequest(ChannelStatisticsRun.Axes(values), scores, labelSource == ClassLabelSource.Data, samples, model.Name);
        ChannelStatisticsRun.Run(model, request, data, samples, batchSize, progress, "class-conditional statistics");
        if (request.Labels.Count == 0) throw new ShrinkException($"{data.Description}: empty calibration data set.");
        return new ClassConditionalActivations(request.Labels, request.Means(), values.ToDictionary(p => p.Key, p => p.Value.Channels, StringComparer.Ordinal));
    }
}
