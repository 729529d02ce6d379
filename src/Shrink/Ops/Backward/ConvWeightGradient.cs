namespace Shrink.Ops;

/// <summary>How <see cref="ConvBackward"/> writes a Conv's weight gradient dW = Σ_batch g ⋆ X.</summary>
public enum ConvWeightGradient
{
    /// <summary>
    /// The default, by kernel and stride: <see cref="Im2ColBatched"/> for pointwise (1×1) kernels, where the columns are X
    /// itself or one strided Slice of it; <see cref="Im2ColWidth"/> for 2-D kernels at stride 1 over at least 16 input
    /// channels (resnet8's 16-, 32- and 64-channel 3×3 layers 3–13 % faster per layer step than <see cref="Im2ColGemm"/>,
    /// its 1-channel stem 20 % slower); <see cref="Im2ColGemm"/> for other larger kernels at stride 1; <see cref="TransposedConv"/>
    /// for larger kernels with strides, where ONNX Runtime's Slice with steps makes the k² columns slower than the Conv's
    /// own im2col. The fastest form per layer shape on resnet8 at batch 64, one thread (bench/RESULTS-training.md): the
    /// strided 1×1 shortcuts about 1.5–2× faster than the transposed Conv, the 3×3 stride-1 layers 3–12 % faster.
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

    /// <summary>
    /// 2-D, stride 1: columns for the kernel's width offsets only ([k_w·C, N·H_p·W_out], k_w Slices of X padded, batch
    /// and channels swapped); each height offset kh is g padded by kh rows above (and k_h − 1 − kh below) instead, so
    /// that one Gemm per kernel row gives dW[:, :, kh, :]. k_w instead of k² copies of X.
    /// </summary>
    Im2ColWidth,
}
