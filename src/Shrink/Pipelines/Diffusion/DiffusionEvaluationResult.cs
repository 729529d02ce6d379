namespace Shrink.Pipelines.Diffusion;

/// <summary>What <see cref="DiffusionEvaluator"/> measured: one score per model, against the same real-image features.</summary>
public sealed record DiffusionEvaluationResult
{
    /// <summary>The sampler, e.g. <c>ddim</c>.</summary>
    public required string Pipeline { get; init; }

    /// <summary>Sampling steps.</summary>
    public required int Steps { get; init; }

    /// <summary>The timesteps visited, noisiest first.</summary>
    public required IReadOnlyList<int> Timesteps { get; init; }

    /// <summary>Seed of the initial noise (Shrink's own generator, not PyTorch's).</summary>
    public required int Seed { get; init; }

    /// <summary>Images generated per model.</summary>
    public required long Samples { get; init; }

    /// <summary>The feature classifier.</summary>
    public required string FeatureModel { get; init; }

    /// <summary>The feature tensor (the input of the classifier's head).</summary>
    public required string FeatureTensor { get; init; }

    /// <summary>Features per image.</summary>
    public required int FeatureDimension { get; init; }

    /// <summary>The real images.</summary>
    public required string FeatureData { get; init; }

    /// <summary>Real images whose features were used.</summary>
    public required long RealImages { get; init; }

    /// <summary>Seconds spent on the real images' features.</summary>
    public required double RealFeatureSeconds { get; init; }

    /// <summary>The evaluated model first, then the reference when one was given.</summary>
    public required IReadOnlyList<DiffusionModelScore> Models { get; init; }
}
