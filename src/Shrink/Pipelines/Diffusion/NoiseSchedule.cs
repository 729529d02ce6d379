using System.Globalization;

namespace Shrink.Pipelines.Diffusion;

/// <summary>
/// The forward-process schedule of a noise-prediction (ε) diffusion model: <see cref="Timesteps"/> steps with betas
/// linear from <c>betaStart</c> to <c>betaEnd</c>, and ᾱ_t = ∏_{s≤t} (1 − β_s) computed in double and kept in float32
/// (as PyTorch's <c>torch.cumprod(1 - betas).float()</c> does).
/// </summary>
public sealed class NoiseSchedule
{
    private readonly float[] _alphaBar;

    /// <summary>Builds the schedule.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than 2 timesteps, or betas outside (0, 1) or decreasing.</exception>
    public NoiseSchedule(int timesteps = 1000, double betaStart = 1e-4, double betaEnd = 0.02)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timesteps, 2);
        if (!(betaStart > 0 && betaStart <= betaEnd && betaEnd < 1))
            throw new ArgumentOutOfRangeException(nameof(betaStart), string.Create(CultureInfo.InvariantCulture, $"Betas must satisfy 0 < start <= end < 1, not {betaStart}..{betaEnd}."));
        Timesteps = timesteps;
        BetaStart = betaStart;
        BetaEnd = betaEnd;
        _alphaBar = new float[timesteps];
        double product = 1, step = (betaEnd - betaStart) / (timesteps - 1);
        for (int t = 0; t < timesteps; t++)
        {
            double beta = t < timesteps / 2 ? betaStart + t * step : betaEnd - (timesteps - 1 - t) * step; // torch.linspace's two halves
            product *= 1 - beta;
            _alphaBar[t] = (float)product;
        }
    }

    /// <summary>The number of training timesteps T (valid t are 0..T−1).</summary>
    public int Timesteps { get; }

    /// <summary>β at t = 0.</summary>
    public double BetaStart { get; }

    /// <summary>β at t = T − 1.</summary>
    public double BetaEnd { get; }

    /// <summary>ᾱ_t, the fraction of signal variance left at timestep <paramref name="t"/>.</summary>
    public float AlphaBar(int t) => _alphaBar[t];

    /// <summary>
    /// The timesteps a sampler with <paramref name="steps"/> steps visits, from the noisiest down: t_i = i·⌊T/steps⌋ for
    /// i = steps−1 … 0 (50 of 1000: 980, 960, …, 0, as <c>range(0, T, T // steps)[::-1]</c>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="steps"/> is not in 1..T.</exception>
    public int[] SamplingTimesteps(int steps)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(steps, Timesteps);
        int stride = Timesteps / steps;
        var ts = new int[steps];
        for (int i = 0; i < steps; i++) ts[i] = (steps - 1 - i) * stride;
        return ts;
    }
}
