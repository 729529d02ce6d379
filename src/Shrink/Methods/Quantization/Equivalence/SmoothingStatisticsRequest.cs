using Shrink.Statistics;

namespace Shrink.Methods.Quantization.Equivalence;

/// <summary>
/// Per-channel statistics of layer inputs whose channels are the last axis (a MatMul input [..., K], a Gemm input
/// [N, K]): min, max and max |x| of every channel over the data, and a uniform sample (reservoir, seeded) of a given
/// number of rows of each tensor, for searching the smoothing strength on real rows.
/// </summary>
public sealed class SmoothingStatisticsRequest : IStatisticRequest
{
    private readonly Dictionary<string, ChannelStats> _stats;

    /// <summary>Statistics of <paramref name="tensors"/>, each with its channel count and how many rows to keep of it (0: none).</summary>
    public SmoothingStatisticsRequest(IReadOnlyDictionary<string, (int Channels, int SampleRows)> tensors, int seed)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        int i = 0;
        _stats = tensors.ToDictionary(t => t.Key, t => new ChannelStats(t.Value.Channels, t.Value.SampleRows, seed + 7919 * i++), StringComparer.Ordinal);
        Tensors = _stats.Keys.Select(t => new StatisticTensor(0, t)).ToArray();
    }

    /// <inheritdoc />
    public IReadOnlyList<StatisticTensor> Tensors { get; }

    /// <summary>The statistics of <paramref name="tensor"/>.</summary>
    public ChannelStats this[string tensor] => _stats[tensor];

    /// <inheritdoc />
    public void Observe(StatisticStep step, StatisticTensor tensor, ReadOnlySpan<float> values, long[] shape)
    {
        var stats = _stats[tensor.Name];
        if (shape.Length == 0 || shape[^1] != stats.Channels)
            throw new ShrinkException($"smoothing: '{tensor.Name}' has shape [{string.Join(", ", shape)}], expected {stats.Channels} channels on its last axis.");
        stats.Add(values);
    }

    /// <summary>One tensor's per-channel statistics and sampled rows.</summary>
    public sealed class ChannelStats
    {
        private readonly float[] _rows;
        private readonly Random _random;
        private readonly int _capacity;

        internal ChannelStats(int channels, int capacity, int seed)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(capacity);
            Channels = channels;
            _capacity = capacity;
            _rows = new float[(long)channels * capacity];
            _random = new Random(seed);
            Min = new float[channels];
            Max = new float[channels];
            AbsMax = new float[channels];
            Array.Fill(Min, float.PositiveInfinity);
            Array.Fill(Max, float.NegativeInfinity);
        }

        /// <summary>Channels (the last axis).</summary>
        public int Channels { get; }

        /// <summary>Per-channel minimum.</summary>
        public float[] Min { get; }

        /// <summary>Per-channel maximum.</summary>
        public float[] Max { get; }

        /// <summary>Per-channel max |x|.</summary>
        public float[] AbsMax { get; }

        /// <summary>Rows seen.</summary>
        public long RowsSeen { get; private set; }

        /// <summary>The sampled rows kept, row-major [<see cref="SampledRows"/> × <see cref="Channels"/>].</summary>
        public ReadOnlySpan<float> Sample => _rows.AsSpan(0, SampledRows * Channels);

        /// <summary>How many rows are kept.</summary>
        public int SampledRows => (int)Math.Min(RowsSeen, _capacity);

        internal void Add(ReadOnlySpan<float> values)
        {
            int c = Channels;
            long rows = values.Length / c;
            for (long r = 0; r < rows; r++)
            {
                var row = values.Slice((int)(r * c), c);
                for (int j = 0; j < c; j++)
                {
                    float v = row[j];
                    if (v < Min[j]) Min[j] = v;
                    if (v > Max[j]) Max[j] = v;
                    float a = Math.Abs(v);
                    if (a > AbsMax[j]) AbsMax[j] = a;
                }
                long seen = RowsSeen++;
                long slot = seen < _capacity ? seen : _random.NextInt64(seen + 1);
                if (slot < _capacity) row.CopyTo(_rows.AsSpan((int)(slot * c), c));
            }
        }
    }
}
