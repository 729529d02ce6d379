using System.Diagnostics;
using Shrink.Calibration;
using Shrink.Data;
using Shrink.Layers;
using Shrink.Measures;
using Shrink.Model;
using Shrink.Numerics;
using Shrink.Passes;
using Shrink.Runtime;
using Shrink.Validation;

namespace Shrink.Methods.Pruning.Sparsity;

/// <summary>
/// Unstructured and N:M sparsity on Conv/Gemm/MatMul weights: pre-process (constant promotion, BatchNormalization
/// folding), pick the layers with their own constant float weight, decide how many weights each layer loses (one global
/// ranking by the criterion, the same rate per layer, or the N:M pattern), then either zero the lowest-ranked weights
/// (magnitude needs no data, the output-energy criterion does) or run the SparseGPT update layer by layer on calibration data, and check that ONNX Runtime loads the result
/// with the same interface. The weights stay dense float tensors holding zeros: ONNX Runtime has no sparse kernels on
/// the CPU, so this saves nothing at run time by itself. The input model is never modified.
/// </summary>
public sealed class SparsityPruner(SparsityOptions options)
{
    /// <summary>
    /// Prunes <paramref name="model"/>. <paramref name="openData"/> opens calibration data: required with
    /// <see cref="SparsityOptions.Reconstruct"/> and the <c>energy</c> criterion; otherwise optional, used to rank by
    /// output energy (the default criterion when data is given) and to measure per-layer errors.
    /// </summary>
    /// <exception cref="ShrinkException">Bad options, no data for reconstruction, NaN/Inf weights, nothing to prune, or a rate that would zero a whole layer.</exception>
    public SparsityResult Prune(OnnxModel model, Func<IReadOnlyList<ModelInputSpec>, IDataSource>? openData, IProgress<ProgressInfo>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options.Validate();
        string source = model.Name;
        if (options.Reconstruct && openData is null)
            throw new ShrinkException($"{source}: sparsity with reconstruction (SparseGPT) needs calibration data (--data PATH); plain magnitude pruning needs none.");
        var (prepared, preprocessing) = PreparationProfile.Compression.PrepareWeights(model, source, "prune");
        var (parameters, nonzeroBefore) = PrunableLayers.CountParameters(prepared);

        var (layers, leftDense) = PrunableLayers.Select(prepared, options.ExcludeNodes);
        if (layers.Count == 0)
            throw new ShrinkException($"{source}: nothing to prune: no Conv, Gemm or MatMul with a constant float weight{(leftDense.Count > 0 ? $" ({leftDense[0].Name}: {leftDense[0].Reason})" : "")}.");
        var mask = options.Granularity.CreateMask();
        if (mask.Period > 0)
        {
            // N:M kernels (cuSPARSELt; NVIDIA's ASP skips such layers too) need whole groups of M along the reduction axis.
            foreach (var layer in layers.Where(l => l.Cols % mask.Period != 0).ToList())
            {
                layers.Remove(layer);
                leftDense.Add((layer.Name, layer.Node.OpType, $"reduction length {layer.Cols} is not a multiple of {mask.Period}, so {mask.Name} groups do not fit"));
            }
            if (layers.Count == 0)
                throw new ShrinkException($"{source}: nothing to prune with {mask.Name}: no layer's reduction length is a multiple of {mask.Period}.");
        }
        var magnitude = new MagnitudeCriterion();
        bool global = options.Scope == SparsityScope.Global && options.Granularity.IsUnstructured;
        var criterion = global ? SparsityCriteria.Create(options.Criterion ?? (openData is null ? SparsityCriteria.DataFreeDefault(model) : "energy")) : magnitude;
        if (criterion.NeedsData && openData is null)
            throw new ShrinkException($"{source}: the sparsity criterion '{criterion.Name}' needs calibration data (--data PATH); 'magnitude' needs none.");
        var weights = layers.Select(l => l.ReadMatrix(prepared.Graph)).ToList();
        var results = new Dictionary<WeightLayer, SparsityLayerResult>();
        double calibrationSeconds = 0, pruningSeconds = 0, scheduleSeconds = 0;
        SparsityCriterionInputs? ownInputs = null;
        int batch = options.BatchSize;
        string batchNote = "";
        IDataSource? data = null;
        try
        {
            bool bySensitivity = options.Scope == SparsityScope.Sensitivity && options.Granularity.IsUnstructured;
            if (openData is not null && (options.Reconstruct || options.MeasureLayerErrors || criterion.NeedsData || bySensitivity))
            {
                var inputs = ModelInputs.Of(prepared);
                // Read once: the sequential update passes over the same samples once per layer group.
                using var stream = FixedBatchDataSource.ForModel(openData(inputs), inputs);
                var plan = HessianBatchPlan.Choose(prepared, layers.Where(l => PrunableLayers.CanCollect(l, out _)).ToList(), stream, options.Reconstruct,
                    options.Reconstruct && options.TargetFloatOutputs, options.MemoryLimitBytes ?? MemoryBudget.DefaultBytes(), options.BatchSize);
                batch = plan.BatchSize;
                batchNote = plan.Reduced(options.BatchSize) ? $"; {plan.Describe(options.BatchSize)}" : $", batch {batch}";
                data = new InMemoryDataSource(stream, batch, options.Samples);
            }
            // The unpruned model's layer inputs, in one pass: for the criterion's ranking and, without reconstruction,
            // for the per-layer errors.
            Dictionary<WeightLayer, LayerHessian> unpruned = [];
            bool rankOnData = criterion.NeedsData;
            if (bySensitivity && data is null)
                throw new ShrinkException($"{source}: the sensitivity schedule measures each layer's effect on the output and needs calibration data (--data PATH).");
            if (data is not null && (rankOnData || (bySensitivity && options.Reconstruct) || (!options.Reconstruct && options.MeasureLayerErrors)))
            {
                var clock = Stopwatch.StartNew();
                var hessians = layers.Where(l => PrunableLayers.CanCollect(l, out _)).Select(l => new LayerHessian(l)).ToList();
                progress?.Report(new ProgressInfo("calibration", 0, 1));
                HessianCollector.Collect(prepared, hessians, data, options.Samples, batch);
                unpruned = hessians.ToDictionary(h => h.Layer);
                calibrationSeconds += clock.Elapsed.TotalSeconds;
            }
            List<float[]>? scores = null;
            var own = global && !criterion.NeedsData ? MeasureOwnInputs(criterion, prepared, layers, options.BatchSize, progress) : null;
            if (own is not null)
            {
                calibrationSeconds += own.Value.Seconds;
                ownInputs = own.Value.Inputs;
                var ranking = ownInputs.FallbackCriterion is string fallback ? SparsityCriteria.Create(fallback) : criterion;
                scores = layers.Select((l, i) => ranking.Score(weights[i], l.Rows, l.Cols, ownInputs.InputEnergies?.GetValueOrDefault(l) ?? default)).ToList();
            }
            else if (global)
            {
                scores = layers.Select((l, i) => Score(criterion, weights[i], l, unpruned.GetValueOrDefault(l)?.Matrix)).ToList();
            }
            long[] zeros;
            double[]? lossIncrease = null;
            if (bySensitivity)
            {
                var clock = Stopwatch.StartNew();
                var factors = options.Reconstruct
                    ? unpruned.ToDictionary(p => p.Key, p => SparseGptUpdate.Factor(p.Value.Matrix, p.Key.Cols, options.Damp))
                    : [];
                var batches = data!.ReadBatches(batch, options.SensitivitySamples).ToList();
                (zeros, lossIncrease) = SensitivityRateSchedule.Plan(prepared, layers, weights, factors, batches, options.Sparsity, mask, options.BlockSize, progress);
                scheduleSeconds = clock.Elapsed.TotalSeconds;
            }
            else
            {
                zeros = ZerosPerLayer(layers, weights, scores, mask);
            }
            for (int i = 0; i < layers.Count; i++)
            {
                if (zeros[i] >= weights[i].LongLength && weights[i].Length > 0)
                    throw new ShrinkException($"{source}: sparsity {options.Sparsity:0.####} ({options.Scope.ToString().ToLowerInvariant()} scope, {criterion.Name}) would zero every weight of layer '{layers[i].Name}' ({weights[i].Length} weights); lower the rate or exclude the layer.");
            }

            var index = layers.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i);
            var working = options.Reconstruct ? prepared.Clone() : prepared;
            // The unpruned model, for the float-output targets (prepared itself receives the pruned weights).
            var reference = options.Reconstruct && options.TargetFloatOutputs ? prepared.Clone() : null;
            int done = 0;
            // Layers that share an input are calibrated together; the groups run in graph order.
            foreach (var group in layers.GroupBy(l => l.Input, StringComparer.Ordinal).Select(g => g.ToList()))
            {
                var hessianOf = unpruned;
                if (options.Reconstruct)
                {
                    var clock = Stopwatch.StartNew();
                    var hessians = group.Where(l => PrunableLayers.CanCollect(l, out _)).Select(l => new LayerHessian(l)).ToList();
                    if (hessians.Count > 0) HessianCollector.Collect(working, hessians, data!, options.Samples, batch, reference);
                    hessianOf = hessians.ToDictionary(h => h.Layer);
                    calibrationSeconds += clock.Elapsed.TotalSeconds;
                }
                foreach (var layer in group)
                {
                    int i = index[layer];
                    var clock = Stopwatch.StartNew();
                    var w = weights[i];
                    var hessian = hessianOf.GetValueOrDefault(layer);
                    var h = hessian?.Matrix;
                    // Inside a layer the weights go by magnitude; the criterion only split the global budget between layers.
                    var selected = ApplyMask(w, magnitude.Score(w, layer.Rows, layer.Cols, default), layer.Rows, layer.Cols, mask, zeros[i]);
                    bool update = options.Reconstruct && h is not null;
                    var target = update && hessian!.Cross is { } cross ? OutputError.FloatOutputTarget(w, h!, cross, layer.Rows, layer.Cols, options.Damp) : w;
                    var pruned = update ? SparseGptUpdate.Prune(target, layer.Rows, layer.Cols, h!, mask, zeros[i], options.Damp, options.BlockSize) : selected;
                    double seconds = clock.Elapsed.TotalSeconds;
                    pruningSeconds += seconds;
                    double? selectionError = null, error = null;
                    if (h is not null && options.MeasureLayerErrors)
                    {
                        if (hessian!.Cross is { } c && hessian.FloatMatrix is { } hf)
                        {
                            selectionError = OutputError.Relative(w, hf, selected, h, c, layer.Rows, layer.Cols);
                            error = OutputError.Relative(w, hf, pruned, h, c, layer.Rows, layer.Cols);
                        }
                        else
                        {
                            selectionError = OutputError.Relative(w, selected, h, layer.Rows, layer.Cols);
                            error = update ? OutputError.Relative(w, pruned, h, layer.Rows, layer.Cols) : selectionError;
                        }
                    }
                    layer.WriteMatrix(working.Graph, pruned);
                    if (!ReferenceEquals(working, prepared)) layer.WriteMatrix(prepared.Graph, pruned);
                    string method = update ? "sparsegpt"
                        : options.Reconstruct ? $"magnitude ({(PrunableLayers.CanCollect(layer, out var why) ? "no layer inputs" : why)})" : "magnitude";
                    long size = w.LongLength;
                    results[layer] = new SparsityLayerResult(layer.Name, layer.Node.OpType, layer.Rows, layer.Cols, method,
                        size == 0 ? 0 : (double)mask.ZerosFor(layer.Rows, layer.Cols, zeros[i]) / size,
                        size == 0 ? 0 : (double)pruned.LongCount(v => v == 0) / size, selectionError, error, seconds, lossIncrease?[i]);
                    progress?.Report(new ProgressInfo("layers", ++done, layers.Count));
                }
            }
        }
        finally
        {
            data?.Dispose();
        }

