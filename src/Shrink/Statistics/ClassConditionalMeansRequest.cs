namespace Shrink.Statistics;

/// <summary>
/// Per-sample channel means of values of the primary model (each channel averaged over every position but the batch),
/// with each sample's class: the data's label, or the argmax of a scores output of the same run. Keeps samples ×
/// channels doubles per value.
/// </summary>
public sealed class ClassConditionalMeansRequest : IStatisticRequest
{
    private readonly IReadOnlyDictionary<string, ChannelAxis> _values;
    private readonly string _scores;
    private readonly bool _dataLabels;
    private readonly long _samples;
    private readonly string _modelName;
    private readonly Dictionary<string, List<double>> _rows;
    private readonly List<int> _labels = [];
    private int _take;
    private int[]? _predicted;

    /// <summary>
    /// Means of <paramref name="values"/> over up to <paramref name="samples"/> samples; classes from the batch labels
    /// (<paramref name="dataLabels"/>) or the argmax of <paramref name="scores"/>, an output of <paramref name="modelName"/>.
    /// </summary>
    public ClassConditionalMeansRequest(IReadOnlyDictionary<string, ChannelAxis> values, string scores, bool dataLabels, long samples, string modelName)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(scores);
        _values = values;
        _scores = scores;
        _dataLabels = dataLabels;
        _samples = samples;
        _modelName = modelName;
        _rows = values.Keys.ToDictionary(v => v, _ => new List<double>(), StringComparer.Ordinal);
        Tensors = values.Keys.Append(scores).Distinct(StringComparer.Ordinal).Select(v => new StatisticTensor(0, v)).ToArray();
    }

    /// <inheritdoc />
    public IReadOnlyList<StatisticTensor> Tensors { get; }

    /// <summary>The class of each sample taken so far, in data order.</summary>
    public IReadOnlyList<int> Labels => _labels;

    /// <summary>The means per value so far: [samples × channels], row by sample.</summary>
    public IReadOnlyDictionary<string, double[]> Means() => _rows.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal);

    /// <inheritdoc />
    public void BeginStep(StatisticStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        _take = (int)Math.Min(step.Batch.Count, _samples - _labels.Count);
        _predicted = null;
    }

    /// <inheritdoc />
    public void Observe(StatisticStep step, StatisticTensor tensor, ReadOnlySpan<float> values, long[] shape)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (_take <= 0) return;
        if (_values.TryGetValue(tensor.Name, out var axis)) AddMeans(values, shape, axis, _take, _rows[tensor.Name]);
        if (tensor.Name == _scores) _predicted = ArgMax(values, shape, _take, _modelName);
    }

    /// <inheritdoc />
    public void EndStep(StatisticStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        if (_take <= 0) return;
        if (_dataLabels)
            _labels.AddRange(step.Batch.Labels!.Take(_take));
        else
            _labels.AddRange(_predicted ?? throw new ShrinkException($"{_modelName}: the first output '{_scores}' is not a float tensor of class scores."));
    }

    /// <summary>Appends one row of channel means per sample for the first <paramref name="take"/> samples of a batch.</summary>
    private static void AddMeans(ReadOnlySpan<float> span, long[] shape, ChannelAxis layout, int take, List<double> into)
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
