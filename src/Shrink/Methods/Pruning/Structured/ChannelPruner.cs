using System.Diagnostics;
using System.Globalization;
using Shrink.Calibration;
using Shrink.Data;
using Shrink.Evaluation;
using Shrink.Methods.Pruning.Dependency;
using Shrink.Methods.Pruning.Importance;
using Shrink.Model;
using Shrink.Ops;
using Shrink.Passes;
using Shrink.Runtime;
using Shrink.Validation;

namespace Shrink.Methods.Pruning.Structured;

/// <summary>
/// Structured channel pruning on the ONNX graph: pre-process (promote constants, upgrade to opset 13), build the channel
/// dependency graph, score every prunable group with the criterion, decide the kept counts (uniform, global, or fair from
/// class-separation and reconstruction scores; rounded to kernel-friendly multiples) until the MACs or parameters fall by
/// the sparsity, remove the channels physically, fold BatchNormalization, optionally refit the layers by least squares
/// toward the unpruned model, and check that ONNX Runtime loads the result with the same interface. The input model is
/// never modified.
/// </summary>
public sealed class ChannelPruner(ChannelPruningOptions options)
{
    /// <summary>
    /// Prunes <paramref name="model"/>. <paramref name="openData"/> opens calibration data for the model's inputs; it is
    /// required by data-aware criteria and by <see cref="ChannelPruningOptions.Reconstruct"/>, otherwise optional.
    /// </summary>
    /// <exception cref="ShrinkException">Bad options, missing data, or a sparsity that cannot be reached without emptying a layer.</exception>
    public ChannelPruningResult Prune(OnnxModel model, Func<IReadOnlyList<ModelInputSpec>, IDataSource>? openData = null, IProgress<ProgressInfo>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var clock = Stopwatch.StartNew();
        options.Validate();
        AlreadyQuantized.Refuse(model, model.Name, "prune");
        bool fair = options.Schedule == PruningSchedule.Fair;
        var criterion = fair ? new ReconstructionImportance() : ChannelImportances.Create(options.Criterion);
        var prepared = model.Clone();
        var preprocessing = PreparationProfile.ChannelPruning.Apply(prepared);

        var inputs = ModelInputs.Of(prepared);
        bool needsData = criterion.NeedsData || options.Reconstruct;
        using var data = openData is null ? null : FixedBatchDataSource.ForModel(openData(inputs), inputs);
        if (needsData && data is null)
        {
            string why = fair ? "the fair schedule" : criterion.NeedsData ? $"the '{criterion.Name}' criterion" : "reconstruct";
            throw new ShrinkException($"{model.Name}: {why} needs calibration data; pass a data set.");
        }
        // A decoder's cache inputs have a symbolic past length too: probed at a few tokens unless --input-shape sizes them.
        var probeShapes = KvCacheHeads.ProbeShapes(prepared, options.ShapeOverrides, out string? cacheProbe);
        using var probeData = data is null ? new RandomDataSource(inputs, probeShapes, 1) : null;
        var sample = (data ?? probeData!).ReadBatches(1, 1).FirstOrDefault() ?? throw new ShrinkException($"{data!.Description}: empty calibration data set.");
        var shapes = ValueShapeProbe.Measure(prepared, sample);

        var dependencies = ChannelDependencyGraph.Build(prepared, shapes);
        var groups = dependencies.Groups;
        ChannelActivationStatistics? activations = null;
        var statisticsValues = groups.Where(g => g.Prunable).SelectMany(ChannelActivationStatistics.ValuesOf).Select(v => v.Value).Distinct()
            .ToDictionary(v => v, v => dependencies.Layouts[v], StringComparer.Ordinal);
        // Every data pass runs at one batch, chosen within the memory limit from the value shapes just measured.
        var passes = new ChannelCalibrationPlan.Passes(criterion.NeedsData || fair ? statisticsValues.Keys : null, options.GreedySelection && data is not null, options.Reconstruct, fair);
        var calibration = options;
        string? calibrationLine = null;
        if (data is not null && passes.Any)
        {
            var plan = ChannelCalibrationPlan.Choose(prepared, dependencies, shapes, sample, passes, options.MemoryLimitBytes ?? MemoryBudget.DefaultBytes(), options.BatchSize);
            calibration = options with { BatchSize = plan.BatchSize };
            calibrationLine = $"{Math.Min(options.Samples, data.Count ?? options.Samples)} samples ({passes.Describe()})"
                + (plan.Reduced(options.BatchSize) ? $"; {plan.Describe(options.BatchSize)}" : $", batch {plan.BatchSize}");
        }
        if (criterion.NeedsData)
            activations = ChannelActivationStatistics.Collect(prepared, statisticsValues, shapes, data!, options.Samples, calibration.BatchSize, progress);
        var context = new ImportanceContext(prepared.Graph, activations, options.IncludeConsumers);
        var scores = groups.Select(g => g.Prunable ? criterion.Score(g, context) : null).ToArray();

        using var latency = options.Target == PruningTarget.Latency ? LatencyCostModel.Create(prepared, dependencies, options.LatencyBatchSize, shapeOverrides: probeShapes) : null;
        IPruningCost cost = latency ?? (IPruningCost)PruningCostModel.Build(prepared.Graph, dependencies, shapes, options.Target);
        double total = cost.Total;
        double target = total * (1 - options.Sparsity);
        if (options.Sparsity > 0 && !groups.Any(g => g.Prunable))
        {
            var alone = groups.Take(3).Select(g => $"{g.Name}: {g.LeftAloneReasons[0]}");
            throw new ShrinkException($"{model.Name}: channel pruning: no group can be pruned safely ({string.Join("; ", alone)}{(groups.Count > 3 ? "; …" : "")}); --sparsity 0 lists every group left alone and why{Subgraphs.UntouchedWeightsNote(prepared.Graph, "which channel pruning does not reach into")}.");
        }
        int[] kept;
        FairScheduleResult? fairResult = null;
        string ranking = criterion.Name;
        if (fair)
        {
            // FAIR: utilization (class separation) proposes what to remove, reconstruction protects; the channels that go
            // are the lowest-utilization ones unless the greedy least-squares selection below chooses them.
            var classes = ClassConditionalActivations.Collect(prepared, statisticsValues, data!, options.Samples, calibration.BatchSize, options.FairLabels, progress);
            var utilization = groups.Select(g => g.Prunable ? UtilizationScore.Score(g, classes) : null).ToArray();
            (kept, fairResult) = FairSchedule.Allocate(groups, utilization, scores, cost, target, options);
            scores = utilization;
            ranking = "utilization";
        }
        else
        {
            kept = ChannelAllocator.Allocate(groups, scores, cost, target, options);
        }
        LatencyPrediction? predicted = latency is null ? null
            : new LatencyPrediction(latency.BatchSize, latency.ReferenceMs, latency.ReferenceMs * latency.Evaluate(kept) / total, latency.Measurements, latency.Seconds);
        var keep = ChannelAllocator.KeepIndices(groups, scores, kept);
        if (options.GreedySelection && data is not null)
        {
            // A head group's consumer (the output projection) reads dh columns per head, so the greedy elimination removes
            // whole heads by the projection's reconstruction error.
            var selected = GreedyChannelSelection.Select(prepared, dependencies, kept, data, calibration, progress);
            for (int g = 0; g < keep.Length; g++) keep[g] = selected[g] ?? keep[g];
        }

        var reference = prepared.Clone();
        new FoldBatchNormalization().Apply(reference);
        var pruned = prepared.Clone();
        ChannelSurgery.Apply(pruned.Graph, dependencies, keep);
        new FoldBatchNormalization().Apply(pruned);
        pruned.Graph.RemoveUnusedInitializers();

        IReadOnlyList<LayerRefit> refits = [];
        if (options.Reconstruct)
        {
            var targets = RefitTargets(prepared.Graph, dependencies, keep);
            // A decoder whose cache lost heads reads the calibration caches (made for the unpruned model) through a Gather of the kept heads.
            var fitted = KvCacheHeads.ReadingFullCache(pruned, dependencies.InterfaceSlices, keep);
            refits = new LeastSquaresRefit(calibration).Run(reference, fitted ?? pruned, targets, data!, progress);
            if (fitted is not null) KvCacheHeads.CopyWeights(fitted, pruned);
        }

        var resized = pruned.Graph.Inputs.Concat(pruned.Graph.Outputs)
            .Where(v => dependencies.InterfaceSlices.Any(s => s.Value == v.Name && s.Layout.KeptPositions(keep) is not null)).ToList();
        WrittenModelCheck.VerifyPruned(model, pruned, dependencies.InterfaceSlices.Select(s => s.Value).ToHashSet(StringComparer.Ordinal));
        var before = Statistics(reference, sample);
        var after = Statistics(pruned, KvCacheHeads.KeptHeads(sample, dependencies.InterfaceSlices, keep));
        return new ChannelPruningResult
        {
            Model = pruned,
            Groups = groups.Where(g => g.Prunable).Select(g => new ChannelGroupDecision(g.Name, g.Producers.Select(p => p.Node.DisplayName).ToArray(), g.Channels, kept[g.Id] * (g.NormGroupChannels ?? 1), ranking, g.HeadSize)).ToArray(),
            Fair = fairResult,
            Latency = predicted,
            LeftAlone = [.. groups.Where(g => !g.Prunable).Select(g => new ChannelGroupLeftAlone(g.Name, g.Channels, g.LeftAloneReasons, g.HeadSize)), .. SubgraphLayersLeftAlone(prepared)],
            Refits = refits,
            ParametersBefore = before.Parameters,
            ParametersAfter = after.Parameters,
            MacsBefore = before.MacsPerSample ?? 0,
            MacsAfter = after.MacsPerSample ?? 0,
            Method = Describe(criterion.Name, fairResult),
            Preprocessing = preprocessing,
            Calibration = calibrationLine,
            ProbeNote = probeData is null ? null : ProbeNote(probeData.SequenceNote, cacheProbe),
            ResizedCache = resized.Select(r => r.Name).ToArray(),
            CacheNote = KvCacheHeads.Describe(resized),
            Seconds = clock.Elapsed.TotalSeconds,
        };
    }

