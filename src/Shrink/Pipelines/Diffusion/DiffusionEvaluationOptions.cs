using Shrink.Runtime;

namespace Shrink.Pipelines.Diffusion;

/// <summary>How <see cref="DiffusionEvaluator"/> scores a noise predictor by the images its sampler makes.</summary>
public sealed record DiffusionEvaluationOptions
{
    /// <summary>The sampler (steps, seed, batch).</summary>
    public DiffusionSamplerOptions Sampler { get; init; } = new();

    /// <summary>Images generated per model.</summary>
    public long Samples { get; init; } = 256;

    /// <summary>The classifier whose penultimate features the Fréchet distance compares (<c>--fd-model</c>).</summary>
    public required string FeatureModel { get; init; }

    /// <summary>The real images (<c>--fd-data</c>): any data spec the classifier can read.</summary>
    public required string FeatureData { get; init; }

    /// <summary>At most this many real images (null: all).</summary>
    public long? FeatureDataSamples { get; init; }

    /// <summary>Batch for the classifier.</summary>
    public int FeatureBatchSize { get; init; } = 256;

    /// <summary>ONNX Runtime settings for every model.</summary>
    public RuntimeOptions Runtime { get; init; } = new();

    /// <summary>The most images one evaluation may generate.</summary>
    public const long MaxSamples = 1_000_000;

    /// <summary>Checks the values.</summary>
    /// <exception cref="OptionsException">A value is out of range.</exception>
    public void Validate()
    {
        Sampler.Validate();
        if (Samples is < 2 or > MaxSamples)
            throw new OptionsException($"--samples must be in 2..{MaxSamples} for a Fréchet distance (a covariance needs two images), not {Samples}.");
        if (FeatureDataSamples is < 2)
            throw new OptionsException($"the real images must be at least 2, not {FeatureDataSamples}.");
        if (FeatureBatchSize < 1)
            throw new OptionsException("the feature batch size must be positive.");
    }
}
