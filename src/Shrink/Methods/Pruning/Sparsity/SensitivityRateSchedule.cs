using Shrink.Data;
using Shrink.Evaluation.Tasks;
using Shrink.Layers;
using Shrink.Measures;
using Shrink.Model;
using Shrink.Numerics;
using Shrink.Runtime;

namespace Shrink.Methods.Pruning.Sparsity;

/// <summary>
/// Per-layer unstructured rates from measured output sensitivity, in one shot (the global allocation of OBC/SPDY,
/// without their search): each layer is pruned alone at each candidate rate (with the SparseGPT update on the unpruned
/// model's inputs when reconstructing, by magnitude otherwise) and the calibration loss, KL(unpruned ‖ pruned) of the
/// first output (per position for a language model, see <see cref="LossFor"/>), is measured with only that layer changed. An integer program (OR-Tools CP-SAT, as for mixed precision)
/// then picks one rate per layer minimizing the summed loss increase so that the layers keep at most the budget's
/// nonzeros; the rates are a grid, so the surplus zeros go back to the layers where the last grid step cost most, and
/// the model lands exactly on the requested sparsity. Assumes the layers' losses add up, as HAWQ and OBC do.
/// Computes only: the graph is not modified.
/// </summary>
public static class SensitivityRateSchedule
{
    /// <summary>Candidate rates per layer (fractions of the layer's weights zeroed).</summary>
    public static readonly IReadOnlyList<double> Rates = [0, 0.25, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.925, 0.95, 0.97, 0.98];

    /// <summary>
    /// Weights to zero per layer (in the order of <paramref name="layers"/>) so that <paramref name="sparsity"/> of all
    /// their weights go, and each layer's measured loss increase at the grid rate at or just above its final rate.
    /// </summary>
    /// <param name="model">The prepared float model (not modified).</param>
    /// <param name="layers">The layers to prune.</param>
    /// <param name="weights">Their [rows × cols] weights.</param>
    /// <param name="factors">SparseGPT factors of the layers whose inputs were collected, when reconstructing; empty otherwise.</param>
    /// <param name="batches">Calibration batches (the loss is measured on these).</param>
    /// <param name="sparsity">The overall rate, in [0, 1).</param>
    /// <param name="mask">The unstructured mask.</param>
    /// <param name="blockSize">SparseGPT's block size.</param>
    /// <param name="progress">Reports layers done.</param>
    public static (long[] Zeros, double[] LossIncrease) Plan(OnnxModel model, IReadOnlyList<WeightLayer> layers, IReadOnlyList<float[]> weights,
        IReadOnlyDictionary<WeightLayer, SparseGptFactor> factors, IReadOnlyList<DataBatch> batches, double sparsity, ISparsityMask mask, int blockSize,
        IProgress<ProgressInfo>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(batches);
        if (batches.Count == 0) throw new ShrinkException($"{model.Name}: the sensitivity schedule needs calibration data, and it is empty.");
        var loss = LossFor(model, batches);
        var magnitude = new MagnitudeCriterion();
        var costs = new double[layers.Count][];
        for (int i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            var w = weights[i];
            using var session = new WeightInputSession(model, layer, batches, loss);
            double baseLoss = session.Loss(session.Weight);
            costs[i] = new double[Rates.Count];
            float[]? scores = null;
            for (int r = 1; r < Rates.Count; r++)
            {
                long zeros = ZerosAt(w.LongLength, Rates[r]);
                float[] pruned = factors.TryGetValue(layer, out var factor)
                    ? SparseGptUpdate.Prune(w, layer.Rows, layer.Cols, factor, mask, zeros, blockSize)
                    : SparsityPruner.ApplyMask(w, scores ??= magnitude.Score(w, layer.Rows, layer.Cols, default), layer.Rows, layer.Cols, mask, zeros);
                // A loss that falls when a layer is pruned is noise on this scale: no rate is rewarded for it.
                costs[i][r] = Math.Max(0, session.Loss(session.ToOnnxLayout(pruned)) - baseLoss);
            }
            progress?.Report(new ProgressInfo("rate sensitivity", i + 1, layers.Count));
        }
        return Allocate(weights.Select(w => w.LongLength).ToArray(), costs, sparsity);
    }

