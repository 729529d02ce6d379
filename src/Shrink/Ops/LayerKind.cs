namespace Shrink.Ops;

/// <summary>How an op with a weight multiplies its input by it: the layout of the weight and of the channels it writes.</summary>
public enum LayerKind
{
    /// <summary>Conv: weight [M, C/group, k...], output channels on axis 1 of the output.</summary>
    Convolution,

    /// <summary>ConvTranspose: weight [C, M/group, k...], output channels on axis 1 of the output.</summary>
    TransposedConvolution,

    /// <summary>Gemm: a 2-D product whose weight is [K, N], or [N, K] with transB; output features on the last axis.</summary>
    Gemm,

    /// <summary>MatMul: weight [K, N] (or a product of two computed values); output features on the last axis.</summary>
    MatMul,
}
