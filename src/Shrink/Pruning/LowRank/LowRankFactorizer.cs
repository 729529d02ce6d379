using System.Diagnostics;
using Shrink.Data;
using Shrink.Numerics;
using Shrink.Onnx;
using Shrink.Pruning.Sparsity;
using Shrink.Quantization;
using Shrink.Quantization.Qdq;
using Shrink.Quantization.WeightOnly;
using Shrink.Runtime;

namespace Shrink.Pruning.LowRank;

/// <summary>
/// Low-rank factorization by truncated SVD: each Gemm, MatMul and 1×1 Conv weight W [N × K] becomes A·B with A [N × r]
/// and B [r × K], written as two smaller ops (see the rank rules in <see cref="LowRankOptions"/>). Plain SVD minimizes
/// ‖W − AB‖; with whitening, the SVD of W·S (S the Cholesky factor of the layer input's XᵀX) minimizes the output error
/// ‖(W − AB)X‖ instead. Pre-processes like the quantizers, checks that ONNX Runtime loads the result with the same
/// interface, and never modifies the input model.
/// </summary>
public sealed class LowRankFactorizer(LowRankOptions options)
{
    /// <summary>
    /// Factors <paramref name="model"/>. <paramref name="openData"/> opens calibration data: required for
    /// <see cref="LowRankOptions.Whiten"/>; otherwise optional, used only to measure per-layer output errors.
    /// </summary>
    /// <exception cref="ShrinkException">Bad options, whitening without data, NaN/Inf weights, or no candidate layer.</exception>
    public LowRankResult Factorize(OnnxModel model, Func<IReadOnlyList<ModelInputSpec>, IDataSource>? openData, IProgress<ProgressInfo>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options.Validate();
        string source = model.Name;
        if (options.Whiten && openData is null)
            throw new ShrinkException($"{source}: whitened low-rank factorization needs calibration data (--data PATH); plain SVD needs none.");
        QdqPlanner.EnsureNotQuantized(model, source);
        var prepared = model.Clone();
        var preprocessing = StaticQuantizer.Preprocess(prepared);
        QdqPlanner.EnsureFiniteWeights(prepared, source);
        var (before, _) = PrunableLayers.CountParameters(prepared);

        var (selected, leftAlone) = PrunableLayers.Select(prepared, options.ExcludeNodes);
        var layers = new List<WeightLayer>();
        foreach (var layer in selected)
        {
            var reason = Unfactorable(layer);
            if (reason is null) layers.Add(layer);
            else leftAlone.Add((layer.Name, layer.Node.OpType, reason));
        }
        if (layers.Count == 0)
            throw new ShrinkException($"{source}: nothing to factor: no Gemm, MatMul or 1×1 Conv with a constant float weight{(leftAlone.Count > 0 ? $" ({leftAlone[0].Name}: {leftAlone[0].Reason})" : "")}.");

        double calibrationSeconds = 0, factorSeconds = 0;
        Dictionary<WeightLayer, LayerHessian> hessians = [];
        string? calibration = null;
        if (openData is not null && (options.Whiten || options.MeasureLayerErrors))
        {
            var clock = Stopwatch.StartNew();
            var inputs = ModelInputs.Of(prepared);
            using var data = FixedBatchDataSource.ForModel(openData(inputs), inputs);
            var list = layers.Select(l => new LayerHessian(l)).ToList();
            progress?.Report(new ProgressInfo("calibration", 0, 1));
            HessianCollector.Collect(prepared, list, data, options.Samples, options.BatchSize);
            hessians = list.ToDictionary(h => h.Layer);
            calibration = $"{Math.Min(options.Samples, data.Count ?? options.Samples)} samples, from the unfactored model";
            calibrationSeconds = clock.Elapsed.TotalSeconds;
        }

        var results = new List<LowRankLayerResult>();
        int done = 0;
        foreach (var layer in layers)
        {
            var clock = Stopwatch.StartNew();
            int n = layer.Rows, k = layer.Cols;
            var w = layer.ReadMatrix(prepared.Graph);
            var h = hessians.GetValueOrDefault(layer)?.Matrix;
            float[]? s = options.Whiten ? WhiteningFactor(h!, k, options.Damp, layer.Name) : null;
            float[] target = w;
            if (s is not null)
            {
                target = new float[w.Length];
                DenseMatrix.Gemm(false, false, n, k, k, 1f, w, 0, k, s, 0, k, 0f, target, 0, k);
            }
            var svd = TruncatedSvd.Of(target, n, k);
            int rank = options.Ratio is double ratio ? (int)Math.Floor(ratio * n * k / (n + k)) : svd.RankForEnergy(options.Energy!.Value);
            long full = (long)n * k, factored = (long)rank * (n + k);
            string? note = rank < 1 ? (options.Ratio is null ? "zero weight" : $"ratio {options.Ratio} leaves less than rank 1")
                : factored >= full ? $"rank {rank} saves no parameters (r(N+K) ≥ N·K)" : null;
            double? error = null;
            if (note is null)
            {
                var (leftD, rightD) = svd.Factors(rank);
                if (s is not null) rightD = SolveRight(rightD, rank, s, k);
                var left = leftD.Select(v => (float)v).ToArray();
                var right = rightD.Select(v => (float)v).ToArray();
                if (h is not null && options.MeasureLayerErrors)
                {
                    var product = new float[w.Length];
                    DenseMatrix.Gemm(false, false, n, k, rank, 1f, left, 0, rank, right, 0, k, 0f, product, 0, k);
                    error = WeightOnlyQuantizer.RelativeOutputError(w, product, h, n, k);
                }
                LowRankRewrite.Apply(prepared.Graph, layer, left, right, rank);
            }
            factorSeconds += clock.Elapsed.TotalSeconds;
            results.Add(new LowRankLayerResult(layer.Name, layer.Node.OpType, n, k, note is null ? rank : null, full, note is null ? factored : full,
                note is null ? svd.EnergyOf(rank) : 1, error, note));
            progress?.Report(new ProgressInfo("layers", ++done, layers.Count));
        }

        StaticQuantizer.CheckInterface(model, prepared, source);
        var (after, _) = PrunableLayers.CountParameters(prepared);
        return new LowRankResult
        {
            Model = prepared,
            Options = options,
            Preprocessing = preprocessing,
            Layers = results,
            LeftAlone = leftAlone,
            ParametersBefore = before,
            ParametersAfter = after,
            Calibration = calibration,
            CalibrationSeconds = calibrationSeconds,
            FactorSeconds = factorSeconds,
        };
    }

