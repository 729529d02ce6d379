using Shrink.Statistics;

namespace Shrink.Methods.Quantization.Equivalence;

/// <summary>
/// Signed per-channel means of values of the primary model: channels on axis 1 of a Conv input (averaged over batch and
/// spatial positions) or on the last axis of a Gemm/MatMul input (averaged over every other axis).
/// </summary>
public sealed class ChannelMeansRequest : IStatisticRequest
{
    private readonly Dictionary<string, (bool ChannelsFirst, double[] Sums)> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);

    /// <summary>Means of <paramref name="values"/>: name → (channels on axis 1 rather than the last axis, channel count).</summary>
    public ChannelMeansRequest(IReadOnlyDictionary<string, (bool ChannelsFirst, int Channels)> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        foreach (var (name, (first, channels)) in values)
        {
            _values[name] = (first, new double[channels]);
            _counts[name] = 0;
        }
        Tensors = values.Keys.Select(v => new StatisticTensor(0, v)).ToArray();
    }

    /// <inheritdoc />
    public IReadOnlyList<StatisticTensor> Tensors { get; }

    /// <inheritdoc />
    public void Observe(StatisticStep step, StatisticTensor tensor, ReadOnlySpan<float> values, long[] shape)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentNullException.ThrowIfNull(shape);
        var (first, sums) = _values[tensor.Name];
        int axis = first ? 1 : shape.Length - 1;
        if (axis < 0 || axis >= shape.Length || shape[axis] != sums.Length)
            throw new ShrinkException($"'{tensor.Name}' has shape [{string.Join(",", shape)}]; expected {sums.Length} channels on axis {axis}.");
        long inner = 1;
        for (int i = axis + 1; i < shape.Length; i++) inner *= shape[i];
        int channels = sums.Length;
        long outer = values.Length / (channels * inner);
        long index = 0;
        for (long o = 0; o < outer; o++)
            for (int c = 0; c < channels; c++)
            {
                double sum = 0;
                for (long i = 0; i < inner; i++) sum += values[(int)index++];
                sums[c] += sum;
            }
        _counts[tensor.Name] += outer * inner;
    }

    /// <summary>The mean of every channel of <paramref name="name"/> so far.</summary>
    public double[] Means(string name)
    {
        var (_, sums) = _values[name];
        double count = Math.Max(1, _counts[name]);
        return sums.Select(s => s / count).ToArray();
    }
}
