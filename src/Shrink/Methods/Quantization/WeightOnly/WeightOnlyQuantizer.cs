using System.Diagnostics;
using Shrink.Data;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;
using Shrink.Numerics;
using Shrink.Ops;
using Shrink.Runtime;

namespace Shrink.Methods.Quantization.WeightOnly;

/// <summary>
/// Weight-only low-bit quantization: pre-process, pick the Conv/Gemm/MatMul layers with constant weights, collect each
/// layer input's Hessian XᵀX on calibration data when the method needs it (layer by layer from the already-quantized
/// model, or all at once from the float model), round each weight (RTN, GPTQ...), then write MatMulNBits or
/// DequantizeLinear, and check that ONNX Runtime loads the result with the same interface. The input is never modified.
/// </summary>
public sealed class WeightOnlyQuantizer(WeightOnlyOptions options)
{
    /// <summary>
    /// Quantizes <paramref name="model"/>. <paramref name="openData"/> opens calibration data; it may be null for methods
    /// that need none (then no per-layer errors are measured).
    /// </summary>
    public WeightOnlyResult Quantize(OnnxModel model, Func<IReadOnlyList<ModelInputSpec>, IDataSource>? openData, IProgress<ProgressInfo>? progress = null)
    {
        options.Validate();
        string source = model.Name;
        var method = WeightRoundings.Create(options.Method);
        if (method.NeedsHessian && openData is null)
            throw new ShrinkException($"{source}: --method {method.Name} needs calibration data (--data PATH); round-to-nearest (rtn) needs none.");
        QdqPlanner.EnsureNotQuantized(model, source);
        var prepared = model.Clone();
        var preprocessing = StaticQuantizer.Preprocess(prepared);
        QdqPlanner.EnsureFiniteWeights(prepared, source);

        var (layers, leftInFloat) = SelectLayers(prepared);
        if (layers.Count == 0)
            throw new ShrinkException($"{source}: nothing to quantize: no Conv, Gemm or MatMul with a constant float weight{(leftInFloat.Count > 0 ? $" ({leftInFloat[0].Name}: {leftInFloat[0].Reason})" : "")}{Subgraphs.UntouchedWeightsNote(prepared.Graph)}.");

        var rtn = new RoundToNearest();
        var rtnSettings = options.RoundingSettings("rtn");
        var settings = options.RoundingSettings(method.Name);
        var decisions = new List<(WeightLayer Layer, QuantizedWeight Weight)>();
        var results = new Dictionary<WeightLayer, (string Method, double? RtnError, double? Error, double Seconds)>();
        double calibrationSeconds = 0, roundingSeconds = 0;
        IDataSource? data = null;
        try
        {
            if (openData is not null && (method.NeedsHessian || options.MeasureLayerErrors))
            {
                var inputs = ModelInputs.Of(prepared);
                // Read once: sequential GPTQ passes over the same samples once per layer group.
                using var stream = FixedBatchDataSource.ForModel(openData(inputs), inputs);
                data = new InMemoryDataSource(stream, options.BatchSize, options.Samples);
            }
            // Layers that share an input are calibrated together; the groups run in graph order.
            var groups = layers.GroupBy(l => l.Input, StringComparer.Ordinal).Select(g => g.ToList()).ToList();
            bool sequential = options.Sequential && method.NeedsHessian && data is not null;
            var working = sequential ? prepared.Clone() : prepared;
            Dictionary<WeightLayer, LayerHessian>? all = null;
            if (data is not null && !sequential)
            {
                var clock = Stopwatch.StartNew();
                var hessians = layers.Where(l => CanCollect(l)).Select(l => new LayerHessian(l)).ToList();
                progress?.Report(new ProgressInfo("calibration", 0, 1));
                HessianCollector.Collect(prepared, hessians, data, options.Samples, options.BatchSize);
                all = hessians.ToDictionary(h => h.Layer);
                calibrationSeconds += clock.Elapsed.TotalSeconds;
            }
            int done = 0;
            foreach (var group in groups)
            {
                Dictionary<WeightLayer, LayerHessian> hessianOf;
                if (sequential)
                {
                    var clock = Stopwatch.StartNew();
                    var hessians = group.Where(l => CanCollect(l)).Select(l => new LayerHessian(l)).ToList();
                    if (hessians.Count > 0) HessianCollector.Collect(working, hessians, data!, options.Samples, options.BatchSize, options.TargetFloatOutputs ? prepared : null);
                    hessianOf = hessians.ToDictionary(h => h.Layer);
                    calibrationSeconds += clock.Elapsed.TotalSeconds;
                }
                else
                {
                    hessianOf = all ?? [];
                }
                foreach (var layer in group)
                {
                    var clock = Stopwatch.StartNew();
                    var w = layer.ReadMatrix(prepared.Graph);
                    var hessian = hessianOf.GetValueOrDefault(layer);
                    var h = hessian?.Matrix;
                    var target = hessian?.Cross is { } cross && method.NeedsHessian ? FloatOutputTarget(w, h!, cross, layer.Rows, layer.Cols, options.Damp) : w;
                    var use = method.NeedsHessian && h is null ? rtn : method;
                    int bits = options.BitsFor(layer.Node);
                    var layerSettings = (use == method ? settings : rtnSettings) with { Grid = new WeightGrid(bits, options.Symmetric) };
                    var layerRtnSettings = rtnSettings with { Grid = layerSettings.Grid };
                    var q = use.Round(use.NeedsHessian ? target : w, layer.Rows, layer.Cols, use.NeedsHessian ? h : null, layerSettings);
                    double seconds = clock.Elapsed.TotalSeconds;
                    roundingSeconds += seconds;
                    var dequantized = q.Dequantize();
                    double? rtnError = null, error = null;
                    if (h is not null && options.MeasureLayerErrors)
                    {
                        var rtnWeights = use == rtn && layerSettings == layerRtnSettings ? dequantized : rtn.Round(w, layer.Rows, layer.Cols, null, layerRtnSettings).Dequantize();
                        if (hessian!.Cross is { } c && hessian.FloatMatrix is { } hf)
                        {
                            error = RelativeOutputError(w, hf, dequantized, h, c, layer.Rows, layer.Cols);
                            rtnError = RelativeOutputError(w, hf, rtnWeights, h, c, layer.Rows, layer.Cols);
                        }
                        else
                        {
                            error = RelativeOutputError(w, dequantized, h, layer.Rows, layer.Cols);
                            rtnError = RelativeOutputError(w, rtnWeights, h, layer.Rows, layer.Cols);
                        }
                    }
                    if (sequential) layer.WriteMatrix(working.Graph, dequantized);
                    decisions.Add((layer, q));
                    results[layer] = (use == method ? method.Name : $"rtn ({(LayerHessian.SupportsConv(layer, out var why) ? "no Hessian" : why)})", rtnError, error, seconds);
                    progress?.Report(new ProgressInfo("weights", ++done, layers.Count));
                }
            }
        }
        finally
        {
            data?.Dispose();
        }

        long floatBytes = layers.Sum(l => prepared.Graph.FindInitializer(l.WeightName)!.ByteCount);
        var exported = WeightOnlyExporter.Apply(prepared, decisions, options.Export);
        StaticQuantizer.CheckInterface(model, prepared, source);
        return new WeightOnlyResult
        {
            Model = prepared,
            Options = options,
            Preprocessing = preprocessing,
            Layers = layers.Select(l => new WeightLayerResult(l.Name, l.Node.OpType, l.Rows, l.Cols, results[l].Method, exported[l].Format, results[l].RtnError, results[l].Error, results[l].Seconds, options.BitsFor(l.Node))).ToList(),
            LeftInFloat = leftInFloat,
            Decisions = decisions,
            FloatWeightBytes = floatBytes,
            QuantizedWeightBytes = exported.Values.Sum(e => e.Bytes),
            Calibration = data is null ? null : $"{Math.Min(options.Samples, data.Count ?? options.Samples)} samples{(method.NeedsHessian ? options.Sequential ? ", sequential" : ", from the float model" : "")}",
            CalibrationSeconds = calibrationSeconds,
            RoundingSeconds = roundingSeconds,
        };
    }

