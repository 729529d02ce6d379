namespace Shrink.Methods.Quantization.Equivalence;

/// <summary>How <c>--bias-correction</c> estimates the mean shift quantization puts into each output channel.</summary>
public enum BiasCorrectionKind
{
    /// <summary>No correction.</summary>
    None,

    /// <summary>From the layer input means measured on calibration data.</summary>
    Empirical,

    /// <summary>Data-free, from the preceding BatchNormalization's statistics (Nagel et al. 2019).</summary>
    Analytic,
}
