using System.Diagnostics;
using Shrink.Calibration;
using Shrink.Data;
using Shrink.Layers;
using Shrink.Measures;
using Shrink.Methods.Quantization.Equivalence;
using Shrink.Model;
using Shrink.Numerics;
using Shrink.Ops;
using Shrink.Passes;
using Shrink.Runtime;
using Shrink.Validation;

namespace Shrink.Methods.Quantization.WeightOnly;

/// <summary>
/// Weight-only low-bit quantization: pre-process, pick the Conv/Gemm/MatMul layers with constant weights, collect each
/// layer input's Hessian XᵀX on calibration data when the method needs it (layer by layer from the already-quantized
/// model, or all at once from the float model), round each weight (RTN, GPTQ...; layers inside If/Loop/Scan bodies
/// without a Hessian, as their inputs cannot be tapped: GPTQ falls back to RTN there), then write MatMulNBits or
/// DequantizeLinear, quantize the Gather tables (<see cref="EmbeddingQuantizer"/>), and check that ONNX Runtime loads the result with the same interface. The input is never modified.
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
        if (openData is null && EquivalenceTransforms.NeedData(options.Equivalence))
            throw new ShrinkException($"{source}: {string.Join(", ", EquivalenceTransforms.Selected(options.Equivalence))} needs calibration data (--data PATH).");
        var (prepared, preprocessing) = PreparationProfile.Compression.PrepareWeights(model, source);
        IReadOnlyList<EquivalenceResult> equivalence = [];
        if (options.Equivalence.Any)
        {
            var inputs = ModelInputs.Of(prepared);
            using var stream = openData is null ? null : FixedBatchDataSource.ForModel(openData(inputs), inputs);
            // Bias correction's view of the rounding that follows: round-to-nearest on each selected layer's grid (GPTQ's weights differ).
            var selected = new Lazy<HashSet<Node>>(() => SelectLayers(prepared, new HashSet<string>()).Layers.Select(l => l.Node).ToHashSet());
            equivalence = EquivalenceTransforms.Apply(prepared, new EquivalenceContext
            {
                Options = options.Equivalence,
                Target = new EquivalenceTarget(options.Bits, PerChannelWeights: true, options.Symmetric, options.GroupSize, ActivationBits: null, SymmetricActivations: false),
                Data = stream,
                Samples = options.Samples,
                BatchSize = options.BatchSize,
                Progress = progress,
                Source = source,
                RoundWeight = (layer, w) => selected.Value.Contains(layer.Node)
                    ? new RoundToNearest().Round(w, layer.Rows, layer.Cols, null, options.RoundingSettings("rtn") with { Grid = new WeightGrid(options.BitsFor(layer.Node), options.Symmetric) }).Dequantize()
                    : null,
                Original = model,
            });
        }

        var (layers, leftInFloat) = SelectLayers(prepared, EquivalenceTransforms.FloatNodes(equivalence));
        // Layers inside If/Loop/Scan bodies: rewritten in place, their weights rounded without a Hessian.
        var subgraphs = SubgraphEdit.Open(prepared);
        var subgraphLayers = SelectSubgraphLayers(subgraphs, leftInFloat);
        var layerNodes = layers.Select(l => l.Node).ToHashSet();
        var preview = EmbeddingQuantizer.Select(prepared.Graph, options, layerNodes.Contains);
        if (layers.Count == 0 && subgraphLayers.Count == 0 && preview.Tables.Count == 0)
        {
            var why = leftInFloat.Concat(preview.Left).FirstOrDefault();
            throw new ShrinkException($"{source}: nothing to quantize: no Conv, Gemm or MatMul with a constant float weight{(options.EmbeddingBits == 0 ? "" : " and no Gather table to quantize")}{(why.Name is not null ? $" ({why.Name}: {why.Reason})" : "")}.");
        }

        var rtn = new RoundToNearest();
        var rtnSettings = options.RoundingSettings("rtn");
        var settings = options.RoundingSettings(method.Name);
        var decisions = new List<(WeightLayer Layer, QuantizedWeight Weight)>();
        var results = new Dictionary<WeightLayer, (string Method, double? RtnError, double? Error, double Seconds)>();
        double calibrationSeconds = 0, roundingSeconds = 0;
        IDataSource? data = null;
        int batch = options.BatchSize;
        string batchNote = "";
        try
        {
            if (openData is not null && (method.NeedsHessian || options.MeasureLayerErrors))
            {
                var inputs = ModelInputs.Of(prepared);
                // Read once: sequential GPTQ passes over the same samples once per layer group.
                using var stream = FixedBatchDataSource.ForModel(openData(inputs), inputs);
                bool planSequential = options.Sequential && method.NeedsHessian;
                var plan = HessianBatchPlan.Choose(prepared, layers.Where(l => CanCollect(l)).ToList(), stream, planSequential,
                    planSequential && options.TargetFloatOutputs, options.MemoryLimitBytes ?? MemoryBudget.DefaultBytes(), options.BatchSize);
                batch = plan.BatchSize;
                batchNote = plan.Reduced(options.BatchSize) ? $"; {plan.Describe(options.BatchSize)}" : $", batch {batch}";
                data = new InMemoryDataSource(stream, batch, options.Samples);
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
                HessianCollector.Collect(prepared, hessians, data, options.Samples, batch);
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
                    if (hessians.Count > 0) HessianCollector.Collect(working, hessians, data!, options.Samples, batch, options.TargetFloatOutputs ? prepared : null);
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
                    var target = hessian?.Cross is { } cross && method.NeedsHessian ? OutputError.FloatOutputTarget(w, h!, cross, layer.Rows, layer.Cols, options.Damp) : w;
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
                            error = OutputError.Relative(w, hf, dequantized, h, c, layer.Rows, layer.Cols);
                            rtnError = OutputError.Relative(w, hf, rtnWeights, h, c, layer.Rows, layer.Cols);
                        }
                        else
                        {
                            error = OutputError.Relative(w, dequantized, h, layer.Rows, layer.Cols);
                            rtnError = OutputError.Relative(w, rtnWeights, h, layer.Rows, layer.Cols);
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

        // Inside a subgraph a layer's input cannot be tapped from outside, so no Hessian: a method that needs one falls
        // back to round-to-nearest there, and no per-layer error is measured.
        var subgraphDecisions = new List<(SubgraphScope Scope, WeightLayer Layer, QuantizedWeight Weight)>();
        var subgraphMethod = method.NeedsHessian ? rtn : method;
        foreach (var (scope, layer) in subgraphLayers)
        {
            var clock = Stopwatch.StartNew();
            var grid = new WeightGrid(options.BitsFor(layer.Node), options.Symmetric);
            var q = subgraphMethod.Round(layer.ReadMatrix(scope.Graph), layer.Rows, layer.Cols, null, (subgraphMethod == method ? settings : rtnSettings) with { Grid = grid });
            double seconds = clock.Elapsed.TotalSeconds;
            roundingSeconds += seconds;
            subgraphDecisions.Add((scope, layer, q));
            results[layer] = (subgraphMethod == method ? method.Name : $"rtn (inside {scope.Path}: a subgraph's inputs cannot be tapped for a Hessian)", null, null, seconds);
        }

        long floatBytes = layers.Sum(l => prepared.Graph.FindInitializer(l.WeightName)!.ByteCount) + subgraphLayers.Sum(s => s.Scope.Graph.FindInitializer(s.Layer.WeightName)!.ByteCount);
        var exported = WeightOnlyExporter.Apply(prepared, decisions, options.Export, subgraphs, subgraphDecisions);
        // After the layers: a table tied to an output head that became MatMulNBits is now read by its Gathers only.
        var (tables, tablesLeft) = EmbeddingQuantizer.Select(prepared.Graph, options);
        var (embeddings, embeddingDecisions) = EmbeddingQuantizer.Apply(prepared, tables, options.Symmetric, options.ClipSteps ?? 1);
        leftInFloat.AddRange(tablesLeft);
        WrittenModelCheck.Verify(model, prepared, source);
        return new WeightOnlyResult
        {
            Model = prepared,
            Options = options,
            Preprocessing = preprocessing,
            Layers = layers.Select(l => (Layer: l, Name: l.Name)).Concat(subgraphLayers.Select(s => (s.Layer, Name: $"{s.Layer.Name} (in {s.Scope.Path})")))
                .Select(x => new WeightLayerResult(x.Name, x.Layer.Node.OpType, x.Layer.Rows, x.Layer.Cols, results[x.Layer].Method, exported[x.Layer].Format, results[x.Layer].RtnError, results[x.Layer].Error, results[x.Layer].Seconds, options.BitsFor(x.Layer.Node))).ToList(),
            LeftInFloat = leftInFloat,
            Decisions = decisions,
            Embeddings = embeddings,
            EmbeddingDecisions = embeddingDecisions,
            FloatWeightBytes = floatBytes,
            QuantizedWeightBytes = exported.Values.Sum(e => e.Bytes),
            Calibration = data is null ? null : $"{Math.Min(options.Samples, data.Count ?? options.Samples)} samples{(method.NeedsHessian ? options.Sequential ? ", sequential" : ", from the float model" : "")}{batchNote}",
            CalibrationSeconds = calibrationSeconds,
            RoundingSeconds = roundingSeconds,
            Equivalence = equivalence,
        };
    }

    private static bool CanCollect(WeightLayer layer) => layer.Node.OpType != OpTypes.Conv || LayerHessian.SupportsConv(layer, out _);

    // The layers inside subgraphs, after moving into each subgraph the outer weights only its layer reads; the layers
    // left out go to `left`, named with the subgraph they sit in.
    private List<(SubgraphScope Scope, WeightLayer Layer)> SelectSubgraphLayers(SubgraphEdit subgraphs, List<(string Name, string OpType, string Reason)> left)
    {
        var selected = new List<(SubgraphScope, WeightLayer)>();
        foreach (var (scope, node, reason) in subgraphs.LocalizeWeights())
            left.Add(($"{node.DisplayName} (in {scope.Path})", node.OpType, reason));
        foreach (var scope in subgraphs.Scopes)
        {
            var (layers, leftHere) = WeightLayer.SelectAll(scope.Graph, WhyLeftInFloat);
            selected.AddRange(layers.Select(l => (scope, l)));
            left.AddRange(leftHere.Select(l => ($"{l.Name} (in {scope.Path})", l.OpType, l.Reason)));
        }
        return selected;
    }

    private (List<WeightLayer> Layers, List<(string Name, string OpType, string Reason)> Left) SelectLayers(OnnxModel model, IReadOnlySet<string> keptFloat) =>
        WeightLayer.SelectAll(model.Graph, node =>
            keptFloat.Contains(node.Name) ? "inserted by an equivalence transform (an online rotation), kept in float" : WhyLeftInFloat(node));

    // Why the options keep a node in float (excluded by name or op, or zero bits), or null.
    private string? WhyLeftInFloat(Node node) =>
        options.ExcludeNodes.Contains(node.Name) || options.ExcludeNodes.Contains(node.DisplayName) || options.ExcludeOps.Contains(node.OpType) ? "excluded"
        : options.BitsFor(node) == 0 ? "kept in float by the per-layer bit widths"
        : null;
}