    private static string? ProbeNote(string? sequence, string? cache) =>
        sequence is null && cache is null ? null : "shapes and MACs probed on random data with " + string.Join("; ", new[] { sequence, cache }.OfType<string>());

    private string Describe(string criterion, FairScheduleResult? fair)
    {
        var c = CultureInfo.InvariantCulture;
        string scores = criterion, schedule = options.Schedule.ToString().ToLowerInvariant() + " schedule";
        if (fair is not null)
        {
            scores = $"utilization ({(options.FairLabels == ClassLabelSource.Data ? "data labels" : "predicted classes")}) and reconstruction";
            schedule += fair.Scale < 1 ? string.Create(c, $" (α = 0, counts × {fair.Scale:F3})") : string.Create(c, $" (α = {fair.Alpha:G4})");
        }
        return string.Create(c, $"{scores}, {schedule}, {options.Sparsity:P0} of {Measure(options)}, multiples of {options.ChannelMultiple}{(options.Reconstruct ? ", least-squares reconstruction" : "")}");
    }

    private static string Measure(ChannelPruningOptions options) => options.Target == PruningTarget.Latency
        ? string.Create(CultureInfo.InvariantCulture, $"ORT latency at batch {options.LatencyBatchSize} (1 thread, measured)")
        : options.Target.ToString().ToLowerInvariant();

