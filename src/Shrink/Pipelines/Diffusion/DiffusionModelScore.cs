namespace Shrink.Pipelines.Diffusion;

/// <summary>One noise predictor's score: the Fréchet distance of its samples' features to the real images', and what sampling cost.</summary>
/// <param name="Model">The model file.</param>
/// <param name="Role"><c>model</c> or <c>reference</c>.</param>
/// <param name="FrechetDistance">The Fréchet distance (lower is closer to the real images).</param>
/// <param name="SampleSeconds">Wall-clock seconds in the sampling loop (model calls and updates, not the features).</param>
/// <param name="ModelCalls">Model calls made (one per step per batch).</param>
public sealed record DiffusionModelScore(string Model, string Role, double FrechetDistance, double SampleSeconds, long ModelCalls);
