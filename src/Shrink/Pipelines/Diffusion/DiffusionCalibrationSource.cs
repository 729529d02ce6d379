using System.Globalization;
using Shrink.Data;
using Shrink.Model;
using Shrink.Runtime;

namespace Shrink.Pipelines.Diffusion;

/// <summary>
/// Calibration data for a noise predictor, made by running it (the float model) in its sampling loop (Q-Diffusion's
/// time-step-aware calibration): <see cref="Trajectories"/> trajectories start from seeded noise, and each gives its
/// x_t at a few steps drawn uniformly, one from each of equal stretches of the steps, so the (x, t) pairs cover the
/// steps evenly. Streams with bounded memory: one batch of trajectories and one output batch; a complete pass whose
/// samples fit in <see cref="CacheBytes"/> is kept and replayed on later passes (calibration reads the data several
/// times), otherwise every pass regenerates the same samples.
/// </summary>
public sealed class DiffusionCalibrationSource : IDataSource
{
    /// <summary>Samples each trajectory gives by default (its steps are one from each of this many stretches).</summary>
    public const int DefaultPerTrajectory = 8;

    /// <summary>The most bytes of generated samples kept in memory for later passes.</summary>
    public const long CacheBytes = 64L << 20;

    private readonly ModelSession _session;
    private readonly DiffusionSampler _sampler;
    private readonly long _count;
    private float[]? _cachedX;
    private int[]? _cachedT;

    /// <summary>
    /// Samples <paramref name="count"/> (x, t) pairs by running <paramref name="model"/> as <paramref name="options"/> say
    /// (<see cref="DiffusionSamplerOptions.BatchSize"/> trajectories at a time). <paramref name="trajectories"/> defaults to
    /// ⌈count / 8⌉, at least ⌈count / steps⌉ (each trajectory gives at most one sample per step) and at most count.
    /// <paramref name="stepRange"/> restricts the samples to those steps (time-step-aware ranges per group of steps: every
    /// trajectory still runs from the noise, but gives its samples only inside the range); default all steps.
    /// </summary>
    /// <exception cref="ShrinkException">The model is not a noise predictor, the options or counts are out of range, or ONNX Runtime cannot load it.</exception>
    public DiffusionCalibrationSource(OnnxModel model, DiffusionSamplerOptions options, long count, long? trajectories = null, RuntimeOptions? runtime = null, DiffusionStepRange? stepRange = null)
    {
        options.Validate();
        if (count < 1)
            throw new OptionsException("the calibration sample count must be positive.");
        var range = stepRange ?? new DiffusionStepRange(0, options.Steps);
        if (range.First < 0 || range.Count < 1 || range.End > options.Steps)
            throw new OptionsException(string.Create(CultureInfo.InvariantCulture, $"calibration steps {range.First}..{range.End - 1} are outside the sampler's 0..{options.Steps - 1}."));
        long least = (count + range.Count - 1) / range.Count;
        long n = trajectories ?? Math.Max(least, (count + DefaultPerTrajectory - 1) / DefaultPerTrajectory);
        if (n < least || n > count)
            throw new OptionsException(string.Create(CultureInfo.InvariantCulture, $"{count} calibration samples over {range.Count} steps need {least}..{count} trajectories, not {n}."));
        // Validate the model before starting a session so the message names the file and its inputs.
        DiffusionInputs.Resolve(ModelInputs.Of(model), model.Name);
        _session = ModelSession.Open(model, runtime, model.Name);
        _sampler = new DiffusionSampler(_session, options);
        _count = count;
        Trajectories = n;
        StepRange = range;
    }

    /// <summary>The steps the samples come from (all of the sampler's unless the constructor was given a range).</summary>
    public DiffusionStepRange StepRange { get; }

    /// <summary>Trajectories sampled per pass.</summary>
    public long Trajectories { get; }

    /// <summary>Float model calls made so far, over all passes (calibration cost).</summary>
    public long ModelCalls => _sampler.ModelCalls;

    /// <inheritdoc />
    public string Description => string.Create(CultureInfo.InvariantCulture,
        $"{_sampler.Options.Name}-{_sampler.Options.Steps} calibration: {_count} (x, t) samples from {Trajectories} trajectories of {_session.DisplayName} (seed {_sampler.Options.Seed}){RangeNote}");

