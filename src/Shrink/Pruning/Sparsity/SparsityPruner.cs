using System.Diagnostics;
using Shrink.Data;
using Shrink.Onnx;
using Shrink.Quantization;
using Shrink.Quantization.Qdq;
using Shrink.Quantization.WeightOnly;
using Shrink.Runtime;

namespace Shrink.Pruning.Sparsity;

/// <summary>
/// Unstructured and N:M sparsity on Conv/Gemm/MatMul weights: pre-process (constant promotion, BatchNormalization
/// folding), pick the layers with their own constant float weight, decide how many weights each layer loses (one global
/// magnitude ranking, the same rate per layer, or the N:M pattern), then either zero the smallest magnitudes (no data
/// needed) or run the SparseGPT update layer by layer on calibration data, and check that ONNX Runtime loads the result
/// with the same interface. The weights stay dense float tensors holding zeros: ONNX Runtime has no sparse kernels on
/// the CPU, so this saves nothing at run time by itself. The input model is never modified.
/// </summary>
public sealed class SparsityPruner(SparsityOptions options)
{
    /// <summary>
    /// Prunes <paramref name="model"/>. <paramref name="openData"/> opens calibration data: required with
    /// <see cref="SparsityOptions.Reconstruct"/>; otherwise optional, and used only to measure per-layer errors.
    /// </summary>
    /// <exception cref="ShrinkException">Bad options, no data for reconstruction, NaN/Inf weights, nothing to prune, or a rate that would zero a whole layer.</exception>
    public SparsityResult Prune(OnnxModel model, Func<IReadOnlyList<ModelInputSpec>, IDataSource>? openData, IProgress<ProgressInfo>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options.Validate();
        string source = model.Name;
        if (options.Reconstruct && openData is null)
            throw new ShrinkException($"{source}: sparsity with reconstruction (SparseGPT) needs calibration data (--data PATH); plain magnitude pruning needs none.");
        QdqPlanner.EnsureNotQuantized(model, source);
        var prepared = model.Clone();
        var preprocessing = StaticQuantizer.Preprocess(prepared);
        QdqPlanner.EnsureFiniteWeights(prepared, source);
        var (parameters, nonzeroBefore) = PrunableLayers.CountParameters(prepared);

        var (layers, leftDense) = PrunableLayers.Select(prepared, options.ExcludeNodes);
        if (layers.Count == 0)
            throw new ShrinkException($"{source}: nothing to prune: no Conv, Gemm or MatMul with a constant float weight{(leftDense.Count > 0 ? $" ({leftDense[0].Name}: {leftDense[0].Reason})" : "")}.");
        var mask = options.Granularity.CreateMask();
        var weights = layers.Select(l => l.ReadMatrix(prepared.Graph)).ToList();
        var zeros = ZerosPerLayer(layers, weights, mask);
        for (int i = 0; i < layers.Count; i++)
        {
            if (zeros[i] >= weights[i].LongLength && weights[i].Length > 0)
                throw new ShrinkException($"{source}: sparsity {options.Sparsity:0.####} ({options.Scope}) would zero every weight of layer '{layers[i].Name}' ({weights[i].Length} weights); lower the rate or exclude the layer.");
        }

        var results = new Dictionary<WeightLayer, SparsityLayerResult>();
        double calibrationSeconds = 0, pruningSeconds = 0;
        IDataSource? data = null;
        try
        {
            if (openData is not null && (options.Reconstruct || options.MeasureLayerErrors))
            {
                var inputs = ModelInputs.Of(prepared);
                // Read once: the sequential update passes over the same samples once per layer group.
                using var stream = FixedBatchDataSource.ForModel(openData(inputs), inputs);
                data = new InMemoryDataSource(stream, options.BatchSize, options.Samples);
            }
            var index = layers.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i);
            var working = options.Reconstruct ? prepared.Clone() : prepared;
            Dictionary<WeightLayer, LayerHessian> all = [];
            if (data is not null && !options.Reconstruct)
            {
                // Errors of plain magnitude pruning, measured on the unpruned model's layer inputs (one pass).
                var clock = Stopwatch.StartNew();
                var hessians = layers.Where(l => PrunableLayers.CanCollect(l, out _)).Select(l => new LayerHessian(l)).ToList();
                progress?.Report(new ProgressInfo("calibration", 0, 1));
                HessianCollector.Collect(prepared, hessians, data, options.Samples, options.BatchSize);
                all = hessians.ToDictionary(h => h.Layer);
                calibrationSeconds += clock.Elapsed.TotalSeconds;
            }
            int done = 0;
            // Layers that share an input are calibrated together; the groups run in graph order.
            foreach (var group in layers.GroupBy(l => l.Input, StringComparer.Ordinal).Select(g => g.ToList()))
            {
                var hessianOf = all;
                if (options.Reconstruct)
                {
                    var clock = Stopwatch.StartNew();
                    var hessians = group.Where(l => PrunableLayers.CanCollect(l, out _)).Select(l => new LayerHessian(l)).ToList();
                    if (hessians.Count > 0) HessianCollector.Collect(working, hessians, data!, options.Samples, options.BatchSize);
                    hessianOf = hessians.ToDictionary(h => h.Layer);
                    calibrationSeconds += clock.Elapsed.TotalSeconds;
                }
                foreach (var layer in group)
                {
                    int i = index[layer];
                    var clock = Stopwatch.StartNew();
                    var w = weights[i];
                    var h = hessianOf.GetValueOrDefault(layer)?.Matrix;
                    var magnitude = MagnitudePrune(w, layer.Rows, layer.Cols, mask, zeros[i]);
                    bool update = options.Reconstruct && h is not null;
                    var pruned = update ? SparseGptUpdate.Prune(w, layer.Rows, layer.Cols, h!, mask, zeros[i], options.Damp, options.BlockSize) : magnitude;
                    double seconds = clock.Elapsed.TotalSeconds;
                    pruningSeconds += seconds;
                    double? magnitudeError = null, error = null;
                    if (h is not null && options.MeasureLayerErrors)
                    {
                        magnitudeError = WeightOnlyQuantizer.RelativeOutputError(w, magnitude, h, layer.Rows, layer.Cols);
                        error = update ? WeightOnlyQuantizer.RelativeOutputError(w, pruned, h, layer.Rows, layer.Cols) : magnitudeError;
                    }
                    layer.WriteMatrix(working.Graph, pruned);
                    if (!ReferenceEquals(working, prepared)) layer.WriteMatrix(prepared.Graph, pruned);
                    string method = update ? "sparsegpt"
                        : options.Reconstruct ? $"magnitude ({(PrunableLayers.CanCollect(layer, out var why) ? "no layer inputs" : why)})" : "magnitude";
                    long size = w.LongLength;
                    results[layer] = new SparsityLayerResult(layer.Name, layer.Node.OpType, layer.Rows, layer.Cols, method,
                        size == 0 ? 0 : (double)mask.ZerosFor(layer.Rows, layer.Cols, zeros[i]) / size,
                        size == 0 ? 0 : (double)pruned.LongCount(v => v == 0) / size, magnitudeError, error, seconds);
                    progress?.Report(new ProgressInfo("layers", ++done, layers.Count));
                }
            }
        }
        finally
        {
            data?.Dispose();
        }