    /// <summary>
    /// The float weight W* = W·C·H⁻¹ that, fed the quantized model's inputs X_q, best reproduces what the float layer
    /// computes from the float model's inputs X_f (C = Σ x_f·x_qᵀ, H = Σ x_q·x_qᵀ): rounding W* under H then minimizes
    /// ‖W·X_f − Ŵ·X_q‖², so each layer also corrects the error the layers before it left (as in GPTAQ). Computed as
    /// W + W·(C − H)·(H + λI)⁻¹, which is W itself when the inputs agree.
    /// </summary>
    public static float[] FloatOutputTarget(float[] w, float[] h, float[] cross, int rows, int cols, double damp)
    {
        var diff = new float[(long)cols * cols];
        for (long i = 0; i < diff.Length; i++) diff[i] = cross[i] - h[i];
        var wd = new float[(long)rows * cols];
        DenseMatrix.Gemm(false, false, rows, cols, cols, 1f, w, 0, cols, diff, 0, cols, 0f, wd, 0, cols);
        // (H + λI) = L·Lᵀ; Y = WD·(L·Lᵀ)⁻¹ = (WD·L⁻ᵀ)·L⁻¹.
        var l = (float[])h.Clone();
        double mean = 0;
        for (int i = 0; i < cols; i++) mean += h[(long)i * cols + i];
        mean = Math.Max(mean / cols, 1e-12);
        for (int i = 0; i < cols; i++)
        {
            if (h[(long)i * cols + i] == 0) l[(long)i * cols + i] = (float)mean;
            l[(long)i * cols + i] += (float)(damp * mean);
        }
        if (!DenseMatrix.TryCholesky(l, cols)) return w;
        DenseMatrix.InvertLowerTriangular(l, cols);
        var t = new float[(long)rows * cols];
        DenseMatrix.Gemm(false, true, rows, cols, cols, 1f, wd, 0, cols, l, 0, cols, 0f, t, 0, cols);
        var target = (float[])w.Clone();
        DenseMatrix.Gemm(false, false, rows, cols, cols, 1f, t, 0, cols, l, 0, cols, 1f, target, 0, cols);
        return target;
    }

