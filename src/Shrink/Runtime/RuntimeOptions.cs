namespace Shrink.Runtime;

/// <summary>How ONNX Runtime sessions are created.</summary>
public sealed record RuntimeOptions
{
    /// <summary>Intra-op threads. Default 1: on small machines two threads give bimodal timings, so comparisons use one.</summary>
    public int IntraOpThreads { get; init; } = 1;

    /// <summary>Enable ORT's graph optimizations (fusions); off only to look at the graph as written.</summary>
    public bool Optimize { get; init; } = true;

    /// <summary>
    /// Let ORT constant-fold DequantizeLinear of constant weights (session config <c>session.disable_quant_qdq=1</c>), so
    /// weight-only Conv layers run as fast float convolutions instead of dequantizing every call (measured: cnn_small
    /// with int8 weight-only convs, 5.6 ms → 3.5 ms at batch 64). Null (default): on when the model is weight-only
    /// (DequantizeLinear nodes, no QuantizeLinear), off otherwise, where it would stop ORT fusing QDQ int8 kernels.
    /// </summary>
    public bool? FoldWeightDequantize { get; init; }

    /// <summary>When set, ORT writes the optimized graph here (used to check which QDQ nodes it fused).</summary>
    public string? OptimizedModelPath { get; init; }

    /// <summary>
    /// ORT's CPU memory arena (default on). Statistics sessions turn it off: they expose many tensors as outputs, and the
    /// arena keeps its peak (grown in doubling chunks) for the session's life, so the process held more than the
    /// batch plan's budget.
    /// </summary>
    public bool CpuMemoryArena { get; init; } = true;

    /// <summary>
    /// Keep values that compute the same thing from the same inputs apart (ORT's common-subexpression elimination off):
    /// a training graph that recomputes forward values in the backward pass needs its copies kept, or ORT merges them
    /// back into the originals and keeps those alive through the step.
    /// </summary>
    public bool KeepRecomputedValues { get; init; }

    /// <summary>
    /// Flush denormal floats to zero (ORT's <c>session.set_denormal_as_zero</c>). Masked attention softmaxes write
    /// values near 1e-39 where the mask is, and producing or reading denormals costs a microcode assist per value on
    /// x86: measured on tiny_gpt at batch 8 × 128 tokens, the four Softmax kernels went from 6.9 ms to about 1 ms per run.
    /// ORT applies it to its intra-op pool threads per session, but to the calling thread (the one that runs the ops at
    /// one intra-op thread) only from the first session the process creates; <see cref="ModelSession.DenormalsFlushed"/>
    /// says whether it took effect. Off by default: it is a deployment setting, and values below 1.2e-38 become 0.
    /// </summary>
    public bool FlushDenormals { get; init; }
}
