namespace Shrink.Methods.Quantization.Equivalence;

/// <summary>The function-preserving rewrites to run before quantizing (all off by default).</summary>
public sealed record EquivalenceOptions
{
    /// <summary>SmoothQuant: move activation outliers into the weights (<c>--smooth</c>).</summary>
    public bool Smooth { get; init; }

    /// <summary>SmoothQuant's migration strength α in [0, 1]; null searches α per layer on the calibration data.</summary>
    public double? SmoothAlpha { get; init; }

    /// <summary>Rotation of residual streams and layer inputs (<c>--rotate</c>).</summary>
    public RotationKind Rotate { get; init; }

    /// <summary>Cross-layer equalization of Conv → (ReLU) → Conv pairs (<c>--equalize</c>).</summary>
    public bool Equalize { get; init; }

    /// <summary>Bias correction of the mean output shift quantization causes (<c>--bias-correction</c>).</summary>
    public BiasCorrectionKind BiasCorrection { get; init; }

    /// <summary>Seed of randomized choices (the Hadamard sign flips).</summary>
    public int Seed { get; init; }

    /// <summary>Whether any transform is asked for.</summary>
    public bool Any => Smooth || Rotate != RotationKind.None || Equalize || BiasCorrection != BiasCorrectionKind.None;

    /// <summary>Checks the settings.</summary>
    /// <exception cref="OptionsException">α outside [0, 1].</exception>
    public void Validate()
    {
        if (SmoothAlpha is double a && !(a >= 0 && a <= 1)) throw new OptionsException($"the smoothing strength α must be in [0, 1], not {a.ToString(System.Globalization.CultureInfo.InvariantCulture)}.");
        if (SmoothAlpha is not null && !Smooth) throw new OptionsException("a smoothing strength α is given but smoothing is off.");
    }
}
