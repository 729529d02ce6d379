namespace Shrink.Ops;

/// <summary>How <see cref="ConvBackward"/> writes a Conv's weight gradient dW = Σ_batch g ⋆ X.</summary>
public enum ConvWeightGradient
{
    /// <summary>
    /// im2col as one GEMM (the default): X padded, batch and channels swapped, then one strided Slice per kernel offset
    /// stacked into columns [C·k, N·out]; dW = g [M, N·out] · columnsᵀ. One well-shaped GEMM whose inner dimension is
    /// batch × output positions. Convs with groups, or without a known kernel shape, use <see cref="TransposedConv"/>.
    /// </summary>
    Im2ColGemm,

    /// <summary>im2col per sample: columns [N, C·k, out], a batched MatMul g [N, M, out] · columnsᵀ, then ReduceSum over the batch.</summary>
    Im2ColBatched,

    /// <summary>A Conv over transposed tensors: X with batch and channels swapped, convolved with g as the kernel.</summary>
    TransposedConv,
}
