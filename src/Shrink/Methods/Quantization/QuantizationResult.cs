using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;
using Shrink.Runtime;

namespace Shrink.Methods.Quantization;

/// <summary>The quantized model and everything measured while making it.</summary>
public sealed record QuantizationResult : ICompressionResult
{
    /// <summary>The quantized model (not yet saved).</summary>
    public required OnnxModel Model { get; init; }

    /// <summary>static or dynamic.</summary>
    public required string Mode { get; init; }

    /// <summary>Graph passes run before quantizing, with what they changed.</summary>
    public IReadOnlyList<string> Preprocessing { get; init; } = [];

    /// <summary>How the quantized graph was written for ONNX Runtime after quantizing (e.g. biases fused into int8 MatMuls).</summary>
    public IReadOnlyList<string> OutputNotes { get; init; } = [];

    /// <summary>Quantized node count by op type.</summary>
    public IReadOnlyDictionary<string, int> QuantizedByOp { get; init; } = new Dictionary<string, int>();

    /// <summary>Nodes left in float, with reasons, grouped as "op: reason" → node names.</summary>
    public IReadOnlyList<(string OpType, string Reason, int Count)> LeftInFloat { get; init; } = [];

    /// <summary>Relu/Clip nodes folded into their producer's range.</summary>
    public int FoldedActivations { get; init; }

    /// <summary>Activation tensors with calibrated parameters (own or shared).</summary>
    public IReadOnlyDictionary<string, QuantParams> Activations { get; init; } = new Dictionary<string, QuantParams>();

    /// <summary>What ONNX Runtime runs after its optimizations.</summary>
    public FusionReport? Fusion { get; init; }

    /// <summary>Per-node SQNR, worst first (empty when the analysis was skipped).</summary>
    public IReadOnlyList<LayerError> Layers { get; init; } = [];

    /// <summary>Output fidelity of the full quantization on the analysis samples.</summary>
    public ExclusionTrial? Output { get; init; }

    /// <summary>Measured what-ifs: the same quantization with the k worst nodes left in float.</summary>
    public IReadOnlyList<ExclusionTrial> Suggestions { get; init; } = [];

    /// <summary>How calibration and the per-layer analysis fitted the memory limit: activation bytes per sample and the batch chosen.</summary>
    public IReadOnlyList<string> MemoryNotes { get; init; } = [];

    /// <summary>Calibration method and samples used.</summary>
    public string? Calibration { get; init; }

    /// <summary>Seconds spent calibrating.</summary>
    public double CalibrationSeconds { get; init; }

    /// <summary>Seconds spent rewriting the graph.</summary>
    public double RewriteSeconds { get; init; }

    /// <summary>The plan (static mode).</summary>
    public QdqPlan? Plan { get; init; }

    /// <summary>Weight bits: 8, or the narrower grid the int8 weight codes keep to (static mode).</summary>
    public int WeightBits { get; init; } = 8;

    /// <summary>The weight rounding method (rtn, gptq, refit, adaround).</summary>
    public string WeightRounding { get; init; } = "rtn";

    /// <summary>Per-layer rounding with the relative output errors of the method and of round-to-nearest (empty for rtn).</summary>
    public IReadOnlyList<WeightOnly.WeightLayerResult> WeightLayers { get; init; } = [];

    /// <summary>Seconds spent collecting Hessians and rounding the weights (0 for rtn).</summary>
    public double WeightSeconds { get; init; }

    /// <summary>What each equivalence transform (smoothing, rotation, equalization, bias correction) did, in the order they ran.</summary>
    public IReadOnlyList<Equivalence.EquivalenceResult> Equivalence { get; init; } = [];
}
