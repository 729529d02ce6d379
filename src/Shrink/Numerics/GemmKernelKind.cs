namespace Shrink.Numerics;

/// <summary>The micro-kernel families <see cref="GemmDriver"/> can run; the widest accelerated one is the default.</summary>
internal enum GemmKernelKind
{
    /// <summary>Plain scalar code, for hardware without accelerated vectors.</summary>
    Scalar,

    /// <summary>128-bit vectors (SSE, NEON).</summary>
    Vector128,

    /// <summary>256-bit vectors (AVX2 + FMA).</summary>
    Vector256,

    /// <summary>512-bit vectors (AVX-512).</summary>
    Vector512,
}
