using System.Globalization;

namespace Shrink.Pipelines.Diffusion;

/// <summary>How <see cref="DiffusionSampler"/> runs a noise predictor (ε) in its loop.</summary>
public sealed record DiffusionSamplerOptions
{
    /// <summary>The most sampling steps (and training timesteps) accepted.</summary>
    public const int MaxTimesteps = 100_000;

    /// <summary>Sampling steps (model calls per sample), at most <see cref="Timesteps"/>.</summary>
    public int Steps { get; init; } = 50;

    /// <summary>
    /// DDIM's η: 0 is the deterministic DDIM sampler, 1 adds fresh noise each step as DDPM's ancestral sampler does
    /// (over the same strided timesteps).
    /// </summary>
    public double Eta { get; init; }

    /// <summary>Seed of the initial noise (and of the per-step noise when <see cref="Eta"/> > 0); see <see cref="NoiseStream"/>.</summary>
    public int Seed { get; init; }

    /// <summary>Samples denoised together in one model call.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Training timesteps T of the model's schedule.</summary>
    public int Timesteps { get; init; } = 1000;

    /// <summary>β at t = 0 (linear schedule).</summary>
    public double BetaStart { get; init; } = 1e-4;

    /// <summary>β at t = T − 1 (linear schedule).</summary>
    public double BetaEnd { get; init; } = 0.02;

    /// <summary>Clip each step's predicted x₀ to [−1, 1] (the data range of the models Shrink's pipelines serve).</summary>
    public bool ClipDenoised { get; init; } = true;

    /// <summary>The pipeline's name for reports: <c>ddim</c> for η = 0, <c>ddpm</c> for η = 1, else <c>ddim η=…</c>.</summary>
    public string Name => Eta switch { 0 => "ddim", 1 => "ddpm", _ => string.Create(CultureInfo.InvariantCulture, $"ddim η={Eta}") };

    /// <summary>Checks the values.</summary>
    /// <exception cref="OptionsException">A value is out of range; the message names it.</exception>
    public void Validate()
    {
        if (Timesteps is < 2 or > MaxTimesteps)
            throw new OptionsException(string.Create(CultureInfo.InvariantCulture, $"timesteps must be in 2..{MaxTimesteps}, not {Timesteps}."));
        if (Steps < 1 || Steps > Timesteps)
            throw new OptionsException(string.Create(CultureInfo.InvariantCulture, $"--steps must be in 1..{Timesteps} (the model's training timesteps), not {Steps}."));
        if (!(Eta >= 0 && Eta <= 1))
            throw new OptionsException(string.Create(CultureInfo.InvariantCulture, $"eta must be in [0, 1], not {Eta}."));
        if (BatchSize < 1)
            throw new OptionsException("the sampler's batch size must be positive.");
        if (!(BetaStart > 0 && BetaStart <= BetaEnd && BetaEnd < 1))
            throw new OptionsException(string.Create(CultureInfo.InvariantCulture, $"betas must satisfy 0 < start <= end < 1, not {BetaStart}..{BetaEnd}."));
    }
}
