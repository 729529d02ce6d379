using Shrink.Runtime;

namespace Shrink.Pipelines.Diffusion;

/// <summary>
/// DDIM sampling (Song et al. 2021) over an ONNX noise predictor ε(x_t, t) run in ONNX Runtime: from x_T ~ N(0, I),
/// each step predicts x₀ = (x_t − √(1−ᾱ_t) ε) / √ᾱ_t (clipped to [−1, 1]), recomputes ε from the clipped x₀, and moves
/// to the next timestep: x_prev = √ᾱ_prev x₀ + √(1−ᾱ_prev−σ²) ε + σ z with σ = η √((1−ᾱ_prev)/(1−ᾱ_t)) √(1−ᾱ_t/ᾱ_prev)
/// (η = 0: deterministic DDIM; η = 1: DDPM's ancestral sampler). ᾱ_prev = 1 after the last step (t = 0). The same
/// update, in float32, as <c>train_tiny_ddpm.ddim_sample</c>. Initial noise comes from <see cref="NoiseStream"/>
/// (not PyTorch's generator); <see cref="Denoise"/> takes given noise to reproduce another sampler's run.
/// </summary>
public sealed class DiffusionSampler
{
    private readonly ModelSession _session;
    private readonly ModelSession[] _stepSessions;
    private readonly NoiseSchedule _schedule;
    private readonly int[] _timesteps;
    private readonly string _output;

    /// <summary>Samples with <paramref name="session"/>, a noise predictor, as <paramref name="options"/> say.</summary>
    /// <exception cref="ShrinkException">The options are invalid, or the model is not a noise predictor with x and t inputs and one output shaped like x.</exception>
    public DiffusionSampler(ModelSession session, DiffusionSamplerOptions options)
        : this([new DiffusionTimestepModel(session, 0)], options)
    {
    }

    /// <summary>
    /// Samples with one model per stretch of timesteps (time-step-aware quantization: each group of steps has its own
    /// activation ranges): step t runs the first of <paramref name="models"/> (ordered by descending
    /// <see cref="DiffusionTimestepModel.MinT"/>) whose MinT ≤ t, or the last one. All must take the same inputs.
    /// </summary>
    /// <exception cref="ShrinkException">The options are invalid, a model is not a noise predictor, or the models' inputs differ.</exception>
    public DiffusionSampler(IReadOnlyList<DiffusionTimestepModel> models, DiffusionSamplerOptions options)
    {
        if (models.Count == 0) throw new ArgumentException("At least one model is needed.", nameof(models));
        var session = models[0].Session;
        options.Validate();
        _session = session;
        Options = options;
        Inputs = DiffusionInputs.Resolve(session.Inputs, session.DisplayName);
        _schedule = new NoiseSchedule(options.Timesteps, options.BetaStart, options.BetaEnd);
        _timesteps = _schedule.SamplingTimesteps(options.Steps);
        _output = session.OutputNames.Count == 1 ? session.OutputNames[0]
            : throw new ShrinkException($"{session.DisplayName}: a noise predictor has one output (ε), not {session.OutputNames.Count} ({string.Join(", ", session.OutputNames)}).");
        for (int k = 1; k < models.Count; k++)
        {
            var other = models[k].Session;
            if (models[k].MinT > models[k - 1].MinT)
                throw new ArgumentException("The models must be ordered by descending MinT.", nameof(models));
            var inputs = DiffusionInputs.Resolve(other.Inputs, other.DisplayName);
            if (inputs.X.Name != Inputs.X.Name || inputs.T.Name != Inputs.T.Name || !inputs.SampleShape.SequenceEqual(Inputs.SampleShape) || other.OutputNames.Count != 1)
                throw new ShrinkException($"{other.DisplayName}: its inputs or outputs differ from {session.DisplayName}'s; every step group's model must take the same x and t.");
        }
        _stepSessions = new ModelSession[_timesteps.Length];
        for (int i = 0; i < _timesteps.Length; i++)
            _stepSessions[i] = (models.FirstOrDefault(m => m.MinT <= _timesteps[i]) ?? models[^1]).Session;
    }

    /// <summary>The options.</summary>
    public DiffusionSamplerOptions Options { get; }

    /// <summary>The model's sample and timestep inputs.</summary>
    public DiffusionInputs Inputs { get; }

    /// <summary>The timesteps visited, noisiest first (50 of 1000: 980, 960, …, 0).</summary>
    public IReadOnlyList<int> Timesteps => _timesteps;

    /// <summary>Model calls so far (one per step per batch).</summary>
    public long ModelCalls { get; private set; }

    /// <summary>The initial noise x_T of samples [<paramref name="first"/>, <paramref name="first"/> + <paramref name="count"/>): sample j's noise depends only on the seed and j.</summary>
    public float[] InitialNoise(long first, int count)
    {
        int n = Inputs.SampleElements;
        var x = new float[checked(count * n)];
        for (int j = 0; j < count; j++)
            new NoiseStream(Options.Seed, first + j).Fill(x.AsSpan(j * n, n));
        return x;
    }

