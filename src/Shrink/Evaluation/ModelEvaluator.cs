using System.Globalization;
using Shrink.Calibration;
using Shrink.Data;
using Shrink.Evaluation.Tasks;
using Shrink.Model;
using Shrink.Pipelines.Decoding;
using Shrink.Runtime;

namespace Shrink.Evaluation;

/// <summary>
/// Measures a model as users judge it: task accuracy against labels, fidelity to a reference model for every output,
/// latency in ONNX Runtime (interleaved with the reference when one is given), size, parameters and MACs.
/// </summary>
public sealed class ModelEvaluator
{
    private readonly EvaluationOptions _options;

    /// <summary>Creates an evaluator.</summary>
    public ModelEvaluator(EvaluationOptions? options = null) => _options = options ?? new EvaluationOptions();

    /// <summary>
    /// Evaluates <paramref name="modelPath"/> (and compares with <paramref name="referencePath"/>) on data opened by
    /// <paramref name="openData"/>, which receives the model's declared inputs so it can check them.
    /// </summary>
    public EvaluationResult Evaluate(string modelPath, string? referencePath, Func<IReadOnlyList<ModelInputSpec>, IDataSource> openData, IProgress<ProgressInfo>? progress = null)
    {
        if (_options.Task is string given) EvaluationTasks.Registry.Get(given);
        using var session = ModelSession.Open(modelPath, _options.Runtime);
        using var reference = referencePath is null ? null : ModelSession.Open(referencePath, _options.Runtime);
        if (reference is not null) CheckSameInterface(session, reference);
        var notes = new List<string>();
        var graph = OnnxModel.Load(modelPath, new ModelLoadOptions { LoadExternalData = false }).Graph;
        var choice = _options.Task is string name ? new TaskChoice(name, null) : EvaluationTasks.Detect(session.Inputs, graph.Outputs);
        var task = EvaluationTasks.Create(choice.Name);
        // --- decoders with a KV cache: the data gives token windows, each model runs them token by token (prefill, then
        // one token per run with its own cache fed back) and the outputs are compared per position; latency times a prefill.
        var layout = KvCacheLayout.Detect(graph.Inputs, graph.Outputs);
        IModelRunner runner = layout is null ? session : new IncrementalDecoder(session, layout, note: notes.Add);
        // The reference decodes with its own cache layout: a head-pruned model's cache has fewer heads than the reference's.
        var refLayout = reference is null || layout is null ? null : KvCacheLayout.Detect(OnnxModel.Load(referencePath!, new ModelLoadOptions { LoadExternalData = false }));
        IModelRunner? refRunner = reference is null || layout is null ? reference : new IncrementalDecoder(reference, refLayout ?? layout, note: notes.Add);
        var dataInputs = layout is null ? session.Inputs : [.. session.Inputs.Where(i => !layout.IsPast(i.Name))];
        // A model whose batch is fixed (often at 1) runs batches of exactly that size, whoever opened the data.
        using var data = FixedBatchDataSource.ForModel(openData(task.DataInputs(dataInputs)), session.Inputs);
        // The data as the models read it (a language model's windows without their last token), for probes and timing;
        // a decoder with a cache is timed on one full-window run with an empty cache.
        var modelData = layout is null ? task.ModelData(data) : new PrefillDataSource(task.ModelData(data), (IncrementalDecoder)runner);
        // A head-pruned decoder's reference reads empty caches of its own head count.
        Func<DataBatch, DataBatch> referenceBatch = refLayout is null ? b => b : b => new DataBatch(
            [.. b.Inputs.Select(t => refLayout.Pairs.FirstOrDefault(p => p.Past == t.Name) is { } p && t.Data.Length == 0
                ? new BatchTensor(p.Past, ElementType.Float, p.EmptyShape((int)t.Shape[p.BatchAxis]), Array.Empty<float>(), p.BatchAxis) : t)], b.Count, b.Labels);
        var refData = refLayout is null ? modelData : new PrefillDataSource(task.ModelData(data), (IncrementalDecoder)refRunner!);
        // --- end of the KV-cache hook

        long budget = _options.MemoryLimitBytes ?? MemoryBudget.DefaultBytes();
        var (stats, perSample) = Statistics(modelPath, session.Inputs, modelData);
        var refStats = referencePath is null ? null : Statistics(referencePath, reference!.Inputs, refData).Stats;
        int evalBatch = _options.EvalBatchSize;
        if (perSample is long bytes && (long)evalBatch * bytes > budget)
        {
            evalBatch = (int)Math.Clamp(budget / bytes, 1, evalBatch);
            notes.Add($"accuracy: batch {evalBatch} instead of {_options.EvalBatchSize} (about {MemoryBudget.Format(bytes)} of activations per sample, memory limit {MemoryBudget.Format(budget)})");
        }

        var fidelity = session.OutputNames.Select(_ => new FidelityAccumulator()).ToArray();
        var uncompared = new HashSet<int>();
        long samples = 0;
        if (!_options.SkipAccuracy)
        {
            long? total = _options.MaxSamples is long m && data.Count is long c ? Math.Min(m, c) : _options.MaxSamples ?? data.Count;
            foreach (var read in data.ReadBatches(evalBatch, _options.MaxSamples))
            {
                // A fixed-batch model's last batch may be padded by repeated samples: count only the real ones.
                int real = total is long t ? (int)Math.Clamp(t - samples, 0, read.Count) : read.Count;
                var batch = real == read.Count ? read : new DataBatch(read.Inputs, real, read.Labels?[..real]);
                var run = task.ModelBatch(read);
                var outputs = Trim(runner.Run(run), read.Count, real);
                IReadOnlyList<OutputTensor>? refOutputs = null;
                if (reference is not null)
                {
                    refOutputs = Trim(refRunner!.Run(run), read.Count, real);
                    for (int k = 0; k < outputs.Count; k++)
                    {
                        if (layout is not null && !outputs[k].Shape.SequenceEqual(refOutputs[k].Shape) && layout.Pairs.Any(p => p.Present == outputs[k].Name))
                        {
                            // A cache whose heads were pruned cannot be compared position by position; the logits still are.
                            if (uncompared.Count == 0)
                                notes.Add($"fidelity of the cache outputs whose heads were pruned not measured (from '{outputs[k].Name}' on): shape [{string.Join(",", outputs[k].Shape)}] in {session.DisplayName} but [{string.Join(",", refOutputs[k].Shape)}] in {reference.DisplayName}");
                            uncompared.Add(k);
                            continue;
                        }
                        if (!outputs[k].Shape.SequenceEqual(refOutputs[k].Shape))
                            throw new ShrinkException($"Output '{outputs[k].Name}' has shape [{string.Join(",", outputs[k].Shape)}] in {session.DisplayName} but [{string.Join(",", refOutputs[k].Shape)}] in {reference.DisplayName}.");
                        int last = outputs[k].Shape.Length > 0 ? (int)outputs[k].Shape[^1] : 1;
                        fidelity[k].Add(outputs[k].Data, refOutputs[k].Data, last);
                    }
                }
                task.Add(new TaskBatch(batch, outputs, refOutputs, session.DisplayName, reference?.DisplayName));
                samples += batch.Count;
                progress?.Report(new ProgressInfo("accuracy", samples, total));
            }
            if (samples == 0)
                throw new ShrinkException($"{data.Description}: empty data set.");
        }

        var (latency, refLatency) = MeasureLatency(session, reference, modelData, referenceBatch, perSample, budget, notes, progress);
        if (reference is not null && samples > 0)
            notes.AddRange(session.OutputNames.Select((n, k) => uncompared.Contains(k) ? null : fidelity[k].Result(n).Note).OfType<string>());
        if (data.IsRandom) notes.Add(RandomDataSource.Warning);
        var classification = task as ClassificationTask;
        bool labelled = classification is { Model.Count: > 0 };
        return new EvaluationResult
        {
            Model = modelPath,
            Reference = referencePath,
            Data = modelData.Description,
            Samples = samples,
            RandomData = data.IsRandom ? true : null,
            Task = task.Name,
            TaskDetection = choice.Detection,
            Metrics = samples > 0 ? task.Metrics() : [],
            TaskNotes = samples > 0 ? task.Notes() : [],
            Accuracy = labelled ? classification!.Model.Top1 : null,
            Top5 = labelled ? classification!.Model.Top5 : null,
            ReferenceAccuracy = labelled && reference is not null ? classification!.Reference.Top1 : null,
            ReferenceTop5 = labelled && reference is not null ? classification!.Reference.Top5 : null,
            Top1Agreement = reference is not null && samples > 0 ? fidelity[0].ArgMaxAgreement : null,
            Fidelity = reference is not null && samples > 0
                ? session.OutputNames.Select((n, k) => (n, k)).Where(o => !uncompared.Contains(o.k)).Select(o => fidelity[o.k].Result(o.n)).ToArray()
                : null,
            Threads = _options.Runtime.IntraOpThreads,
            LatencyMs = latency.ToDictionary(l => Key(l.BatchSize), l => l.MedianMs),
            LatencyP90Ms = latency.ToDictionary(l => Key(l.BatchSize), l => l.P90Ms),
            LatencyRuns = latency.ToDictionary(l => Key(l.BatchSize), l => l.Runs),
            ReferenceLatencyMs = refLatency?.ToDictionary(l => Key(l.BatchSize), l => l.MedianMs),
            ReferenceLatencyP90Ms = refLatency?.ToDictionary(l => Key(l.BatchSize), l => l.P90Ms),
            Speedup = refLatency?.Zip(latency).ToDictionary(p => Key(p.First.BatchSize), p => p.First.MedianMs / p.Second.MedianMs),
            Notes = notes,
            SizeBytes = stats.SizeOnDiskBytes ?? 0,
            ReferenceSizeBytes = refStats?.SizeOnDiskBytes,
            Params = stats.Parameters,
            ReferenceParams = refStats?.Parameters,
            Macs = stats.MacsPerSample,
            ReferenceMacs = refStats?.MacsPerSample,
            OrtVersion = OrtInfo.Version,
        };
    }

