using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using Shrink.Data;
using Shrink.Model;
using Shrink.Passes;
using Shrink.Runtime;
using Shrink.Training.Autodiff;
using Shrink.Training.Optimizers;
using Shrink.Training.Schedules;

namespace Shrink.Training;

/// <summary>
/// Fine-tunes a model's float initializers on the ONNX graph: the training graph from <see cref="Gradients.Build"/> runs
/// in ONNX Runtime (forward and backward), the teacher (when given) runs alongside on the same batch, and the optimizer
/// updates the weights in C#. With a teacher the loss is KL distillation from its logits (plus a weighted cross-entropy
/// with the labels when asked); without one, the cross-entropy with the data's labels.
/// </summary>
public static class FineTuning
{
    /// <summary>The stage name of the training progress.</summary>
    public const string Stage = "train";

    /// <summary>
    /// Trains <paramref name="parameters"/> of <paramref name="student"/> (never modified: the result is a copy) on
    /// <paramref name="data"/>. <paramref name="evaluate"/>, when given, measures a metric of the model before training
    /// and after each epoch: <see cref="FineTuneOptions.StopAtMetric"/> can stop on it, and the result is the best of
    /// those models (with a note when that is not the last epoch, or the untrained model when no epoch improved on it).
    /// With <paramref name="parameters"/> null, the student is first prepared (<see cref="PreparationProfile.Training"/>:
    /// weights in Constant nodes and fp16 weights behind Casts become float initializers, said in the notes) and every
    /// weight of <see cref="TrainableParameters"/> is trained; named parameters are trained on the student as given.
    /// Refuses (ShrinkException) a student without teacher or labels, non-float or unknown parameters, ops without a
    /// backward rule (naming the node), and a loss that stops being finite.
    /// </summary>
    public static FineTuneResult Run(OnnxModel student, OnnxModel? teacher, IReadOnlyList<string>? parameters, IDataSource data, FineTuneOptions options,
        IProgress<ProgressInfo>? progress = null, EpochMetric? evaluate = null)
    {
        ArgumentNullException.ThrowIfNull(student);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        TrainableModelCheck.RefuseKvCache(student, "fine-tuning");
        if (options.StopAtMetric is not null && evaluate is null)
            throw new OptionsException("stopping at a target metric needs evaluation data (an evaluator).");
        var clock = Stopwatch.StartNew();
        var notes = new List<string>();
        if (data.IsRandom) notes.Add("the training data is random: the trained model says nothing about accuracy");
        if (parameters is null)
        {
            var (prepared, changes) = PreparationProfile.Training.PrepareWeights(student, student.Name, "fine-tune");
            student = prepared;
            notes.AddRange(changes.Select(c => $"prepared: {c}"));
            parameters = TrainableParameters(student);
            if (parameters.Count == 0) throw new ShrinkException($"{student.Name}: no float weights to train (no float initializer of two or more elements is read by an op Shrink can differentiate).");
        }

        var (loss, lossText) = ChooseLoss(student, teacher, data, options);
        var graph = Gradients.Build(student, loss, parameters, options.StopGradient, options.Recompute);
        if (graph.WithoutGradient.Count > 0)
        {
            // Rebuild without them, so they stay constants ORT can fold.
            if (graph.WithoutGradient.Count == graph.Parameters.Count)
                throw new ShrinkException($"{student.Name}: none of the {parameters.Count} parameters reaches the loss through a differentiable path.");
            var skipped = graph.WithoutGradient.ToHashSet(StringComparer.Ordinal);
            parameters = [.. parameters.Where(p => !skipped.Contains(p))];
            graph = Gradients.Build(student, loss, parameters, options.StopGradient, options.Recompute);
        }
        var runtime = new RuntimeOptions { IntraOpThreads = options.IntraOpThreads };
        using var teacherSession = teacher is null ? null : ModelSession.Open(teacher, runtime, $"{teacher.Name} (teacher)");

        int batchSize = options.BatchSize;
        var modelInputs = ModelInputs.Of(student);
        if (FixedBatchDataSource.FixedBatchOf(modelInputs) is int fixedBatch && fixedBatch != batchSize)
        {
            notes.Add($"the model's batch dimension is fixed at {fixedBatch}: training in batches of {fixedBatch} instead of {batchSize}");
            batchSize = fixedBatch;
        }
        int? fixedSize = FixedBatchDataSource.FixedBatchOf(modelInputs);
        bool wantsLabels = graph.LossInputs.Any(i => i.Name == CrossEntropyLabels);

        // The training graph's feed: the batch's inputs, the parameters' values, the labels and the teacher's logits.
        List<BatchTensor> Feed(DataBatch batch, IReadOnlyList<string> names, long[][] shapes, float[][] current)
        {
            if (wantsLabels && batch.Labels is null) throw new ShrinkException($"{data.Description}: a batch without labels; the cross-entropy loss needs every sample's label.");
            var feed = new List<BatchTensor>(batch.Inputs);
            for (int k = 0; k < current.Length; k++)
                feed.Add(new BatchTensor(names[k], ElementType.Float, shapes[k], current[k], batchAxis: -1));
            if (wantsLabels)
                feed.Add(new BatchTensor(CrossEntropyLabels, ElementType.Int64, [batch.Count], batch.Labels!.Select(l => (long)l).ToArray()));
            if (teacherSession is not null)
            {
                var logits = teacherSession.Run(new DataBatch(batch.Inputs, batch.Count, null))[0];
                feed.Add(new BatchTensor(options.Distillation == FineTuneOptions.MseDistillation ? TeacherOutput : TeacherLogits, ElementType.Float, logits.Shape, logits.Data));
            }
            return feed;
        }

        TrainingMemory? memory = null;
        if (options.MemoryBudgetBytes is long budget)
        {
            (graph, memory) = FitBudget(student, loss, parameters, graph, budget, batchSize, fixedSize, options, runtime, data, Feed);
            notes.Add(MemoryNote(memory));
        }
        if (graph.Recomputed.Count > 0 || options.Recompute)
            notes.Add($"recompute: {graph.Recomputed.Count} forward values of elementwise ops are computed again in the backward pass instead of being kept through the step");
        using var session = ModelSession.Open(graph.Model, runtime with { KeepRecomputedValues = graph.Recomputed.Count > 0 }, $"{student.Name} (training graph)");

        // Parameters as float arrays updated in place; their gradients copied out of each run.
        var values = graph.Parameters.Select(p => graph.InitialValues[p].ToFloatArray()).ToArray();
        var dims = graph.Parameters.Select(p => graph.InitialValues[p].Dims.ToArray()).ToArray();
        var gradients = values.Select(v => new float[v.Length]).ToArray();
        var hints = graph.Parameters.Select(p => options.Hints.GetValueOrDefault(p) ?? new ParameterHint()).ToArray();
        // 1 where a value may change, 0 where a kept zero must stay zero.
        var masks = values.Select((v, k) => hints[k].KeepZeros ? v.Select(x => x == 0 ? 0f : 1f).ToArray() : null).ToArray();
        var gradientIndex = graph.GradientOutputs.Select((name, k) => (name, k)).ToDictionary(x => x.name, x => x.k, StringComparer.Ordinal);
        var optimizer = Optimizers.Optimizers.Create(options.Optimizer, options.OptimizerSettings);
        optimizer.Initialize([.. values.Select(v => v.Length)]);
        var schedule = LearningRateSchedules.Registry.Create(options.Schedule);

        long perEpoch = options.SamplesPerEpoch is long cap ? Math.Min(cap, data.Count ?? cap) : data.Count ?? CountSamples(data);
        if (perEpoch <= 0) throw new ShrinkException($"{data.Description}: no samples to train on.");
        long stepsPerEpoch = (perEpoch + batchSize - 1) / batchSize;
        long totalSteps = stepsPerEpoch * options.Epochs;
        long warmup = options.WarmupFor(totalSteps);
        double learningRate = options.LearningRateFor(graph.InitialValues.Values);
        string[] outputs = [graph.Loss, .. graph.GradientOutputs];

        double? initialMetric = evaluate?.Measure(student);
        double bestMetric = initialMetric ?? double.NaN;
        OnnxModel? best = null; // null: the untrained student is the best so far
        int bestEpoch = 0;
        var epochs = new List<EpochRecord>();
        long step = 0;
        double trainSeconds = 0;
        long trainSamples = 0;
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            var epochClock = Stopwatch.StartNew();
            double lossSum = 0;
            long samples = 0, steps = 0;
            string stage = string.Create(CultureInfo.InvariantCulture, $"{Stage} epoch {epoch}/{options.Epochs}");
            progress?.Report(new ProgressInfo(stage, 0, perEpoch));
            foreach (var shuffled in ShuffledBatches.Read(data, batchSize, options.ShuffleBuffer, unchecked(options.Seed * 7919 + epoch), perEpoch))
            {
                var batch = fixedSize is int f && shuffled.Count != f ? BatchTiler.Tile(shuffled, f) : shuffled;
                var feed = Feed(batch, graph.Parameters, dims, values);
                double batchLoss = double.NaN;
                using (var prepared = session.Prepare(new DataBatch(feed, batch.Count, null)))
                {
                    session.RunVisit(prepared, outputs, (name, span) =>
                    {
                        if (name == graph.Loss) batchLoss = span[0];
                        else span.CopyTo(gradients[gradientIndex[name]]);
                    });
                }
                if (!double.IsFinite(batchLoss))
                    throw new ShrinkException(string.Create(CultureInfo.InvariantCulture,
                        $"{student.Name}: training diverged at epoch {epoch}, step {steps + 1} (the loss is {batchLoss}); lower the learning rate (now {learningRate})."));
                double rate = LearningRateSchedules.RateAt(schedule, learningRate, step, totalSteps, warmup);
                Update(optimizer, values, gradients, dims, hints, rate, options, step + 1);
                for (int k = 0; k < values.Length; k++)
                    if (masks[k] is { } mask) TensorPrimitives.Multiply(values[k], mask, values[k]);
                step++;
                steps++;
                samples += shuffled.Count;
                lossSum += batchLoss * shuffled.Count;
                double seconds = epochClock.Elapsed.TotalSeconds;
                progress?.Report(new ProgressInfo(stage, samples, perEpoch)
                {
                    Detail = string.Create(CultureInfo.InvariantCulture, $"loss {lossSum / samples:F4}, {samples / Math.Max(seconds, 1e-9):F0} samples/s"),
                });
            }
            double stepSeconds = epochClock.Elapsed.TotalSeconds;
            trainSeconds += stepSeconds;
            trainSamples += samples;
            var current = WithValues(student, graph.Parameters, dims, values);
            double? metric = evaluate?.Measure(current);
            if (evaluate is not null && metric is double value && evaluate.Improves(value, bestMetric))
            {
                bestMetric = value;
                best = current;
                bestEpoch = epoch;
            }
            epochs.Add(new EpochRecord(epoch, samples == 0 ? double.NaN : lossSum / samples, samples, steps, epochClock.Elapsed.TotalSeconds, metric));
            if (options.CheckpointPath is string path)
                current.Save(path);
            if (options.StopAtMetric is double target && metric is double reached && evaluate!.Reaches(reached, target) && epoch < options.Epochs)
            {
                notes.Add(string.Create(CultureInfo.InvariantCulture, $"stopped after epoch {epoch} of {options.Epochs}: the metric {metric:F4} reached the target {target}"));
                break;
            }
        }

