using Shrink.Data;
using Shrink.Layers;
using Shrink.Measures;
using Shrink.Model;
using Shrink.Registration;
using Shrink.Runtime;

namespace Shrink.Methods.Pruning.Sparsity;

/// <summary>
/// √(LAMP · energy share): the geometric mean of the <see cref="LampCriterion"/> score and the
/// <see cref="OutputEnergyCriterion"/> share w_rc²·E[x_c²] / Σ w²·E[x²], with E[x_c²] measured on <see cref="Samples"/>
/// seeded standard-normal inputs (the scale the usual input normalization gives) run through the unpruned model: no data.
/// The input energies carry what the weights alone cannot: a positive per-channel scale moved from one layer's output
/// channel (a folded BatchNormalization's) to the next layer's input channel changes w² and E[x²] in opposite ways, so
/// the product does not see it, where raw |w| strips whole layers; LAMP keeps each layer's largest weights, which the
/// energy share alone does not. Measured on Fashion-MNIST (all 10,000 test images, global unstructured, no weight
/// update), against LAMP / the energy share alone on the same noise / PyTorch's global L1 on the unfolded model:
/// resnet8 at 70% 0.7900 (0.7623 / 0.7865 / 0.7727); at 50% 0.9087 (0.9068), at 80% 0.3922 (0.3937);
/// cnn_small at 90% 0.8974 (0.8980 / 0.8949 / 0.8978), at 70% 0.9165 (0.9184);
/// vit_tiny at 50% 0.8440 (0.8274 / 0.8411 / 0.8314 = |w|), at 70% 0.5271 (|w| 0.5722).
/// So it is not uniformly better than LAMP: it wins where BatchNormalization was folded into a residual net and loses
/// up to a point elsewhere. Inside a layer the order stays that of |w| (ranking inside layers by the noise energy
/// was far worse: resnet8 0.34). Layers whose inputs cannot be collected (grouped convolutions) get the LAMP score;
/// a model the noise cannot be made for (a symbolic dim without <c>--input-shape</c>) or whose layer input moments
/// would exceed <see cref="MaxMatrixFloats"/> is ranked by LAMP alone, and the result says so.
/// </summary>
[Registered("noise-lamp", "√(LAMP · w²·E[x²] share), E[x²] from seeded standard-normal inputs (no data)", Order = 3)]
public sealed class NoiseLampCriterion : ISparsityCriterion
{
    /// <summary>Standard-normal samples the input energies are measured on.</summary>
    public const int Samples = 512;

    /// <summary>Largest total of the collected XᵀX matrices (Σ cols², floats): past it the ranking falls back to LAMP.</summary>
    public const long MaxMatrixFloats = 16L << 20;

    private readonly LampCriterion _lamp = new();
    private readonly OutputEnergyCriterion _energy = new();

    /// <inheritdoc />
    public string Name => "noise-lamp";

    /// <inheritdoc />
    public bool NeedsData => false;

    /// <inheritdoc />
    public SparsityCriterionInputs MeasureOwnInputs(OnnxModel model, IReadOnlyList<WeightLayer> layers, int batchSize, IProgress<ProgressInfo>? progress)
    {
        progress?.Report(new ProgressInfo("noise inputs", 0, 1));
        var (energies, reason) = Measure(model, layers, batchSize);
        return energies is null
            ? new SparsityCriterionInputs(null, null, "lamp", reason)
            : new SparsityCriterionInputs(energies, $"{Samples} seeded standard-normal samples, for the {Name} ranking only (no data)");
    }

    /// <inheritdoc />
    public float[] Score(float[] weight, int rows, int cols, ReadOnlySpan<float> inputEnergy)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (inputEnergy.Length < cols) return _lamp.Score(weight, rows, cols, inputEnergy);
        var s = _energy.Score(weight, rows, cols, inputEnergy);
        var l = _lamp.Score(weight, rows, cols, inputEnergy);
        for (int i = 0; i < s.Length; i++) s[i] = MathF.Sqrt(s[i] * l[i]);
        return s;
    }

    /// <summary>
    /// XᵀX of each layer's input on <see cref="Samples"/> seeded standard-normal model inputs (null for a layer it cannot
    /// be collected for), or null with the reason when the model's inputs cannot be generated without
    /// <c>--input-shape</c> or the matrices would take more than <see cref="MaxMatrixFloats"/> floats.
    /// </summary>
    public static (IReadOnlyDictionary<WeightLayer, float[]>? Energies, string? Reason) Measure(OnnxModel model, IReadOnlyList<WeightLayer> layers, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(layers);
        var collectable = layers.Where(l => PrunableLayers.CanCollect(l, out _)).ToList();
        long floats = collectable.Sum(l => (long)l.Cols * l.Cols);
        if (floats > MaxMatrixFloats)
            return (null, $"the layers' input second moments would take {floats * 4 / (1 << 20)} MiB (at most {MaxMatrixFloats * 4 / (1 << 20)} MiB)");
        var inputs = ModelInputs.Of(model);
        IDataSource noise;
        try
        {
            noise = FixedBatchDataSource.ForModel(new RandomDataSource(inputs, new Dictionary<string, long[]>(), Samples, seed: 0), inputs);
        }
        catch (ShrinkException e)
        {
            return (null, $"no standard-normal inputs can be made for it ({e.Message})");
        }
        using (noise)
        {
            var hessians = collectable.Select(l => new LayerHessian(l)).ToList();
            HessianCollector.Collect(model, hessians, noise, Samples, batchSize);
            var energies = new Dictionary<WeightLayer, float[]>();
            foreach (var h in hessians)
            {
                var diagonal = new float[h.Cols];
                for (int c = 0; c < h.Cols; c++) diagonal[c] = h.Matrix[(long)c * h.Cols + c];
                energies[h.Layer] = diagonal;
            }
            return (energies, null);
        }
    }
}
