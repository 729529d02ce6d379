namespace Shrink.Pipelines.Diffusion;

/// <summary>
/// A batch of samples part-way through <see cref="DiffusionSampler"/>'s loop: the current x_t, which step comes next,
/// and each sample's step-noise stream (η > 0), so a caller can advance it one step at a time.
/// </summary>
public sealed class DenoisingBatch
{
    internal DenoisingBatch(float[] x, int count, long firstSample, NoiseStream[]? noise)
    {
        X = x;
        Count = count;
        FirstSample = firstSample;
        Noise = noise;
    }

    /// <summary>The samples' current values, [<see cref="Count"/>, ..sample], updated in place by each step.</summary>
    public float[] X { get; }

    /// <summary>Samples in the batch.</summary>
    public int Count { get; }

    /// <summary>The number of the first sample (sample j's noise depends only on the seed and its number).</summary>
    public long FirstSample { get; }

    /// <summary>The index of the next step to run (0 for pure noise x_T); equal to the step count when done.</summary>
    public int NextStep { get; internal set; }

    /// <summary>Each sample's stream of step noise (η > 0), else null.</summary>
    internal NoiseStream[]? Noise { get; }
}