        StaticQuantizer.CheckInterface(model, prepared, source);
        var (_, nonzeroAfter) = PrunableLayers.CountParameters(prepared);
        return new SparsityResult
        {
            Model = prepared,
            Options = options,
            Mask = mask.Name,
            Preprocessing = preprocessing,
            Layers = layers.Select(l => results[l]).ToList(),
            LeftDense = leftDense,
            Weights = weights.Sum(w => w.LongLength),
            NonzeroWeightsBefore = weights.Sum(w => w.LongCount(v => v != 0)),
            NonzeroWeightsAfter = layers.Sum(l => l.ReadMatrix(prepared.Graph).LongCount(v => v != 0)),
            Parameters = parameters,
            NonzeroParametersBefore = nonzeroBefore,
            NonzeroParametersAfter = nonzeroAfter,
            Calibration = data is null ? null : $"{Math.Min(options.Samples, data.Count ?? options.Samples)} samples{(options.Reconstruct ? ", sequential" : ", from the unpruned model")}",
            CalibrationSeconds = calibrationSeconds,
            PruningSeconds = pruningSeconds,
        };
    }

    // How many weights each layer loses: the N:M pattern's count, the same rate everywhere, or one global ranking.
    private long[] ZerosPerLayer(List<WeightLayer> layers, List<float[]> weights, ISparsityMask mask)
    {
        if (!options.Granularity.IsUnstructured)
            return layers.Select(l => mask.ZerosFor(l.Rows, l.Cols, 0)).ToArray();
        if (options.Scope == SparsityScope.Layer)
            return weights.Select(w => (long)Math.Round(options.Sparsity * w.LongLength)).ToArray();
        long total = weights.Sum(w => w.LongLength);
        return GlobalMagnitudeRanking.ZerosPerLayer(weights, (long)Math.Round(options.Sparsity * total));
    }

    /// <summary>Zeroes the weights <paramref name="mask"/> picks by magnitude (|w|) in a row-major [rows × cols] weight; returns a copy.</summary>
    public static float[] MagnitudePrune(float[] weight, int rows, int cols, ISparsityMask mask, long zeros)
    {
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(mask);
        var scores = new float[(long)rows * cols];
        for (int i = 0; i < scores.Length; i++) scores[i] = Math.Abs(weight[i]);
        var prune = new bool[scores.Length];
        mask.Select(scores, rows, cols, mask.ZerosFor(rows, cols, zeros), prune);
        var result = (float[])weight.Clone();
        for (int i = 0; i < result.Length; i++) if (prune[i]) result[i] = 0;
        return result;
    }
}
