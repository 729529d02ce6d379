namespace Shrink.Pipelines.Diffusion;

/// <summary>One group of a <see cref="DiffusionStepModels"/> manifest: the model used for timesteps MinT..MaxT.</summary>
public sealed record DiffusionStepGroup
{
    /// <summary>The model's path (relative to the manifest in the file).</summary>
    public required string Model { get; init; }

    /// <summary>The first sampling step (index, noisiest first) it was calibrated on.</summary>
    public required int FirstStep { get; init; }

    /// <summary>How many steps it was calibrated on.</summary>
    public required int StepCount { get; init; }

    /// <summary>The largest timestep of its steps.</summary>
    public required int MaxT { get; init; }

    /// <summary>The smallest timestep of its steps; the sampler uses it for t ≥ MinT down to the next group's.</summary>
    public required int MinT { get; init; }
}
