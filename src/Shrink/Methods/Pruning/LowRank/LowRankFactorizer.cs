using System.Diagnostics;
using Shrink.Data;
using Shrink.Layers;
using Shrink.Measures;
using Shrink.Methods.Pruning.Sparsity;
using Shrink.Model;
using Shrink.Numerics;
using Shrink.Ops;
using Shrink.Passes;
using Shrink.Runtime;
using Shrink.Validation;

namespace Shrink.Methods.Pruning.LowRank;

/// <summary>
/// Low-rank factorization by truncated SVD: each Gemm, MatMul and 1×1 Conv weight W [N × K] becomes A·B with A [N × r]
/// and B [r × K], written as two smaller ops. Three steps: decompose every candidate, decide the ranks (a per-layer
/// energy threshold, or a parameter budget split across the layers; see <see cref="LowRankOptions"/>), then rewrite.
/// Plain SVD minimizes ‖W − AB‖; with whitening, the SVD of W·S (S the Cholesky factor of the layer input's XᵀX)
/// minimizes the output error ‖(W − AB)X‖ instead. Pre-processes like the quantizers, checks that ONNX Runtime loads
/// the result with the same interface, and never modifies the input model.
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
        var (prepared, preprocessing) = PreparationProfile.Compression.PrepareWeights(model, source, "factor");
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

        double calibrationSeconds = 0;
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

        // 1. Spectra: the SVD of every candidate's W, or of W·S when whitening.
        var decomposed = new List<(WeightLayer Layer, float[] W, float[]? S, TruncatedSvd Svd)>();
        var factorClock = Stopwatch.StartNew();
        foreach (var layer in layers)
        {
            int n = layer.Rows, k = layer.Cols;
            var w = layer.ReadMatrix(prepared.Graph);
            float[]? s = options.Whiten ? WhiteningFactor(hessians[layer].Matrix, k, options.Damp, layer.Name) : null;
            float[] target = w;
            if (s is not null)
            {
                target = new float[w.Length];
                DenseMatrix.Gemm(false, false, n, k, k, 1f, w, 0, k, s, 0, k, 0f, target, 0, k);
            }
            decomposed.Add((layer, w, s, TruncatedSvd.Of(target, n, k)));
            progress?.Report(new ProgressInfo("decomposing", decomposed.Count, layers.Count));
        }

        // 2. Ranks: a per-layer energy threshold, or the parameter budget split across layers (null: left whole).
        var spectra = decomposed.Select(d => new LayerSpectrum(d.Layer.Name, d.Layer.Rows, d.Layer.Cols, d.Svd.SingularValues)).ToList();
        long candidateBefore = spectra.Sum(l => l.FullParameters);
        var (ranks, notes, budget) = DecideRanks(spectra, decomposed.Select(d => d.Svd).ToList(), source);
        double factorSeconds = factorClock.Elapsed.TotalSeconds;

        // 3. The rewrite.
        var results = new List<LowRankLayerResult>();
        for (int i = 0; i < decomposed.Count; i++)
        {
            factorClock.Restart();
            var (layer, w, s, svd) = decomposed[i];
            decomposed[i] = default; // the SVD holds a double copy of the weight: let it go once used
            int n = layer.Rows, k = layer.Cols;
            double? error = null;
            if (ranks[i] is int rank)
            {
                var (leftD, rightD) = svd.Factors(rank);
                if (s is not null) rightD = SolveRight(rightD, rank, s, k);
                var left = leftD.Select(v => (float)v).ToArray();
                var right = rightD.Select(v => (float)v).ToArray();
                if (hessians.GetValueOrDefault(layer)?.Matrix is { } h && options.MeasureLayerErrors)
                {
                    var product = new float[w.Length];
                    DenseMatrix.Gemm(false, false, n, k, rank, 1f, left, 0, rank, right, 0, k, 0f, product, 0, k);
                    error = OutputError.Relative(w, product, h, n, k);
                }
                LowRankRewrite.Apply(prepared.Graph, layer, left, right, rank);
            }
            factorSeconds += factorClock.Elapsed.TotalSeconds;
            long full = spectra[i].FullParameters;
            results.Add(new LowRankLayerResult(layer.Name, layer.Node.OpType, n, k, ranks[i], full, ranks[i] is int r ? spectra[i].ParametersAt(r) : full,
                ranks[i] is int kept ? 1 - spectra[i].DiscardedAt(kept) : 1, error, notes[i]));
            progress?.Report(new ProgressInfo("layers", i + 1, layers.Count));
        }

        WrittenModelCheck.Verify(model, prepared, source);
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
            CandidateParametersBefore = candidateBefore,
            CandidateParametersAfter = results.Sum(l => l.ParametersAfter),
            ParameterBudget = budget,
            Calibration = calibration,
            CalibrationSeconds = calibrationSeconds,
            FactorSeconds = factorSeconds,
        };
    }

    /// <summary>
    /// The rank of each layer (null: left whole, with the reason): the energy threshold's per layer, or the parameter
    /// budget split across the layers by <see cref="RankAllocator"/>.
    /// </summary>
    private (int?[] Ranks, string?[] Notes, long? Budget) DecideRanks(List<LayerSpectrum> spectra, List<TruncatedSvd> svds, string source)
    {
        var ranks = new int?[spectra.Count];
        var notes = new string?[spectra.Count];
        if (options.Ratio is double ratio)
        {
            long total = spectra.Sum(l => l.FullParameters), budget = (long)Math.Floor(ratio * total);
            long minimum = RankAllocator.MinimumParameters(spectra);
            if (budget < minimum)
                throw new ShrinkException($"{source}: --ratio {ratio} keeps {budget:N0} of the {total:N0} weight parameters of the {spectra.Count} candidate layer(s), " +
                    $"but rank 1 everywhere already keeps {minimum:N0} (ratio ≥ {(double)minimum / total:G3}).");
            ranks = RankAllocator.Allocate(spectra, budget);
            for (int i = 0; i < spectra.Count; i++)
            {
                var l = spectra[i];
                if (ranks[i] is not null) continue;
                notes[i] = l.MaxSavingRank < 1 ? "no rank saves parameters (r(N+K) ≥ N·K)"
                    : $"kept whole by the budget: rank {l.MaxSavingRank} would save {l.FullParameters - l.ParametersAt(l.MaxSavingRank):N0} parameters for {l.DiscardedAt(l.MaxSavingRank):P2} of its energy";
            }
            return (ranks, notes, budget);
        }
        for (int i = 0; i < spectra.Count; i++)
        {
            int rank = svds[i].RankForEnergy(options.Energy!.Value);
            if (rank < 1) notes[i] = "zero weight";
            else if (rank > spectra[i].MaxSavingRank) notes[i] = $"rank {rank} saves no parameters (r(N+K) ≥ N·K)";
            else ranks[i] = rank;
        }
        return (ranks, notes, null);
    }

    private static string? Unfactorable(WeightLayer layer)
    {
        if (layer.Node.OpType != OpTypes.Conv) return null;
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
