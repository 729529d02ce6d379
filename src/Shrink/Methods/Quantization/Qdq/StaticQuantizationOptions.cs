using Shrink.Calibration;
using Shrink.Methods.Quantization.Equivalence;
using Shrink.Model;

namespace Shrink.Methods.Quantization.Qdq;

/// <summary>Typed options of calibrated static int8 quantization (QDQ).</summary>
public sealed record StaticQuantizationOptions
{
    /// <summary>Activation type: UInt8 (default; ORT's fastest x86 kernels are u8×s8) or Int8.</summary>
    public ElementType ActivationType { get; init; } = ElementType.UInt8;

    /// <summary>
    /// Activation bits, 2..8 (default 8). Below 8 the Q/DQ stay int8/uint8 (what ORT fuses) and each calibrated range
    /// maps onto 2^bits of their levels (<see cref="QuantMath.ActivationGrid"/>), so activations inside the range have a
    /// 2^bits-level grid; values beyond it are not clipped at the narrower grid's edge (docs/diffusion.md).
    /// </summary>
    public int ActivationBits { get; init; } = 8;

    /// <summary>
    /// Weight bits, 2..8 (default 8). Below 8 the weights stay int8 with their DequantizeLinear (what ORT fuses into integer
    /// kernels) and their codes keep to the symmetric N-bit range (−7..7 at 4 bits with round-to-nearest; a data-aware
    /// rounding may also use −8): an N-bit weight grid in int8 containers, for accuracy studies; ORT still runs int8 kernels.
    /// </summary>
    public int WeightBits { get; init; } = 8;

    /// <summary>
    /// How weights are rounded: a registered <see cref="WeightOnly.IWeightRounding"/> name (rtn, gptq, refit, adaround). Default
    /// rtn: abs-max scales, round to nearest, as always. gptq needs per-channel weights; its Hessians XᵀX come from the
    /// calibration data run through the prepared float model, and one scale per output channel (group size 0) is kept.
    /// </summary>
    public string WeightRounding { get; init; } = "rtn";

    /// <summary>Symmetric activation ranges (zero point in the middle). Off by default: ReLU outputs waste half the levels.</summary>
    public bool SymmetricActivations { get; init; }

    /// <summary>Per-output-channel weight scales (default) rather than one per tensor.</summary>
    public bool PerChannelWeights { get; init; } = true;

    /// <summary>Calibration method name (minmax, percentile, entropy, mse). Default mse: on the reference models it kept int8 within 0.1 pt of fp32 where min-max lost up to 0.13 pt.</summary>
    public string Calibration { get; init; } = "mse";

    /// <summary>Settings of the calibration method.</summary>
    public CalibrationSettings CalibrationSettings { get; init; } = new();

    /// <summary>Calibration samples to use.</summary>
    public long Samples { get; init; } = 512;

    /// <summary>Batch size while calibrating.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>The largest <see cref="BatchSize"/> accepted (the CLI's --calibration-batch limit too).</summary>
    public const int MaxBatchSize = 4096;

    /// <summary>
    /// Bytes of activations calibration and the per-layer analysis may hold at once; the batch is lowered below
    /// <see cref="BatchSize"/> (or the tensors observed in several passes) to stay within it. Null: half the available
    /// memory, at most 1 GiB (<see cref="MemoryBudget.DefaultBytes"/>).
    /// </summary>
    public long? MemoryLimitBytes { get; init; }

    /// <summary>Node names (or display names) to leave in float.</summary>
    public IReadOnlySet<string> ExcludeNodes { get; init; } = new HashSet<string>();

    /// <summary>Op types to leave in float, on top of those never quantized by default.</summary>
    public IReadOnlySet<string> ExcludeOps { get; init; } = new HashSet<string>();

    /// <summary>
    /// Conv/Gemm/MatMul whose reduction length (Cin/groups × kernel, or K) is below this stay float: with so few
    /// multiply-adds per output, ORT's int8 kernels lose to float (a 1-channel 3×3 first conv ran 3.5× slower in int8).
    /// </summary>
    public int MinReductionSize { get; init; } = 16;

    /// <summary>
    /// Also quantize MatMuls of two activations (attention scores Q·Kᵀ and attn·V) to QLinearMatMul. Off by default: ORT
    /// runs them as many small per-head products plus a requantized softmax, measured slower than float on vit_tiny
    /// (batch 64: 0.86× fp32 with them, 0.98× without) and no faster on tiny_gpt (batch 8 × 128: 1.36× vs 1.39×).
    /// </summary>
    public bool QuantizeAttentionMatMuls { get; init; }

    /// <summary>
    /// Split packed q/k/v projections into three and move the attention-score scale onto the queries before quantizing
    /// (<see cref="Shrink.Passes.SplitAttentionProjections"/>), so ORT runs the int8 transformer without the 5-D transpose,
    /// Split and score-sized multiply. On by default; off keeps the graph's own layout.
    /// </summary>
    public bool SplitAttention { get; init; } = true;

    /// <summary>
    /// Write each int8 MatMul with a constant bias as one com.microsoft MatMulIntegerToFloat with the bias fused
    /// (<see cref="MatMulBiasFusion"/>), which ONNX Runtime runs faster than the QDQ form it would otherwise build the same
    /// kernel from plus a separate Add. On by default; off keeps every quantized MatMul in portable QDQ form.
    /// </summary>
    public bool FuseMatMulBias { get; init; } = true;

    /// <summary>Samples used for the per-layer error report (0: skip the report).</summary>
    public int AnalysisSamples { get; init; } = 128;

    /// <summary>How many worst layers to try excluding for the suggestion table.</summary>
    public int SuggestExclusions { get; init; } = 3;

    /// <summary>Function-preserving rewrites run before calibration (smoothing, rotation, equalization, bias correction).</summary>
    public EquivalenceOptions Equivalence { get; init; } = new();
}
