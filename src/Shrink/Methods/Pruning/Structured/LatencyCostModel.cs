using System.Diagnostics;
using System.Globalization;
using Shrink.Data;
using Shrink.Evaluation;
using Shrink.Methods.Pruning.Dependency;
using Shrink.Model;
using Shrink.Passes;
using Shrink.Runtime;

namespace Shrink.Methods.Pruning.Structured;

/// <summary>
/// The measured ONNX Runtime latency of the model as a function of the channels each group keeps, rather than a time
/// assumed proportional to MACs: ORT's blocked convolutions pad channels to blocks of 8 or 16 (a conv cut from 16 to 8
/// channels may run no faster), and layout changes, fused activations and small layers do not scale with MACs. Each
/// channel configuration the schedule asks about is cut out of the model for real (the first channels of each group:
/// which channels go does not change the time; BatchNormalization folded as in the output) and the whole model is
/// timed at <see cref="BatchSize"/> with one intra-op thread, interleaved run by run with the unpruned model: the cost
/// is the unpruned model's time × the measured ratio, so load on a shared machine that comes and goes between
/// configurations does not move the figures. (Timing one layer alone misled here: its layout reorders cost more than
/// the layer, so early wide layers looked cheap to cut.) Timings are cached per configuration and taken lazily, so only
/// configurations the schedule visits are run: one per step of the global schedule.
/// </summary>
public sealed class LatencyCostModel : IPruningCost, IDisposable
{
    private readonly OnnxModel _model;
    private readonly ChannelDependencyGraph _dependencies;
    private readonly Dictionary<string, double> _cache = new(StringComparer.Ordinal);
    private readonly LatencyMeter _meter;
    private readonly RuntimeOptions _runtime = new() { IntraOpThreads = 1 };
    private readonly DataBatch _batch;
    private readonly RandomDataSource _random;
    private readonly int[] _full;
    private readonly string _fullKey;
    private readonly Stopwatch _clock = new();
    private readonly ModelSession _reference;
    private readonly PreparedInputs _referenceInputs;
    private readonly List<double> _referenceMedians = [];

    private LatencyCostModel(OnnxModel model, ChannelDependencyGraph dependencies, int batchSize, double secondsPerTiming,
        IReadOnlyDictionary<string, long[]> shapeOverrides)
    {
        _model = model;
        _dependencies = dependencies;
        BatchSize = batchSize;
        _meter = new LatencyMeter { WarmupRuns = 3, TargetSeconds = secondsPerTiming, MinRuns = 15, MaxRuns = 400 };
        _random = new RandomDataSource(ModelInputs.Of(model), shapeOverrides, batchSize);
        _batch = _random.ReadBatches(batchSize, batchSize).First();
        _full = dependencies.Groups.Select(g => g.Size).ToArray();
        _fullKey = Key(_full);
        _clock.Start();
        _reference = Open(_full);
        _referenceInputs = _reference.Prepare(_batch);
        // A longer warm-up: the first runs of a fresh session (allocations, caches, clock ramp) read slow.
        _cache[_fullKey] = new LatencyMeter { WarmupRuns = 10, TargetSeconds = 2 * secondsPerTiming, MinRuns = 10, MaxRuns = 400 }
            .Measure(_batch.Count, [(_reference, _referenceInputs)])[0].MedianMs;
        _referenceMedians.Add(_cache[_fullKey]);
        _clock.Stop();
    }

    private static string Key(IReadOnlyList<int> kept) => string.Join(',', kept.Select(k => k.ToString(CultureInfo.InvariantCulture)));

    // The model with the first kept[g] channels of each group, BatchNormalization folded as in the output.
    private ModelSession Open(IReadOnlyList<int> kept)
    {
        var cut = _model.Clone();
        ChannelSurgery.Apply(cut.Graph, _dependencies, kept.Select(k => Enumerable.Range(0, k).ToArray()).ToArray());
        new FoldBatchNormalization().Apply(cut);
        cut.Graph.RemoveUnusedInitializers();
        return ModelSession.Open(cut, _runtime, _model.Name + " (timing)");
    }

    /// <summary>The batch size timed.</summary>
    public int BatchSize { get; }

    /// <summary>Channel configurations timed so far, the unpruned one included.</summary>
    public int Measurements => _cache.Count;

    /// <summary>Seconds spent cutting and timing models.</summary>
    public double Seconds => _clock.Elapsed.TotalSeconds;

    /// <summary>
    /// Measured median milliseconds of the model with nothing removed, from its first timing: the fixed scale of every
    /// <see cref="Evaluate"/> (what the schedule compares are ratios).
    /// </summary>
    public double Total => _cache[_fullKey];

    /// <summary>
    /// The unpruned model's milliseconds as the median of all its timings (it runs beside every configuration), the
    /// figure to report: steadier than the first timing alone.
    /// </summary>
    public double ReferenceMs => LatencyMeter.Percentile(_referenceMedians, 0.5);

    /// <summary>
    /// Milliseconds when group g keeps <c>kept[g]</c> channels: <see cref="Total"/> × the median ratio to the unpruned
    /// model timed side by side (measured on first use).
    /// </summary>
    public double Evaluate(IReadOnlyList<int> kept)
    {
        ArgumentNullException.ThrowIfNull(kept);
        string key = Key(kept);
        if (_cache.TryGetValue(key, out double ms)) return ms;
        _clock.Start();
        try
        {
            using var session = Open(kept);
            // A decoder whose cache lost heads reads the cache of the kept ones.
            using var prepared = session.Prepare(KvCacheHeads.KeptHeads(_batch, _dependencies.InterfaceSlices, [.. kept.Select(k => Enumerable.Range(0, k).ToArray())]));
            var stats = _meter.Measure(_batch.Count, [(_reference, _referenceInputs), (session, prepared)]);
            ms = Total * stats[1].MedianMs / stats[0].MedianMs;
            _referenceMedians.Add(stats[0].MedianMs);
        }
        finally
        {
            _clock.Stop();
        }
        _cache[key] = ms;
        return ms;
    }

    /// <summary>
    /// A cost model for <paramref name="model"/> (the graph <paramref name="dependencies"/> was built on; not modified),
    /// timed on random inputs at <paramref name="batchSize"/>, about <paramref name="secondsPerTiming"/> per configuration;
    /// <paramref name="shapeOverrides"/> size the inputs' symbolic dims (input name → shape, batch first).
    /// </summary>
    public static LatencyCostModel Create(OnnxModel model, ChannelDependencyGraph dependencies, int batchSize, double secondsPerTiming = 0.4,
        IReadOnlyDictionary<string, long[]>? shapeOverrides = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(dependencies);
        if (batchSize < 1) throw new ShrinkException($"channel pruning: the latency batch size {batchSize} must be at least 1.");
        return new LatencyCostModel(model, dependencies, batchSize, secondsPerTiming, shapeOverrides ?? new Dictionary<string, long[]>());
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _referenceInputs.Dispose();
        _reference.Dispose();
        _random.Dispose();
    }
}
