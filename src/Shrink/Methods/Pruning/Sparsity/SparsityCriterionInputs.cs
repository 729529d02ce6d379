using Shrink.Layers;

namespace Shrink.Methods.Pruning.Sparsity;

/// <summary>
/// What a criterion measured for itself before the ranking (see <see cref="ISparsityCriterion.MeasureOwnInputs"/>):
/// E[x_c²] per layer input column, how it was measured (the report's calibration line), and, when it could not be
/// measured, what the ranking fell back to and why.
/// </summary>
/// <param name="InputEnergies">E[x_c²] per layer (any positive scale); null when nothing could be measured, a missing layer when that layer's input could not be collected.</param>
/// <param name="Calibration">How the energies were measured, e.g. "512 seeded standard-normal samples"; null when they were not.</param>
/// <param name="FallbackCriterion">The criterion the ranking fell back to (its <see cref="ISparsityCriterion.Score"/> is then called without energies); null when none.</param>
/// <param name="FallbackReason">Why it fell back.</param>
public sealed record SparsityCriterionInputs(
    IReadOnlyDictionary<WeightLayer, float[]>? InputEnergies,
    string? Calibration,
    string? FallbackCriterion = null,
    string? FallbackReason = null);