    /// <summary>
    /// Starts the loop on <paramref name="x"/> ([<paramref name="count"/>, ..sample], x_T; updated in place by each step),
    /// samples numbered from <paramref name="firstSample"/> (η > 0 draws each sample's step noise from its own stream).
    /// </summary>
    public DenoisingBatch Start(float[] x, int count, long firstSample = 0)
    {
        int n = Inputs.SampleElements;
        if (x.Length != (long)count * n)
            throw new ArgumentException($"{count} samples of {n} values need {count * (long)n} values, not {x.Length}.", nameof(x));
        NoiseStream[]? noise = null;
        if (Options.Eta > 0)
        {
            noise = new NoiseStream[count];
            for (int j = 0; j < count; j++)
                noise[j] = new NoiseStream(Options.Seed, -1 - (firstSample + j)); // negative numbers: streams apart from the initial noise's
        }
        return new DenoisingBatch(x, count, firstSample, noise);
    }

    /// <summary>Runs the next step of <paramref name="batch"/>: one model call at its timestep, then the update.</summary>
    /// <exception cref="InvalidOperationException">Every step has run.</exception>
    /// <exception cref="ShrinkException">Inference fails or the model's output is not shaped like x.</exception>
    public void Advance(DenoisingBatch batch)
    {
        int i = batch.NextStep;
        if (i >= _timesteps.Length)
            throw new InvalidOperationException($"All {_timesteps.Length} steps have run.");
        var x = batch.X;
        var t = new int[batch.Count];
        Array.Fill(t, _timesteps[i]);
        var eps = _stepSessions[i].Run(Inputs.Batch(x, t, batch.Count))[0];
        ModelCalls++;
        if (eps.Data.Length != x.Length)
            throw new ShrinkException($"{_stepSessions[i].DisplayName}: output '{_output}' has shape [{string.Join(",", eps.Shape)}], but a noise prediction has the sample's shape [{batch.Count},{string.Join(",", Inputs.SampleShape)}].");
        Step(x, eps.Data, i, batch.Noise, Inputs.SampleElements);
        batch.NextStep = i + 1;
    }

    /// <summary>
    /// Runs the loop on <paramref name="x"/> ([<paramref name="count"/>, ..sample], updated in place) for its first
    /// <paramref name="steps"/> steps (default: all). <paramref name="beforeStep"/> sees (step index, t, x) before each model call.
    /// </summary>
    /// <exception cref="ShrinkException">Inference fails or the model's output is not shaped like x.</exception>
    public void Denoise(float[] x, int count, long firstSample = 0, Action<int, int, float[]>? beforeStep = null, int? steps = null)
    {
        var batch = Start(x, count, firstSample);
        int end = Math.Min(steps ?? _timesteps.Length, _timesteps.Length);
        while (batch.NextStep < end)
        {
            beforeStep?.Invoke(batch.NextStep, _timesteps[batch.NextStep], x);
            Advance(batch);
        }
    }

    private void Step(float[] x, float[] eps, int i, NoiseStream[]? noise, int sampleElements)
    {
        float ab = _schedule.AlphaBar(_timesteps[i]);
        float abPrev = i + 1 < _timesteps.Length ? _schedule.AlphaBar(_timesteps[i + 1]) : 1f;
        float sqrtAb = MathF.Sqrt(ab), sqrtOneMinusAb = MathF.Sqrt(1f - ab), sqrtAbPrev = MathF.Sqrt(abPrev);
        float sigma = (float)(Options.Eta * Math.Sqrt((1.0 - abPrev) / (1.0 - ab)) * Math.Sqrt(1.0 - ab / (double)abPrev));
        float direction = MathF.Sqrt(MathF.Max(0f, 1f - abPrev - sigma * sigma));
        bool clip = Options.ClipDenoised;
        for (int k = 0; k < x.Length; k++)
        {
            float x0 = (x[k] - sqrtOneMinusAb * eps[k]) / sqrtAb;
            if (clip) x0 = Math.Clamp(x0, -1f, 1f);
            float e = (x[k] - sqrtAb * x0) / sqrtOneMinusAb;
            float next = sqrtAbPrev * x0 + direction * e;
            if (noise is not null && sigma > 0) next += sigma * noise[k / sampleElements].Next();
            x[k] = next;
        }
    }

    /// <summary>
    /// Generates samples [0, <paramref name="count"/>) from their seeded initial noise, <see cref="DiffusionSamplerOptions.BatchSize"/>
    /// at a time; each batch comes back as [n, ..sample] with n ≤ the batch size (memory: one batch).
    /// </summary>
    public IEnumerable<float[]> Generate(long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        for (long first = 0; first < count; first += Options.BatchSize)
        {
            int n = (int)Math.Min(Options.BatchSize, count - first);
            var x = InitialNoise(first, n);
            Denoise(x, n, first);
            yield return x;
        }
    }
}
