namespace Shrink.Pipelines.Diffusion;

/// <summary>
/// A stretch of a sampler's steps: indices <see cref="First"/> .. <see cref="First"/> + <see cref="Count"/> − 1 into its
/// timesteps (noisiest first), e.g. steps 0..9 of DDIM-50 are t = 980 … 800.
/// </summary>
/// <param name="First">The first step index.</param>
/// <param name="Count">How many steps.</param>
public readonly record struct DiffusionStepRange(int First, int Count)
{
    /// <summary>One past the last step index.</summary>
    public int End => First + Count;

    /// <summary><paramref name="groups"/> consecutive ranges splitting <paramref name="steps"/> steps as evenly as possible (noisiest first).</summary>
    /// <exception cref="OptionsException"><paramref name="groups"/> is not in 1..<paramref name="steps"/>.</exception>
    public static DiffusionStepRange[] Split(int steps, int groups)
    {
        if (groups < 1 || groups > steps)
            throw new OptionsException($"{groups} step groups over {steps} steps: need 1..{steps} groups.");
        var ranges = new DiffusionStepRange[groups];
        for (int g = 0; g < groups; g++)
        {
            int lo = (int)((long)g * steps / groups), hi = (int)((long)(g + 1) * steps / groups);
            ranges[g] = new DiffusionStepRange(lo, hi - lo);
        }
        return ranges;
    }
}
