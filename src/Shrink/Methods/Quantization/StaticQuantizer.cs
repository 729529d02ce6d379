using System.Diagnostics;
using Shrink.Calibration;
using Shrink.Data;
using Shrink.Methods.Quantization.Equivalence;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Model;
using Shrink.Passes;
using Shrink.Runtime;
using Shrink.Validation;

namespace Shrink.Methods.Quantization;

/// <summary>
/// Calibrated static int8 quantization to QDQ form: pre-process (promote constants, fold constant Casts/Transposes of initializers, fold BatchNormalization, upgrade to
/// opset 13), mark, calibrate the marked activations on data, insert Q/DQ, measure the per-layer error, then write it for
/// ORT (causal masks as a bias, MatMuls with a bias as MatMulIntegerToFloat unless
/// <see cref="StaticQuantizationOptions.FuseMatMulBias"/> is off) and check that ORT loads and fuses the result. The input
/// model is never modified.
/// </summary>
public sealed class StaticQuantizer(StaticQuantizationOptions options, QdqOpRegistry? registry = null)
{
    private readonly QdqPlanner _planner = new(registry ?? QdqOpRegistry.Default);

    /// <summary>Quantizes <paramref name="model"/> with calibration data opened by <paramref name="openData"/>.</summary>
    public QuantizationResult Quantize(OnnxModel model, Func<IReadOnlyList<ModelInputSpec>, IDataSource> openData, IProgress<ProgressInfo>? progress = null)
    {
        string source = model.Name;
        AlreadyQuantized.Refuse(model, source);
        StaticQuantizationChecks.CheckWeights(options);
        var method = CalibrationMethods.Create(options.Calibration, options.CalibrationSettings);
        var prepared = model.Clone();
        var preprocessing = PreparationProfile.Compression.Apply(prepared).Concat(AttentionLayout.Apply(prepared, options)).ToList();
        FiniteWeights.Ensure(prepared, source);

        var inputs = ModelInputs.Of(prepared);
        using var data = FixedBatchDataSource.ForModel(openData(inputs), inputs);
        long budget = options.MemoryLimitBytes ?? MemoryBudget.DefaultBytes();
        // The layers the planner will quantize, planned when bias correction first asks (after equalization; its own edits of
        // biases do not change which layers are quantized).
        var planned = new Lazy<HashSet<Node>>(() =>
        {
            var one = data.ReadBatches(1, 1).FirstOrDefault() ?? throw new ShrinkException($"{data.Description}: empty calibration data set.");
            var valueTypes = ValueShapeProbe.MeasureTypes(prepared, one, _planner.TypedValues(prepared.Graph));
            return _planner.Plan(prepared.Graph, options, valueTypes).Quantized.ToHashSet();
        });
        var equivalence = EquivalenceTransforms.Apply(prepared, new EquivalenceContext
        {
            Options = options.Equivalence,
            Target = new EquivalenceTarget(options.WeightBits, options.PerChannelWeights, SymmetricWeights: true, GroupSize: 0, options.ActivationBits, options.SymmetricActivations),
            Data = data,
            Samples = options.Samples,
            BatchSize = options.BatchSize,
            MemoryBudgetBytes = budget,
            Progress = progress,
            Source = source,
            RoundWeight = (layer, w) => planned.Value.Contains(layer.Node) ? Int8Weights.Dequantized(w, layer.Rows, layer.Cols, options.PerChannelWeights, options.WeightBits) : null,
            Original = model,
        });
        // Nodes a transform inserted to stay in float (online rotations) are planned as if excluded by name.
        var planning = options with { ExcludeNodes = new HashSet<string>(options.ExcludeNodes.Concat(EquivalenceTransforms.FloatNodes(equivalence)), StringComparer.Ordinal) };
        var first = data.ReadBatches(1, 1).FirstOrDefault() ?? throw new ShrinkException($"{data.Description}: empty calibration data set.");
        var types = ValueShapeProbe.MeasureTypes(prepared, first, _planner.TypedValues(prepared.Graph));
        var plan = _planner.Plan(prepared.Graph, planning, types);
        if (plan.Quantized.Count == 0)
            throw new ShrinkException($"{source}: nothing to quantize: no node has an int8 handler ({string.Join(", ", plan.LeftInFloat.Select(f => f.Node.OpType).Distinct().Take(8))}...){Subgraphs.UntouchedWeightsNote(prepared.Graph, "which static int8 leaves in float (--mode dynamic or --weights quantize them)")}.");

        var (qmin, qmax) = QuantMath.ActivationGrid(options.ActivationType, options.ActivationBits);
        var target = new QuantTarget(qmin, qmax, options.SymmetricActivations);
        var notes = new List<string>();
        var clock = Stopwatch.StartNew();
        var ranges = new Dictionary<string, CalibrationRange>(
            ActivationRangeCollector.Collect(prepared, plan.CalibratedTensors, data, method, target, options.Samples, options.BatchSize, progress, budget,
                p => notes.Add($"calibration: {p.Describe(options.BatchSize)}")), StringComparer.Ordinal);
        double calibrationSeconds = clock.Elapsed.TotalSeconds;

        // Weights rounded by a data-aware method (GPTQ) are decided on the prepared float model before the rewrite.
        var weights = StaticWeightRounding.Round(prepared, plan, options, data, progress);
        clock.Restart();
        var quantized = prepared.Clone();
        var rebound = _planner.Plan(quantized.Graph, planning, types); // the same decisions, bound to the copy's nodes
        var application = QdqInserter.Apply(quantized, rebound, ranges, planning, weights.Codes);
        double rewriteSeconds = clock.Elapsed.TotalSeconds;

        IReadOnlyList<LayerError> layers = [];
        ExclusionTrial? output = null;
        var suggestions = new List<ExclusionTrial>();
        if (options.AnalysisSamples > 0)
        {
            progress?.Report(new ProgressInfo("per-layer error", 0, options.SuggestExclusions + 1));
            int analysisBatch = options.BatchSize;
            (layers, output) = LayerErrorAnalyzer.Measure(prepared, quantized, rebound, application, data, options.AnalysisSamples, options.BatchSize, budget, p =>
            {
                analysisBatch = p.BatchSize;
                notes.Add($"per-layer error: {p.Describe(options.BatchSize)}");
            });
            var worst = layers.Where(l => l.OwnLossDb > 0).OrderByDescending(l => l.OwnLossDb).Select(l => l.Node).ToList();
            for (int k = 1; k <= Math.Min(options.SuggestExclusions, worst.Count); k++)
            {
                var excluded = worst.Take(k).ToList();
                var trialOptions = planning with { ExcludeNodes = new HashSet<string>(planning.ExcludeNodes.Concat(excluded)) };
                var trial = prepared.Clone();
                var trialPlan = _planner.Plan(trial.Graph, trialOptions, types);
                var missing = trialPlan.CalibratedTensors.Where(t => !ranges.ContainsKey(t)).ToList();
                if (missing.Count > 0)
                {
                    // Leaving a node in float moves int8 boundaries onto tensors not calibrated yet.
                    foreach (var (t, r) in ActivationRangeCollector.Collect(prepared, missing, data, method, target, options.Samples, options.BatchSize, memoryBudget: budget))
                        ranges[t] = r;
                }
                QdqInserter.Apply(trial, trialPlan, ranges, trialOptions, weights.Codes);
                suggestions.Add(LayerErrorAnalyzer.MeasureOutput(prepared, trial, data, options.AnalysisSamples, analysisBatch, excluded, budget));
                progress?.Report(new ProgressInfo("per-layer error", k + 1, options.SuggestExclusions + 1));
            }
        }

        // Written for ORT once everything measured on the QDQ form is measured (the same kernels, the bias fused).
        var outputNotes = AttentionLayout.MaskAsBias(quantized, options).ToList();
        if (options.FuseMatMulBias && MatMulBiasFusion.Apply(quantized) is int fused and > 0)
            outputNotes.Add(MatMulBiasFusion.Note(fused));
        WrittenModelCheck.Verify(model, quantized, source);
        var fusion = FusionInspector.Inspect(quantized, rebound.Quantized.Select(n => n.Name).Where(n => n.Length > 0).ToHashSet(StringComparer.Ordinal));

        return new QuantizationResult
        {
            Model = quantized,
            Mode = "static",
            Preprocessing = preprocessing,
            OutputNotes = outputNotes,
            QuantizedByOp = rebound.Quantized.GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count()),
            LeftInFloat = [.. rebound.LeftInFloat.GroupBy(f => (f.Node.OpType, f.Reason)).Select(g => (g.Key.OpType, g.Key.Reason, g.Count())).OrderByDescending(g => g.Item3), .. SubgraphLayersLeft(prepared)],
            FoldedActivations = rebound.Folded.Count,
            Activations = application.Parameters,
            Fusion = fusion,
            Layers = layers,
            Output = output,
            Suggestions = suggestions,
            Calibration = $"{method.Name}, {Math.Min(options.Samples, data.Count ?? options.Samples)} samples",
            MemoryNotes = notes,
            CalibrationSeconds = calibrationSeconds,
            RewriteSeconds = rewriteSeconds,
            Plan = rebound,
            Equivalence = equivalence,
            WeightBits = options.WeightBits,
            WeightRounding = WeightRoundings.Create(options.WeightRounding).Name,
            WeightLayers = weights.Layers,
            WeightSeconds = weights.CalibrationSeconds + weights.RoundingSeconds,
        };
    }

    // Static int8 needs calibrated ranges of every activation it quantizes, and the values inside an If/Loop/Scan body
    // cannot be tapped from outside: the layers there stay in float, listed by name per subgraph and op.
    private static IEnumerable<(string OpType, string Reason, int Count)> SubgraphLayersLeft(OnnxModel model) =>
        Subgraphs.Layers(model.Graph)
            .GroupBy(l => (l.Scope.Path, l.Node.OpType))
            .Select(g => (g.Key.OpType, $"inside {g.Key.Path}, whose activations cannot be calibrated (--mode dynamic or --weights quantize them): {string.Join(", ", g.Select(l => l.Node.DisplayName))}", g.Count()));
}
