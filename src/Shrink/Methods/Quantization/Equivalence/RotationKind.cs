namespace Shrink.Methods.Quantization.Equivalence;

/// <summary>Which orthogonal matrix <c>--rotate</c> uses.</summary>
public enum RotationKind
{
    /// <summary>No rotation.</summary>
    None,

    /// <summary>A randomized Hadamard matrix (QuaRot).</summary>
    Hadamard,

    /// <summary>The KLT: eigenvectors of the activation covariance.</summary>
    Klt,

    /// <summary>The KLT followed by a randomized Hadamard matrix (MambaQuant).</summary>
    KltHadamard,
}
