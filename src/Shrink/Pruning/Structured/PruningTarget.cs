namespace Shrink.Pruning.Structured;

/// <summary>What the sparsity of channel pruning is a fraction of.</summary>
public enum PruningTarget
{
    /// <summary>Multiply-accumulates per sample (Conv, ConvTranspose, Gemm, MatMul).</summary>
    Macs,

    /// <summary>Parameters (weight elements).</summary>
    Params,
}