    private string RangeNote => StepRange.Count == _sampler.Options.Steps ? ""
        : string.Create(CultureInfo.InvariantCulture, $", steps {StepRange.First}..{StepRange.End - 1} (t = {_sampler.Timesteps[StepRange.First]} .. {_sampler.Timesteps[StepRange.End - 1]})");

    /// <inheritdoc />
    public long? Count => _count;

    /// <inheritdoc />
    public bool HasLabels => false;

    /// <summary>The steps (indices into the sampler's timesteps) at which trajectory <paramref name="trajectory"/> gives a sample, ascending.</summary>
    public int[] StepsOf(long trajectory)
    {
        int steps = StepRange.Count;
        int m = (int)((_count - trajectory + Trajectories - 1) / Trajectories); // samples j = trajectory, trajectory + n, ...
        var rng = new Random(HashCode.Combine(_sampler.Options.Seed, trajectory, 0x0D1FF));
        var chosen = new int[m];
        for (int r = 0; r < m; r++)
        {
            int lo = (int)((long)r * steps / m), hi = (int)((long)(r + 1) * steps / m);
            chosen[r] = StepRange.First + lo + rng.Next(hi - lo);
        }
        return chosen;
    }

    /// <inheritdoc />
    public IEnumerable<DataBatch> ReadBatches(int batchSize, long? limit = null)
    {
        long total = BatchRequest.Total(batchSize, limit, _count);
        return _cachedX is not null ? Replay(batchSize, total) : Generate(batchSize, total);
    }

    private IEnumerable<DataBatch> Replay(int batchSize, long total)
    {
        int n = _sampler.Inputs.SampleElements;
        for (long start = 0; start < total; start += batchSize)
        {
            int count = (int)Math.Min(batchSize, total - start);
            var x = _cachedX.AsSpan((int)(start * n), count * n).ToArray();
            yield return _sampler.Inputs.Batch(x, _cachedT.AsSpan((int)start, count), count);
        }
    }

    private IEnumerable<DataBatch> Generate(int batchSize, long total)
    {
        int n = _sampler.Inputs.SampleElements;
        bool cache = total == _count && _count * n * sizeof(float) <= CacheBytes;
        var keptX = cache ? new float[_count * n] : null;
        var keptT = cache ? new int[_count] : null;
        var pendingX = new float[batchSize * n];
        var pendingT = new int[batchSize];
        int pending = 0;
        long emitted = 0;
        int group = _sampler.Options.BatchSize;
        DataBatch Flush()
        {
            var bx = pendingX.AsSpan(0, pending * n).ToArray();
            var bt = pendingT.AsSpan(0, pending);
            if (keptX is not null)
            {
                bx.CopyTo(keptX.AsSpan((int)(emitted * n)));
                bt.CopyTo(keptT.AsSpan((int)emitted));
            }
            var batch = _sampler.Inputs.Batch(bx, bt, pending);
            emitted += pending;
            pending = 0;
            return batch;
        }
        for (long first = 0; first < Trajectories && emitted < total; first += group)
        {
            int count = (int)Math.Min(group, Trajectories - first);
            var steps = new int[count][];
            int last = -1;
            for (int j = 0; j < count; j++)
            {
                steps[j] = StepsOf(first + j);
                if (steps[j].Length > 0) last = Math.Max(last, steps[j][^1]);
            }
            var cursor = new int[count];
            var batch = _sampler.Start(_sampler.InitialNoise(first, count), count, first);
            // Walk the trajectories step by step (the model runs only up to the last step any of them gives), handing out batches as they fill.
            for (int step = 0; step <= last && emitted + pending < total; step++)
            {
                int t = _sampler.Timesteps[step];
                for (int j = 0; j < count && emitted + pending < total; j++)
                {
                    if (cursor[j] >= steps[j].Length || steps[j][cursor[j]] != step) continue;
                    cursor[j]++;
                    batch.X.AsSpan(j * n, n).CopyTo(pendingX.AsSpan(pending * n, n));
                    pendingT[pending++] = t;
                    if (pending == batchSize) yield return Flush();
                }
                if (step < last && emitted + pending < total) _sampler.Advance(batch);
            }
        }
        if (pending > 0) yield return Flush();
        if (keptX is not null && emitted == _count)
        {
            _cachedX = keptX;
            _cachedT = keptT;
        }
    }

    /// <summary>Closes the float model's session.</summary>
    public void Dispose() => _session.Dispose();
}