        var final = WithValues(student, graph.Parameters, dims, values);
        if (evaluate is not null && epochs.Count > 0 && bestEpoch != epochs[^1].Epoch)
        {
            string F(double v) => v.ToString("G5", CultureInfo.InvariantCulture);
            if (best is null)
            {
                notes.Add($"no epoch improved the {evaluate.Name} on the evaluation data (before training {F(bestMetric)}, after the last epoch {F(epochs[^1].Metric ?? double.NaN)}): the model is returned untrained; try a lower --lr");
                final = student.Clone();
            }
            else
            {
                notes.Add($"epoch {bestEpoch} had the best {evaluate.Name} on the evaluation data ({F(bestMetric)}): its weights are the result");
                final = best;
            }
        }

        return new FineTuneResult
        {
            Model = final,
            BestEpoch = evaluate is null ? null : bestEpoch,
            Metric = evaluate?.Name,
            MetricLowerIsBetter = evaluate?.LowerIsBetter ?? false,
            Epochs = epochs,
            InitialMetric = initialMetric,
            Loss = lossText,
            Parameters = graph.Parameters,
            Notes = notes,
            WarmupSteps = warmup,
            Memory = memory,
            LearningRate = learningRate,
            LearningRateChosen = options.LearningRate is null,
            Seconds = clock.Elapsed.TotalSeconds,
            SamplesPerSecond = trainSeconds > 0 ? trainSamples / trainSeconds : 0,
        };
    }

    private const string CrossEntropyLabels = "labels";
    private const string TeacherLogits = "teacher_logits";
    private const string TeacherOutput = "teacher_output";

    /// <summary>
    /// The float initializers of a model that training can update: every float initializer with more than one element
    /// read by a node whose op has a backward rule (scalar constants such as GELU's 0.5 stay fixed). Those that turn out
    /// to reach the loss through no differentiable input (a Resize's scales) are dropped when the graph is built.
    /// </summary>
    public static IReadOnlyList<string> TrainableParameters(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var read = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in model.Graph.Nodes)
            if (Ops.OpCatalog.Find(node.OpType, node.Domain)?.Backward is not null)
                foreach (var input in node.Inputs) read.Add(input);
        return [.. model.Graph.Initializers.Values
            .Where(t => t.Type == ElementType.Float && t.ElementCount > 1 && read.Contains(t.Name))
            .Select(t => t.Name).Order(StringComparer.Ordinal)];
    }

    /// <summary>
    /// Chooses between <paramref name="graph"/> and its recomputing form by the memory budget: every value each computes
    /// is measured (<see cref="ActivationMemory"/>), the peak of the step's live values estimated, and the one without
    /// recomputation taken when its peak fits, else the one with it; when neither fits the run is refused with the
    /// estimates and the largest batch that fits.
    /// </summary>
    private static (TrainingGraph Graph, TrainingMemory Memory) FitBudget(OnnxModel student, LossSpec loss, IReadOnlyList<string> parameters, TrainingGraph graph,
        long budget, int batchSize, int? fixedSize, FineTuneOptions options, RuntimeOptions runtime, IDataSource data,
        Func<DataBatch, IReadOnlyList<string>, long[][], float[][], List<BatchTensor>> feed)
    {
        var plain = options.Recompute ? null : graph;
        var recomputing = options.Recompute ? graph : Gradients.Build(student, loss, parameters, options.StopGradient, recompute: true);
        var first = data.ReadBatches(2, 2).FirstOrDefault() ?? throw new ShrinkException($"{data.Description}: no samples to train on.");
        var names = graph.Parameters;
        var shapes = names.Select(p => graph.InitialValues[p].Dims.ToArray()).ToArray();
        var initial = names.Select(p => graph.InitialValues[p].ToFloatArray()).ToArray();
        DataBatch At(int n)
        {
            var batch = BatchTiler.Tile(first, fixedSize ?? n);
            return new DataBatch(feed(batch, names, shapes, initial), batch.Count, null);
        }
        var plainMemory = plain is null ? null : ActivationMemory.MeasureAll(plain, At, runtime);
        var recomputingMemory = ActivationMemory.MeasureAll(recomputing, At, runtime);
        long? keptBytes = plainMemory?.Bytes(plain!.KeptActivations, batchSize);
        long recomputedBytes = recomputingMemory.Bytes(recomputing.KeptActivations, batchSize);
        long? peak = plainMemory?.PeakBytes(plain!.Model.Graph, batchSize);
        long recomputedPeak = recomputingMemory.PeakBytes(recomputing.Model.Graph, batchSize);
        if (peak is long p && p <= budget) return (plain!, new TrainingMemory(budget, batchSize, keptBytes, recomputedBytes, false, peak, recomputedPeak));
        if (recomputedPeak <= budget) return (recomputing, new TrainingMemory(budget, batchSize, keptBytes, recomputedBytes, true, peak, recomputedPeak));

        string estimate = peak is long without
            ? $"{MiB(without)} without recomputation and {MiB(recomputedPeak)} with it"
            : $"{MiB(recomputedPeak)} with recomputation (--recompute)";
        // The batch that fits: the smaller peak's graph (recomputation usually), searched by its peak.
        bool recomputeFitsMore = peak is not long q || recomputedPeak <= q;
        int largest = recomputeFitsMore
            ? recomputingMemory.LargestBatch(recomputing.Model.Graph, budget, FineTuneOptions.MaxBatchSize)
            : plainMemory!.LargestBatch(plain!.Model.Graph, budget, FineTuneOptions.MaxBatchSize);
        string advice = fixedSize is int f
            ? $"the model's batch dimension is fixed at {f}, so a smaller --train-batch does not help: raise the budget"
            : largest > 1 ? $"use --train-batch {largest} or less, or raise the budget"
            : largest == 1 ? "use --train-batch 1, or raise the budget" : "not even one sample fits: raise the budget";
        throw new OptionsException(
            $"--memory-budget {MiB(budget)}: at batch {batchSize} the step's activations (forward values kept for the backward pass and the backward pass's own, at their peak) are estimated at {estimate}; {advice}.",
            ["--memory-budget", "--train-batch"]);
    }

    private static string MiB(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0.#} MiB");

    private static string MemoryNote(TrainingMemory m)
    {
        string without = m.PeakBytes is long p ? $"{MiB(p)} without recomputation (kept forward values {MiB(m.KeptBytes ?? 0)}), " : "";
        string choice = m.Recompute
            ? m.PeakBytes is null ? "recomputation was asked for (--recompute)" : "recomputation is on to fit"
            : "it fits without recomputation";
        return $"memory: the step's activations at their peak are estimated at {without}{MiB(m.RecomputedPeakBytes)} with recomputation (kept forward values {MiB(m.RecomputedBytes)}), at batch {m.Batch}; budget {MiB(m.BudgetBytes)}: {choice}";
    }

    private static (LossSpec Loss, string Text) ChooseLoss(OnnxModel student, OnnxModel? teacher, IDataSource data, FineTuneOptions options)
    {
        string t = options.Temperature.ToString(CultureInfo.InvariantCulture);
        if (teacher is not null)
        {
            var studentInputs = student.Graph.Inputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
            var missing = teacher.Graph.Inputs.Where(i => teacher.Graph.FindInitializer(i.Name) is null && !studentInputs.Contains(i.Name)).Select(i => i.Name).ToArray();
            if (missing.Length > 0)
                throw new ShrinkException($"{teacher.Name}: the teacher's inputs {string.Join(", ", missing.Select(m => $"'{m}'"))} are not inputs of the student {student.Name}; the teacher must read the same data.");
            var (distill, text) = options.Distillation == FineTuneOptions.MseDistillation
                ? (LossSpec.MeanSquaredError(student.Graph.Outputs[0].Name, TeacherOutput), $"mean squared error to the teacher's '{teacher.Graph.Outputs[0].Name}' (feature distillation)")
                : (LossSpec.KlDivergence(options.Temperature, TeacherLogits), $"KL distillation from the teacher at T={t}");
            double w = options.LabelWeight ?? 0;
            if (w > 0 && data.HasLabels)
                return (LossSpec.Sum((distill, 1), (LossSpec.CrossEntropy(CrossEntropyLabels), w)),
                    $"{text} + {w.ToString(CultureInfo.InvariantCulture)} × cross-entropy with the labels");
            return (distill, text);
        }
        if (options.Distillation == FineTuneOptions.MseDistillation)
            throw new OptionsException("--distill-loss mse needs a teacher whose outputs to match (--teacher).", ["--distill-loss"]);
        if (!data.HasLabels)
            throw new ShrinkException($"{data.Description}: training without a teacher needs labels (cross-entropy); give a teacher model to distill from, or labelled data.");
        return (LossSpec.CrossEntropy(CrossEntropyLabels), "cross-entropy with the labels");
    }

    private static void Update(IOptimizer optimizer, float[][] values, float[][] gradients, long[][] dims, ParameterHint[] hints, double rate, FineTuneOptions options, long step)
    {
        if (options.ClipNorm is double clip)
        {
            double squares = 0;
            foreach (var g in gradients) { double n = TensorPrimitives.Norm(g); squares += n * n; }
            double norm = Math.Sqrt(squares);
            if (norm > clip)
                foreach (var g in gradients) TensorPrimitives.Multiply(g, (float)(clip / norm), g);
        }
        for (int k = 0; k < values.Length; k++)
        {
            var hint = hints[k];
            bool decay = hint.Decay ?? dims[k].Length >= 2;
            optimizer.Step(k, values[k], gradients[k], (float)(rate * hint.LearningRateScale), decay ? (float)options.WeightDecay : 0, step);
            if (hint.Minimum is float min) TensorPrimitives.Max(values[k], min, values[k]);
        }
    }

    /// <summary>A copy of <paramref name="model"/> with the parameters' current values in its initializers.</summary>
    private static OnnxModel WithValues(OnnxModel model, IReadOnlyList<string> parameters, long[][] dims, float[][] values)
    {
        var copy = model.Clone();
        for (int k = 0; k < parameters.Count; k++)
            copy.Graph.SetInitializer(TensorData.FromFloats(parameters[k], dims[k], values[k]));
        return copy;
    }

    private static long CountSamples(IDataSource data)
    {
        long n = 0;
        foreach (var b in data.ReadBatches(1024)) n += b.Count;
        return n;
    }
}