        WrittenModelCheck.Verify(model, prepared, source);
        var (_, nonzeroAfter) = PrunableLayers.CountParameters(prepared);
        return new SparsityResult
        {
            Model = prepared,
            Options = options,
            Mask = mask.Name,
            Criterion = ownInputs?.FallbackCriterion is string fellBack ? $"{fellBack} ({criterion.Name} fell back: {ownInputs.FallbackReason})" : criterion.Name,
            Preprocessing = preprocessing,
            Layers = layers.Select(l => results[l]).ToList(),
            LeftDense = leftDense,
            Weights = weights.Sum(w => w.LongLength),
            NonzeroWeightsBefore = weights.Sum(w => w.LongCount(v => v != 0)),
            NonzeroWeightsAfter = layers.Sum(l => l.ReadMatrix(prepared.Graph).LongCount(v => v != 0)),
            Parameters = parameters,
            NonzeroParametersBefore = nonzeroBefore,
            NonzeroParametersAfter = nonzeroAfter,
            Calibration = data is null ? ownInputs?.Calibration : $"{Math.Min(options.Samples, data.Count ?? options.Samples)} samples{(options.Reconstruct ? ", sequential" : ", from the unpruned model")}{batchNote}",
            CalibrationSeconds = calibrationSeconds,
            PruningSeconds = pruningSeconds,
            ScheduleSeconds = scheduleSeconds,
        };
    }

    // How many weights each layer loses: the N:M pattern's count, the same rate everywhere, or one global ranking.
    private long[] ZerosPerLayer(List<WeightLayer> layers, List<float[]> weights, List<float[]>? scores, ISparsityMask mask)
    {
        if (!options.Granularity.IsUnstructured)
            return layers.Select(l => mask.ZerosFor(l.Rows, l.Cols, 0)).ToArray();
        if (options.Scope == SparsityScope.Layer)
            return weights.Select(w => (long)Math.Round(options.Sparsity * w.LongLength)).ToArray();
        if (options.Scope == SparsityScope.Pqi)
            return PqIndexSchedule.ZerosPerLayer(weights, options.Sparsity);
        long total = weights.Sum(w => w.LongLength);
        return GlobalMagnitudeRanking.ZerosPerLayer(scores!, (long)Math.Round(options.Sparsity * total));
    }

    // The criterion's scores for the global ranking; a layer without collected inputs (a grouped conv) is scored by magnitude.
    // The criterion's own statistics (null when it has none), timed.
    private static (SparsityCriterionInputs Inputs, double Seconds)? MeasureOwnInputs(ISparsityCriterion criterion, OnnxModel prepared, IReadOnlyList<WeightLayer> layers, int batchSize, IProgress<ProgressInfo>? progress)
    {
        var clock = Stopwatch.StartNew();
        var inputs = criterion.MeasureOwnInputs(prepared, layers, batchSize, progress);
        return inputs is null ? null : (inputs, clock.Elapsed.TotalSeconds);
    }

    private static float[] Score(ISparsityCriterion criterion, float[] w, WeightLayer layer, float[]? hessian)
    {
        if (criterion.NeedsData && hessian is null) return new MagnitudeCriterion().Score(w, layer.Rows, layer.Cols, default);
        var energy = new float[hessian is null ? 0 : layer.Cols];
        for (int c = 0; c < energy.Length; c++) energy[c] = hessian![(long)c * layer.Cols + c];
        return criterion.Score(w, layer.Rows, layer.Cols, energy);
    }

    /// <summary>
    /// Zeroes the weights <paramref name="mask"/> picks from <paramref name="scores"/> (lowest first) in a row-major
    /// [rows × cols] weight; returns a copy.
    /// </summary>
    public static float[] ApplyMask(float[] weight, float[] scores, int rows, int cols, ISparsityMask mask, long zeros)
    {
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(mask);
        var prune = new bool[(long)rows * cols];
        mask.Select(scores, rows, cols, mask.ZerosFor(rows, cols, zeros), prune);
        var result = (float[])weight.Clone();
        for (int i = 0; i < result.Length; i++) if (prune[i]) result[i] = 0;
        return result;
    }
}