    private static string? Unfactorable(WeightLayer layer)
    {
        if (layer.Node.OpType != "Conv") return null;
        if (layer.Groups != 1) return $"grouped convolution (group={layer.Groups})";
        if (layer.WeightDims.Skip(2).Any(d => d != 1)) return $"a {string.Join("×", layer.WeightDims.Skip(2))} kernel (only 1×1 convolutions are factored)";
        return null;
    }

    /// <summary>Lower-triangular S with H + λI = S·Sᵀ, λ = damp × mean diagonal (raised tenfold until it factors).</summary>
    private static float[] WhiteningFactor(float[] h, int n, double damp, string name)
    {
        double mean = 0;
        for (int i = 0; i < n; i++) mean += h[(long)i * n + i];
        mean = Math.Max(mean / n, 1e-12);
        var s = new float[(long)n * n];
        for (double lambda = damp * mean; ; lambda *= 10)
        {
            Array.Copy(h, s, s.Length);
            for (int i = 0; i < n; i++) s[(long)i * n + i] += (float)lambda;
            if (DenseMatrix.TryCholesky(s, n)) return s;
            if (lambda > 1e6 * mean) throw new ShrinkException($"'{name}': its input's XᵀX is not positive definite even with strong dampening.");
        }
    }

    // R·S⁻¹ for R [rank × n]: each row x solves x·S = r, i.e. Sᵀxᵀ = rᵀ by back substitution (S lower-triangular).
    private static double[] SolveRight(double[] right, int rank, float[] s, int n)
    {
        var result = new double[right.Length];
        var st = WeightLayer.Transpose(s, n, n); // row j of Sᵀ holds column j of S: contiguous reads below
        for (int row = 0; row < rank; row++)
        {
            var r = right.AsSpan(row * n, n);
            var x = result.AsSpan(row * n, n);
            for (int j = n - 1; j >= 0; j--)
            {
                double sum = r[j];
                var column = st.AsSpan(j * n, n);
                for (int i = j + 1; i < n; i++) sum -= x[i] * column[i];
                x[j] = sum / column[j];
            }
        }
        return result;
    }
}
