namespace Shrink.Ops;

/// <summary>How <see cref="ConvBackward"/> writes a Conv's weight gradient dW = Σ_batch g ⋆ X.</summary>
public enum ConvWeightGradient
{
    /// <summary>
    /// The default: <see cref="Im2ColBatched"/> for pointwise (1×1) kernels, where the columns are X itself or one strided
    /// Slice of it, and <see cref="TransposedConv"/> for larger kernels. On resnet8's layers at batch 64 (one thread,
    /// bench/RESULTS-training.md) this was the fastest pair: im2col halves the strided 1×1 shortcuts' step, while for 3×3
    /// kernels the k² Slices and the Concat of the columns cost as much as ONNX Runtime's own im2col inside the Conv, or
    /// more with strides.
    /// </summary>
    Auto,

    /// <summary>
    /// im2col as one GEMM: X padded, batch and channels swapped, then one strided Slice per kernel offset
    /// stacked into columns [C·k, N·out]; dW = g [M, N·out] · columnsᵀ. One well-shaped GEMM whose inner dimension is
    /// batch × output positions. Convs with groups, or without a known kernel shape, use <see cref="TransposedConv"/>.
    /// </summary>
    Im2ColGemm,

    /// <summary>im2col per sample: columns [N, C·k, out], a batched MatMul g [N, M, out] · columnsᵀ, then ReduceSum over the batch.</summary>
    Im2ColBatched,

    /// <summary>A Conv over transposed tensors: X with batch and channels swapped, convolved with g as the kernel.</summary>
    TransposedConv,
}
