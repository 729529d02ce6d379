namespace Shrink.Statistics;

/// <summary>Per-channel sums of |a| and a² of values of the primary model, and how many elements each channel received.</summary>
public sealed class ChannelMomentsRequest : IStatisticRequest
{
    private readonly IReadOnlyDictionary<string, ChannelAxis> _values;
    private readonly IReadOnlyDictionary<string, long[]> _shapes;
    private readonly Dictionary<string, double[]> _sumAbs;
    private readonly Dictionary<string, double[]> _sumSquare;
    private readonly Dictionary<string, long> _counts;

    /// <summary>Moments of <paramref name="values"/>; <paramref name="shapes"/> (any batch size) give each value's extent after its channel axis.</summary>
    public ChannelMomentsRequest(IReadOnlyDictionary<string, ChannelAxis> values, IReadOnlyDictionary<string, long[]> shapes)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(shapes);
        _values = values;
        _shapes = shapes;
        _sumAbs = values.ToDictionary(v => v.Key, v => new double[v.Value.Channels], StringComparer.Ordinal);
        _sumSquare = values.ToDictionary(v => v.Key, v => new double[v.Value.Channels], StringComparer.Ordinal);
        _counts = values.ToDictionary(v => v.Key, _ => 0L, StringComparer.Ordinal);
        Tensors = values.Keys.Select(v => new StatisticTensor(0, v)).ToArray();
    }

    /// <inheritdoc />
    public IReadOnlyList<StatisticTensor> Tensors { get; }

    /// <inheritdoc />
    public void Observe(StatisticStep step, StatisticTensor tensor, ReadOnlySpan<float> values, long[] shape)
    {
        string name = tensor.Name;
        var axis = _values[name];
        var known = _shapes[name];
        long inner = 1;
        for (int i = axis.Axis + 1; i < known.Length; i++) inner *= known[i];
        _counts[name] += Accumulate(values, axis, inner, _sumAbs[name], _sumSquare[name]);
    }

    /// <summary>The means so far: mean |a| and mean a² per channel of every value.</summary>
    public (Dictionary<string, double[]> MeanAbs, Dictionary<string, double[]> MeanSquare) Means()
    {
        var meanAbs = new Dictionary<string, double[]>(StringComparer.Ordinal);
        var meanSquare = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (var name in _values.Keys)
        {
            double count = Math.Max(1, _counts[name]);
            var abs = (double[])_sumAbs[name].Clone();
            var square = (double[])_sumSquare[name].Clone();
            for (int c = 0; c < abs.Length; c++)
            {
                abs[c] /= count;
                square[c] /= count;
            }
            meanAbs[name] = abs;
            meanSquare[name] = square;
        }
        return (meanAbs, meanSquare);
    }

    /// <summary>Adds one batch; returns the number of elements each channel received.</summary>
    private static long Accumulate(ReadOnlySpan<float> values, ChannelAxis axis, long inner, double[] sumAbs, double[] sumSquare)
    {
        int channels = axis.Channels;
        long axisLength = channels * axis.Block;
        long total = values.Length;
        long outer = total / (axisLength * inner);
        long index = 0;
        for (long o = 0; o < outer; o++)
        {
            for (long a = 0; a < axisLength; a++)
            {
                int c = (int)(a / axis.Block);
                double abs = 0, square = 0;
                for (long i = 0; i < inner; i++, index++)
                {
                    double v = values[(int)index];
                    abs += Math.Abs(v);
                    square += v * v;
                }
                sumAbs[c] += abs;
                sumSquare[c] += square;
            }
        }
        return total / channels;
    }
}
