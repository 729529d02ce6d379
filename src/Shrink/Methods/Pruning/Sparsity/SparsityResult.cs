namespace Shrink.Methods.Pruning.Sparsity;

/// <summary>
/// The outcome of sparsity pruning. The weights stay dense float tensors holding zeros: ONNX Runtime has no sparse
/// kernels on the CPU, so the model is not faster or smaller on disk as is; it compresses well and is ready for
/// runtimes or formats that exploit sparsity (2:4 on GPUs with sparse tensor cores). <c>Layers</c>: the pruned layers in graph order.
/// </summary>
public sealed class SparsityResult : LayerwiseResult<SparsityOptions, SparsityLayerResult>
{
    /// <summary>The mask kind (<c>unstructured</c>, <c>2:4</c>...).</summary>
    public required string Mask { get; init; }

    /// <summary>The criterion used to rank weights (<c>magnitude</c>, <c>energy</c>).</summary>
    public required string Criterion { get; init; }

    /// <summary>Weighted layers left dense, with the reason.</summary>
    public required IReadOnlyList<(string Name, string OpType, string Reason)> LeftDense { get; init; }

    /// <summary>Weights in the pruned layers.</summary>
    public long Weights { get; init; }

    /// <summary>Nonzero weights in the pruned layers before.</summary>
    public long NonzeroWeightsBefore { get; init; }

    /// <summary>Nonzero weights in the pruned layers after.</summary>
    public long NonzeroWeightsAfter { get; init; }

    /// <summary>Float parameters of the whole model (every float initializer).</summary>
    public long Parameters { get; init; }

    /// <summary>Nonzero float parameters of the whole model before.</summary>
    public long NonzeroParametersBefore { get; init; }

    /// <summary>Nonzero float parameters of the whole model after.</summary>
    public long NonzeroParametersAfter { get; init; }

    /// <summary>The fraction of the pruned layers' weights that are zero.</summary>
    public double Sparsity => Weights == 0 ? 0 : 1 - (double)NonzeroWeightsAfter / Weights;

    /// <summary>Seconds spent choosing masks and updating weights.</summary>
    public double PruningSeconds { get; init; }

    /// <summary>Seconds spent measuring per-layer rate sensitivity (the sensitivity schedule), 0 otherwise.</summary>
    public double ScheduleSeconds { get; init; }
}