    /// <summary>
    /// The loss the rates are measured by: KL(unpruned ‖ pruned) of the first output per sample, or, for a language model
    /// (logits [batch, seq, vocab]; the task detected from the model's inputs and outputs), the KL of the next-token
    /// distribution at every position averaged over the positions (<c>kl-token</c>), never one softmax over the whole
    /// sequence.
    /// </summary>
    internal static CalibrationLoss LossFor(OnnxModel model, IReadOnlyList<DataBatch> batches)
    {
        bool languageModel = EvaluationTasks.Detect(ModelInputs.Of(model), model.Graph.Outputs).Name == "lm";
        var reference = new List<float[]>();
        int vocabulary = 0;
        using (var session = ModelSession.Open(model, new RuntimeOptions(), model.Name))
        {
            foreach (var batch in batches)
            {
                var first = session.Run(batch)[0];
                if (languageModel && first.Shape.Length == 3) vocabulary = (int)first.Shape[2];
                reference.Add(first.Data);
            }
        }
        return languageModel && vocabulary > 0
            ? CalibrationLoss.ForTokens(batches, reference, vocabulary)
            : CalibrationLoss.Create(batches, reference, useLabels: false);
    }

    /// <summary>
    /// The allocation itself: <paramref name="costs"/>[layer][k] is the loss increase of the layer at
    /// <see cref="Rates"/>[k] (index 0, rate 0, costs nothing). Returns the zeros per layer, exactly
    /// round(<paramref name="sparsity"/>·Σ sizes) in all, and each layer's cost at its chosen grid rate.
    /// </summary>
    public static (long[] Zeros, double[] LossIncrease) Allocate(IReadOnlyList<long> sizes, IReadOnlyList<double[]> costs, double sparsity)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        ArgumentNullException.ThrowIfNull(costs);
        long total = sizes.Sum(), target = (long)Math.Round(sparsity * total);
        if (target == 0) return (new long[sizes.Count], new double[sizes.Count]);
        // Keys are rates in per mille, resources the weights each layer keeps.
        var problem = sizes.Select((size, i) => new AllocationLayer(i.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Rates.Select((rate, k) => (rate, k)).ToDictionary(p => PerMille(p.rate), p => costs[i][p.k]),
            Rates.ToDictionary(PerMille, rate => size - ZerosAt(size, rate)))).ToList();
        var allocation = BitAllocator.Solve(problem, total - target)
            ?? throw new ShrinkException($"Sparsity {sparsity:0.####} cannot be reached with at most {Rates[^1]:P0} of each layer's weights zeroed.");
        var chosen = problem.Select(p => Rates.ToList().FindIndex(rate => PerMille(rate) == allocation.Bits[p.Name])).ToArray();
        var zeros = chosen.Select((k, i) => ZerosAt(sizes[i], Rates[k])).ToArray();
        // Hand the surplus back, steepest grid step first (those zeros cost the most per weight), stepping a layer down
        // the grid as often as needed: with flat costs the solver may overshoot by several steps.
        long surplus = zeros.Sum() - target;
        while (surplus > 0)
        {
            int best = -1;
            double bestSlope = double.NegativeInfinity;
            for (int i = 0; i < sizes.Count; i++)
            {
                if (chosen[i] == 0) continue;
                long step = zeros[i] - ZerosAt(sizes[i], Rates[chosen[i] - 1]);
                double slope = (costs[i][chosen[i]] - costs[i][chosen[i] - 1]) / Math.Max(1, step);
                if (slope > bestSlope) (best, bestSlope) = (i, slope);
            }
            long lower = ZerosAt(sizes[best], Rates[chosen[best] - 1]);
            long back = Math.Min(surplus, zeros[best] - lower);
            zeros[best] -= back;
            surplus -= back;
            if (zeros[best] == lower) chosen[best]--;
        }
        return (zeros, chosen.Select((k, i) => costs[i][k]).ToArray());
    }

    private static int PerMille(double rate) => (int)Math.Round(rate * 1000);

    private static long ZerosAt(long size, double rate) => (long)Math.Round(rate * size);
}