    /// <summary>
    /// Every weight layer of the dependency graph (producers and consumers) from the first one whose input lost
    /// channels on, in topological order, with the output channels it keeps: layers downstream of a pruned one are
    /// refitted too, so that each absorbs the error of what comes before it (not only those whose input shrank).
    /// </summary>
    private static List<LeastSquaresRefit.Target> RefitTargets(ModelGraph graph, ChannelDependencyGraph dependencies, int[][] keep)
    {
        var keptOutputs = new Dictionary<string, int[]>(StringComparer.Ordinal);
        foreach (var g in dependencies.Groups)
            foreach (var p in g.Producers)
                if (keep[g.Id].Length < g.Size) keptOutputs[p.Output] = ProducerColumns(g, p).KeptPositions(keep)!;
        var layers = new HashSet<string>(dependencies.Groups.SelectMany(g => g.Producers.Select(p => p.Output).Concat(g.Consumers.Select(c => c.Node.Outputs[0]))), StringComparer.Ordinal);
        var shrunk = new HashSet<string>(dependencies.Slices.Where(s => s.Role == "input" && s.Layout.KeptPositions(keep) is not null).Select(s => s.Node.Outputs[0]), StringComparer.Ordinal);
        var targets = new List<LeastSquaresRefit.Target>();
        bool started = false;
        foreach (var node in graph.TopologicalOrder())
        {
            string output = node.Outputs[0];
            started |= shrunk.Contains(output);
            if (started && layers.Contains(output)) targets.Add(new LeastSquaresRefit.Target(output, keptOutputs.GetValueOrDefault(output)));
        }
        return targets;
    }

    /// <summary>The producer's output positions as a layout of the group: a head owns dh columns in each of q, k and v.</summary>
    private static ChannelLayout ProducerColumns(ChannelGroup group, ChannelProducer producer) =>
        ChannelLayout.Single(group.Id, group.Size, 0, 1) with { Block = producer.Block, Repeats = producer.Repeats };

    private static ModelStatistics Statistics(OnnxModel model, DataBatch sample) =>
        ModelStatistics.Compute(model, ValueShapeProbe.Measure(model, sample));

    // Layers inside If/Loop/Scan bodies: channel pruning does not reach into subgraphs (their channels are refused where
    // the main graph's values flow into one), so they are listed as left alone.
    private static IEnumerable<ChannelGroupLeftAlone> SubgraphLayersLeftAlone(OnnxModel model) =>
        Subgraphs.Layers(model.Graph).Select(l => new ChannelGroupLeftAlone($"{l.Node.DisplayName} (in {l.Scope.Path})",
            l.Weight.Dims.Count > 0 ? (int)l.Weight.Dims[OpCatalog.FindLayer(l.Node.OpType, l.Node.Domain)!.WeightOutputAxis!(l.Node.GetInt) % l.Weight.Dims.Count] : 0,
            ["inside an If/Loop/Scan subgraph, which channel pruning does not reach into"]));
}
