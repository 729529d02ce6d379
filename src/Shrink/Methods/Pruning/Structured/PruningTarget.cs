namespace Shrink.Methods.Pruning.Structured;

/// <summary>What the sparsity of channel pruning is a fraction of.</summary>
public enum PruningTarget
{
    /// <summary>Multiply-accumulates per sample (Conv, ConvTranspose, Gemm, MatMul).</summary>
    Macs,

    /// <summary>Parameters (weight elements).</summary>
    Params,

    /// <summary>
    /// ONNX Runtime latency at <see cref="ChannelPruningOptions.LatencyBatchSize"/> with one intra-op thread: each channel
    /// configuration the schedule reaches is cut out of the model and the whole model timed interleaved with the unpruned
    /// one (see <see cref="LatencyCostModel"/>).
    /// </summary>
    Latency,
}
