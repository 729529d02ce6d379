using System.Globalization;
using Shrink.Data;
using Shrink.Model;
using Shrink.Runtime;

namespace Shrink.Pipelines.Decoding;

/// <summary>
/// Calibration data for a decoder with a KV cache, made from token windows: the fp32 model decodes each batch of windows
/// (<see cref="IncrementalDecoder"/>) and the source yields the inputs of some of its runs, so that calibration sees the
/// states the model meets in generation instead of random caches.
/// </summary>
/// <remarks>
/// Per batch of windows of L tokens (cut to the model's context): first the prefill run (the first P = L/2 tokens, an
/// empty cache), then <see cref="DecodeSteps"/> one-token runs at positions spread evenly over [P, L) with the fp32 cache
/// of the prefix, shifted from batch to batch (golden-ratio offsets) so that the steps of a pass cover the positions.
/// Each window thus gives 1 + <see cref="DecodeSteps"/> samples, one per state, and <see cref="Count"/> and the limit of
/// <see cref="ReadBatches"/> count these samples. Decoding stops after the last chosen position, and only the current
/// cache is held: memory is one batch of caches, whatever the number of windows.
/// </remarks>
public sealed class KvCacheStateSource : IDataSource
{
    private readonly IDataSource _windows;
    private readonly string _modelPath;
    private readonly KvCacheLayout _layout;
    private readonly Action<string>? _note;
    private ModelSession? _session;
    private IncrementalDecoder? _decoder;

    /// <summary>Decodes the windows of <paramref name="windows"/> with the model file <paramref name="modelPath"/> (run as it is, in fp32).</summary>
    public KvCacheStateSource(IDataSource windows, string modelPath, KvCacheLayout layout, int decodeSteps = DefaultDecodeSteps, Action<string>? note = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(decodeSteps);
        _windows = windows;
        _modelPath = modelPath;
        _layout = layout;
        _note = note;
        DecodeSteps = decodeSteps;
    }

    /// <summary>One-token runs sampled per window, besides its prefill (default 3: a quarter of the samples are prefills).</summary>
    public const int DefaultDecodeSteps = 3;

    /// <summary>One-token runs sampled per window.</summary>
    public int DecodeSteps { get; }

    /// <inheritdoc />
    public string Description => string.Create(CultureInfo.InvariantCulture,
        $"{_windows.Description}, decoded by the fp32 model: per window its prefill and {DecodeSteps} decode step(s) with the fp32 cache");

    /// <inheritdoc />
    public long? Count => _windows.Count * (1 + DecodeSteps);

    /// <inheritdoc />
    public bool HasLabels => false;

    /// <summary>
    /// Wraps the data for a model with a KV cache: when <paramref name="inputs"/> (the model's) hold the cache inputs
    /// of <paramref name="modelPath"/>'s layout, the data is opened for the token input alone and decoded by the model
    /// (said once through <paramref name="note"/>); otherwise it is opened for <paramref name="inputs"/> as it is.
    /// </summary>
    public static IDataSource OpenFor(string modelPath, IReadOnlyList<ModelInputSpec> inputs, Func<IReadOnlyList<ModelInputSpec>, IDataSource> open, Action<string>? note = null)
    {
        var layout = KvCacheLayout.Detect(OnnxModel.Load(modelPath, new ModelLoadOptions { LoadExternalData = false }));
        if (layout is null || !layout.PastInputs.All(p => inputs.Any(i => i.Name == p)))
            return open(inputs);
        var windows = open([.. inputs.Where(i => !layout.IsPast(i.Name))]);
        var source = new KvCacheStateSource(windows, modelPath, layout, note: note);
        note?.Invoke($"{modelPath} has a KV cache ({layout.Pairs.Count} past/present pairs): the data feeds '{layout.TokenInput}' and the cache comes from the fp32 model decoding it (per window: the prefill of half the window and {source.DecodeSteps} one-token steps).");
        return source;
    }

    /// <inheritdoc />
    public IEnumerable<DataBatch> ReadBatches(int batchSize, long? limit = null)
    {
        return Read(batchSize, BatchRequest.Total(batchSize, limit));
    }

    private IEnumerable<DataBatch> Read(int batchSize, long limit)
    {
        if (limit == 0) yield break;
        _session ??= ModelSession.Open(_modelPath);
        _decoder ??= new IncrementalDecoder(_session, _layout, note: _note);
        long perWindow = 1 + DecodeSteps;
        long windowsNeeded = (limit + perWindow - 1) / perWindow;
        long left = limit;
        int index = 0;
        foreach (var windows in _windows.ReadBatches(batchSize, limit == long.MaxValue ? null : windowsNeeded))
        {
            var tokens = windows.Inputs.First(t => t.Name == _layout.TokenInput);
            int length = _decoder.FitLength((int)tokens.Shape[1]);
            var chosen = Positions(_decoder.PrefillFor(length), length, index++);
            int last = chosen.Count == 0 ? 0 : chosen.Max();
            foreach (var step in _decoder.Steps(windows))
            {
                if (step.Start == 0 || chosen.Contains(step.Start))
                {
                    int n = (int)Math.Min(step.Inputs.Count, left);
                    yield return n == step.Inputs.Count ? step.Inputs : Head(step.Inputs, n);
                    left -= n;
                    if (left == 0) yield break;
                }
                if (step.Start >= last) break;
            }
        }
    }

    /// <summary>The positions of the sampled one-token runs of batch <paramref name="index"/>: evenly spread over [prefill, length), shifted per batch.</summary>
    internal List<int> Positions(int prefill, int length, int index)
    {
        var positions = new List<int>();
        int span = length - prefill;
        if (span <= 0 || DecodeSteps == 0) return positions;
        double offset = index * 0.6180339887498949 % 1.0;
        for (int j = 0; j < DecodeSteps; j++)
        {
            int p = prefill + (int)((j + offset) * span / DecodeSteps);
            if (!positions.Contains(p)) positions.Add(p);
        }
        return positions;
    }

    /// <summary>The first <paramref name="n"/> samples of a batch.</summary>
    private static DataBatch Head(DataBatch batch, int n) =>
        new([.. batch.Inputs.Select(t =>
        {
            int axis = Math.Max(0, t.BatchAxis);
            long[] shape = [.. t.Shape];
            long outer = 1;
            for (int a = 0; a < axis; a++) outer *= shape[a];
            long inner = t.Data.LongLength / Math.Max(1, outer * shape[axis]);
            shape[axis] = n;
            var data = Array.CreateInstance(t.Data.GetType().GetElementType()!, outer * n * inner);
            for (long o = 0; o < outer; o++)
                Array.Copy(t.Data, o * t.Shape[axis] * inner, data, o * n * inner, n * inner);
            return new BatchTensor(t.Name, t.Type, shape, data, t.BatchAxis);
        })], n, null);

    /// <inheritdoc />
    public void Dispose()
    {
        _session?.Dispose();
        _windows.Dispose();
    }
}
