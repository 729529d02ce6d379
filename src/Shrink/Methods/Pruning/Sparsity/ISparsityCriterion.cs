namespace Shrink.Methods.Pruning.Sparsity;

/// <summary>
/// Scores each weight for the global ranking (lower goes first), which splits the global sparsity budget between the
/// layers; the scores must be comparable between layers. Inside each layer the weights then go by magnitude (without
/// reconstruction) or by the SparseGPT saliency (with it): on the reference models that split did better than ranking
/// inside layers by output energy as well.
/// </summary>
public interface ISparsityCriterion
{
    /// <summary>The registered name (<c>magnitude</c>, <c>lamp</c>, <c>energy</c>).</summary>
    string Name { get; }

    /// <summary>Whether the criterion needs the layer inputs' second moments (calibration data).</summary>
    bool NeedsData { get; }

    /// <summary>
    /// For a criterion that measures its own layer-input statistics instead of reading calibration data (e.g.
    /// <see cref="NoiseLampCriterion"/>, on seeded standard-normal inputs): measures them on the prepared
    /// <paramref name="model"/>; <see cref="Score"/> then receives them. Null (the default) for criteria that rank on
    /// the weights alone or on <c>--data</c>. Called once per run, before the ranking; it must not change the model, and
    /// reports its own progress step when it runs the model.
    /// </summary>
    SparsityCriterionInputs? MeasureOwnInputs(Model.OnnxModel model, IReadOnlyList<Layers.WeightLayer> layers, int batchSize, IProgress<ProgressInfo>? progress) => null;

    /// <summary>
    /// Scores of the row-major [rows × cols] <paramref name="weight"/>; <paramref name="inputEnergy"/> is E[x_c²] per
    /// column (the diagonal of XᵀX, any positive scale), or null without data.
    /// </summary>
    float[] Score(float[] weight, int rows, int cols, ReadOnlySpan<float> inputEnergy);
}
