using Shrink.Runtime;

namespace Shrink.Pipelines.Diffusion;

/// <summary>A noise predictor's session used for the timesteps t ≥ <paramref name="MinT"/> (down to the next model's MinT).</summary>
/// <param name="Session">The model's session.</param>
/// <param name="MinT">The smallest timestep it serves.</param>
public sealed record DiffusionTimestepModel(ModelSession Session, int MinT);
