namespace Shrink.Ops;

/// <summary>
/// Everything Shrink's algorithms ask about one op type, as data and small functions (after NNCF's metatypes and ONNX
/// Runtime's quantization registry): where the weight and bias are, which weight axis holds output and input channels,
/// how channels flow through it for pruning, what QDQ quantization does with it and which ORT integer kernel it becomes,
/// and how to count its multiply-accumulates. Found through <see cref="OpCatalog"/>.
/// </summary>
public sealed record OpSchema
{
    /// <summary>A schema for <paramref name="opType"/> in <paramref name="domain"/>.</summary>
    public OpSchema(string opType, string domain = OpDomains.Default)
    {
        OpType = opType;
        Domain = domain;
    }

    /// <summary>The op type.</summary>
    public string OpType { get; }

    /// <summary>The domain ("" for the default ONNX domain).</summary>
    public string Domain { get; }

    /// <summary>How a weighted op lays out its weight and output channels; null for ops without a weight.</summary>
    public LayerKind? Layer { get; init; }

    /// <summary>Index of the weight input, or -1.</summary>
    public int WeightInput { get; init; } = -1;

    /// <summary>Index of the bias input, or -1.</summary>
    public int BiasInput { get; init; } = -1;

    /// <summary>The weight axis that indexes output channels, from the node's attributes (Gemm: 0 with transB, else 1).</summary>
    public Func<IntAttribute, int>? WeightOutputAxis { get; init; }

    /// <summary>The weight axis that indexes input channels (the reduction), from the node's attributes (Gemm: 1 with transB, else 0).</summary>
    public Func<IntAttribute, int>? WeightInputAxis { get; init; }

    /// <summary>Whether the op reads its first (data) input transposed (Gemm with transA); such nodes are not treated as layers.</summary>
    public Func<IntAttribute, bool> ReadsInputTransposed { get; init; } = _ => false;

    /// <summary>Output channels of a weight with <c>dims</c> (ConvTranspose: dims[1] · group).</summary>
    public Func<IReadOnlyList<long>, IntAttribute, long>? OutputChannels { get; init; }

    /// <summary>Input channels a weight with <c>dims</c> reads (Conv: dims[1] · group; ConvTranspose: dims[0]).</summary>
    public Func<IReadOnlyList<long>, IntAttribute, long>? InputChannels { get; init; }

    /// <summary>The axis of the op's output (of the given rank) that holds its output channels: 1 for convolutions, the last for Gemm/MatMul.</summary>
    public Func<int, int>? OutputChannelAxis { get; init; }

    /// <summary>Whether a BatchNormalization right after it folds into its weight and bias.</summary>
    public bool FoldsBatchNormalization { get; init; }

    /// <summary>How channels flow through it (the pruning dependency rule).</summary>
    public ChannelFlow ChannelFlow { get; init; } = ChannelFlow.Blocks;

    /// <summary>For <see cref="ChannelFlow.PassesThrough"/>: whether its constant parameters hold one value per channel (PRelu's slope) and are sliced with them, rather than being scalars.</summary>
    public bool HasChannelParameters { get; init; }

    /// <summary>What static QDQ quantization does with it.</summary>
    public QdqRole QdqRole { get; init; } = QdqRole.NotQuantized;

    /// <summary>The ONNX Runtime integer kernel its QDQ form fuses into (QLinearConv, QGemm, ...), when there is one.</summary>
    public string? FusesInto { get; init; }

    /// <summary>Whether the op is itself an integer kernel of ONNX Runtime (what <see cref="FusesInto"/> names).</summary>
    public bool IsIntegerKernel { get; init; }

    /// <summary>Whether finding it means the model is already quantized (Q/DQ nodes and the integer kernels quantizers write).</summary>
    public bool MeansQuantized { get; init; }

    /// <summary>Multiply-accumulates of one node; null for ops without multiplications worth counting.</summary>
    public Func<MacQuery, long>? CountMacs { get; init; }

    /// <summary>Its backward rule (the gradients of its inputs as ONNX nodes), or null when it has none.</summary>
    public IBackwardRule? Backward { get; init; }

    /// <summary>
    /// Whether a training graph may compute its output again in the backward pass instead of keeping it alive from the
    /// forward pass: cheap (elementwise), deterministic and with one output.
    /// </summary>
    public bool Recomputable { get; init; }

    /// <summary>Whether the op has a weight input.</summary>
    public bool HasWeight => WeightInput >= 0;

    /// <summary>Whether the schema is of the default ONNX domain.</summary>
    public bool IsDefaultDomain => OpDomains.IsDefault(Domain);
}
