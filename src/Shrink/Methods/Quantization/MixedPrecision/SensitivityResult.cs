namespace Shrink.Methods.Quantization.MixedPrecision;

/// <summary>Per-layer sensitivities of a model, in graph order.</summary>
public sealed record SensitivityResult
{
    /// <summary>hutchinson or perturbation.</summary>
    public required string Method { get; init; }

    /// <summary>
    /// The loss: <c>ce</c> (cross-entropy against labels), <c>kl</c> (KL divergence from the float model's outputs) or,
    /// for one output value per sample (a sigmoid), <c>bce</c> (binary cross-entropy against the labels or the float
    /// model's probabilities).
    /// </summary>
    public required string Loss { get; init; }

    /// <summary>The bit widths scored.</summary>
    public required IReadOnlyList<int> Bits { get; init; }

    /// <summary>Calibration samples used.</summary>
    public required long Samples { get; init; }

    /// <summary>The float model's loss on the calibration data (0 for KL up to rounding).</summary>
    public double BaseLoss { get; init; }

    /// <summary>One entry per scored layer, in graph order.</summary>
    public required IReadOnlyList<LayerSensitivity> Layers { get; init; }

    /// <summary>Layers that were not scored, with the reason.</summary>
    public IReadOnlyList<SkippedLayer> Skipped { get; init; } = [];

    /// <summary>The layers' warnings, each prefixed with the layer's name.</summary>
    public IReadOnlyList<string> Warnings => Layers.Where(l => l.Warning is not null).Select(l => $"{l.Name}: {l.Warning}").ToList();

    /// <summary>Total seconds.</summary>
    public double Seconds { get; init; }

    /// <summary>Whether this result came from the cache beside the model.</summary>
    public bool FromCache { get; init; }
}