    /// <summary>The first <paramref name="real"/> rows of outputs batched along axis 0 (<paramref name="rows"/> rows in all).</summary>
    private static IReadOnlyList<OutputTensor> Trim(IReadOnlyList<OutputTensor> outputs, int rows, int real) =>
        real == rows ? outputs : [.. outputs.Select(o => o.Shape.Length > 0 && o.Shape[0] == rows
            ? new OutputTensor(o.Name, [real, .. o.Shape[1..]], o.Data[..(int)(o.Data.LongLength / rows * real)])
            : o)];

    private static string Key(int batchSize) => batchSize.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static void CheckSameInterface(ModelSession model, ModelSession reference)
    {
        if (!model.OutputNames.SequenceEqual(reference.OutputNames))
            throw new ShrinkException($"{model.DisplayName} has outputs [{string.Join(", ", model.OutputNames)}] but the reference {reference.DisplayName} has [{string.Join(", ", reference.OutputNames)}].");
        var names = model.Inputs.Select(i => i.Name).Order().ToArray();
        if (!names.SequenceEqual(reference.Inputs.Select(i => i.Name).Order()))
            throw new ShrinkException($"{model.DisplayName} and the reference {reference.DisplayName} have different inputs.");
    }

    private (IReadOnlyList<LatencyStats> Model, IReadOnlyList<LatencyStats>? Reference) MeasureLatency(
        ModelSession session, ModelSession? reference, IDataSource data, Func<DataBatch, DataBatch> referenceBatch, long? perSample, long budget, List<string> notes, IProgress<ProgressInfo>? progress)
    {
        var model = new List<LatencyStats>();
        var refs = reference is null ? null : new List<LatencyStats>();
        int done = 0;
        double? secondsPerSample = null;
        foreach (int b in _options.LatencyBatchSizes)
        {
            if (FixedBatchDataSource.FixedBatchOf(session.Inputs) is int fb && fb != b)
            {
                notes.Add($"batch {b}: skipped, the model's batch dimension is fixed at {fb}");
                continue;
            }
            if (perSample is long bytes && b > 1 && (long)b * bytes > budget)
            {
                notes.Add($"batch {b} skipped: about {MemoryBudget.Format(b * bytes)} of activations, over the memory limit of {MemoryBudget.Format(budget)} ({MemoryBudget.Format(bytes)} per sample)");
                continue;
            }
            if (b > 1 && _options.Latency.Runs <= 0 && FixedBatchDataSource.FixedBatchOf(session.Inputs) is null)
            {
                secondsPerSample ??= TimeOneSample(session, reference, data, referenceBatch);
                double estimate = b * secondsPerSample.Value;
                if (estimate > _options.MaxRunSeconds)
                {
                    notes.Add(string.Create(CultureInfo.InvariantCulture,
                        $"batch {b} skipped: one run would take about {estimate:0.0} s ({b} × {secondsPerSample.Value * 1000:0.#} ms at batch 1), over the {_options.MaxRunSeconds:0.##} s limit per run; give --runs to time it anyway"));
                    continue;
                }
            }
            var first = data.ReadBatches(b, b).FirstOrDefault()
                ?? throw new ShrinkException($"{data.Description}: empty data set.");
            var batch = BatchTiler.Tile(first, b);
            using var inputs = session.Prepare(batch);
            using var refInputs = reference?.Prepare(referenceBatch(batch));
            var pairs = new List<(ModelSession, PreparedInputs)> { (session, inputs) };
            if (reference is not null) pairs.Add((reference, refInputs!));
            var stats = _options.Latency.Measure(b, pairs);
            model.Add(stats[0]);
            refs?.Add(stats[1]);
            progress?.Report(new ProgressInfo("latency", ++done, _options.LatencyBatchSizes.Count));
        }
        return (model, refs);
    }