    private static bool CanCollect(WeightLayer layer) => layer.Node.OpType != OpTypes.Conv || LayerHessian.SupportsConv(layer, out _);

    private (List<WeightLayer> Layers, List<(string Name, string OpType, string Reason)> Left) SelectLayers(OnnxModel model) =>
        WeightLayer.SelectAll(model.Graph, node =>
            options.ExcludeNodes.Contains(node.Name) || options.ExcludeNodes.Contains(node.DisplayName) || options.ExcludeOps.Contains(node.OpType) ? "excluded"
            : options.BitsFor(node) == 0 ? "kept in float by the per-layer bit widths"
            : null);

    /// <summary>‖(W − Ŵ)X‖² / ‖WX‖² from H = XᵀX: tr(ΔW·H·ΔWᵀ) / tr(W·H·Wᵀ).</summary>
    public static double RelativeOutputError(float[] w, float[] wq, float[] h, int rows, int cols)
    {
        var delta = new float[w.Length];
        for (int i = 0; i < w.Length; i++) delta[i] = w[i] - wq[i];
        double num = Quadratic(delta, h, rows, cols), den = Quadratic(w, h, rows, cols);
        return den > 0 ? num / den : 0;
    }

    /// <summary>
    /// ‖W·X_f − Ŵ·X_q‖² / ‖W·X_f‖²: the layer's output on the quantized model's inputs against the float layer's on the
    /// float model's, from H_f = X_fᵀX_f, H = X_qᵀX_q and C = X_fᵀX_q.
    /// </summary>
    public static double RelativeOutputError(float[] w, float[] floatHessian, float[] wq, float[] h, float[] cross, int rows, int cols)
    {
        double reference = Quadratic(w, floatHessian, rows, cols);
        var wc = new float[(long)rows * cols];
        DenseMatrix.Gemm(false, false, rows, cols, cols, 1f, w, 0, cols, cross, 0, cols, 0f, wc, 0, cols);
        double mixed = 0;
        for (long i = 0; i < wc.Length; i++) mixed += (double)wc[i] * wq[i];
        double num = reference - 2 * mixed + Quadratic(wq, h, rows, cols);
        return reference > 0 ? Math.Max(num, 0) / reference : 0;
    }

    private static double Quadratic(float[] m, float[] h, int rows, int cols)
    {
        var mh = new float[m.Length];
        DenseMatrix.Gemm(false, false, rows, cols, cols, 1f, m, 0, cols, h, 0, cols, 0f, mh, 0, cols);
        double sum = 0;
        for (int i = 0; i < m.Length; i++) sum += (double)mh[i] * m[i];
        return sum;
    }
}
