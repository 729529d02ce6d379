namespace Shrink.Methods.Pruning.Sparsity;

/// <summary>What happened to one layer.</summary>
/// <param name="Name">The node's display name.</param>
/// <param name="OpType">Conv, Gemm or MatMul.</param>
/// <param name="Rows">Output channels (N).</param>
/// <param name="Cols">Reduction length (K).</param>
/// <param name="Method"><c>magnitude</c> or <c>sparsegpt</c> (a layer whose inputs cannot be collected, e.g. a grouped conv, falls back to magnitude and says why).</param>
/// <param name="TargetSparsity">The fraction of this layer's weights the mask zeroes.</param>
/// <param name="Sparsity">The fraction of this layer's weights that are zero afterwards.</param>
/// <param name="SelectionError">
/// Relative output error ‖(W − Ŵ)X‖²/‖WX‖² of zeroing the lowest-magnitude weights (same mask kind and rate, no
/// weight update), on the layer's calibration inputs, or null without data.
/// </param>
/// <param name="Error">The same for the method used, or null without data.</param>
/// <param name="Seconds">Time spent choosing the mask and updating the weights.</param>
/// <param name="LossIncrease">
/// With the sensitivity schedule: the calibration loss increase (KL to the unpruned model) measured with only this layer
/// pruned at its chosen grid rate; null otherwise.
/// </param>
public sealed record SparsityLayerResult(string Name, string OpType, int Rows, int Cols, string Method, double TargetSparsity, double Sparsity,
    double? SelectionError, double? Error, double Seconds, double? LossIncrease = null);
