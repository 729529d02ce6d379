namespace Shrink.Methods.Pruning.Sparsity;

/// <summary>How an unstructured sparsity rate is spread over the layers.</summary>
public enum SparsityScope
{
    /// <summary>
    /// One magnitude threshold over all pruned layers' weights together (as PyTorch's
    /// <c>prune.global_unstructured</c> with L1): layers with many small weights lose more. With reconstruction, each
    /// layer is pruned at the rate this global ranking implies for it.
    /// </summary>
    Global,

    /// <summary>The same rate in every layer.</summary>
    Layer,

    /// <summary>
    /// Per-layer rates from each layer's PQ Index (<see cref="PqIndexSchedule"/>): layers whose weights are already
    /// concentrated lose more. Data-free and scale-invariant.
    /// </summary>
    Pqi,

    /// <summary>
    /// Per-layer rates from measured output sensitivity (<see cref="SensitivityRateSchedule"/>): each layer pruned alone
    /// at a grid of rates on calibration data, then an integer program picks the rates with the least summed loss
    /// increase. Needs data.
    /// </summary>
    Sensitivity,
}