    /// <summary>Seconds of one run at batch 1 (the slower of the model and the reference, after one warm-up run each).</summary>
    private static double TimeOneSample(ModelSession session, ModelSession? reference, IDataSource data, Func<DataBatch, DataBatch> referenceBatch)
    {
        var one = data.ReadBatches(1, 1).FirstOrDefault() ?? throw new ShrinkException($"{data.Description}: empty data set.");
        double slowest = 0;
        foreach (var s in reference is null ? [session] : new[] { session, reference })
        {
            using var inputs = s.Prepare(s == reference ? referenceBatch(one) : one);
            s.RunDiscard(inputs);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            s.RunDiscard(inputs);
            slowest = Math.Max(slowest, clock.Elapsed.TotalSeconds);
        }
        return slowest;
    }

    /// <summary>
    /// Size, parameters and MACs, and an estimate of the activation bytes one sample takes in an optimized session:
    /// its inputs plus the three largest values MAC counting reads (ORT reuses buffers, so the live set is a few tensors,
    /// not all; exposing only those values keeps a 100k-node graph fast).
    /// </summary>
    private static (ModelStatistics Stats, long? BytesPerSample) Statistics(string path, IReadOnlyList<ModelInputSpec> inputs, IDataSource data)
    {
        var model = OnnxModel.Load(path);
        IReadOnlyDictionary<string, long[]>? shapes = null;
        var one = data.ReadBatches(1, 1).FirstOrDefault();
        if (one is not null && inputs.All(i => i.FixedBatch is null or 1))
            shapes = ValueShapeProbe.Measure(model, one, MacCounter.ValuesRead(model.Graph));
        long? perSample = shapes is null || one is null
            ? null
            : one.Inputs.Sum(i => (long)Buffer.ByteLength(i.Data)) + shapes.Values.Select(ElementBytes).OrderDescending().Take(3).Sum();
        return (ModelStatistics.Compute(model, shapes), perSample);
    }

    private static long ElementBytes(long[] shape)
    {
        long n = sizeof(float);
        foreach (long d in shape) n *= Math.Max(1, d);
        return n;
    }
}
