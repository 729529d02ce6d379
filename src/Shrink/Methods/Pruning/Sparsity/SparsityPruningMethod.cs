using Shrink.Registration;

namespace Shrink.Methods.Pruning.Sparsity;

/// <summary>Unstructured and N:M sparsity as a registered method (<see cref="SparsityPruner"/>).</summary>
[Registered("prune-sparsity", "zeros in the weights, unstructured or N:M; the model keeps its shapes", Order = 4)]
public sealed class SparsityPruningMethod() : CompressionMethod<SparsityOptions, SparsityResult>((model, options, data, progress) =>
    new SparsityPruner(options).Prune(model, data, progress));
