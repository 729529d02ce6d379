using System.Globalization;
using Shrink.Training.Optimizers;
using Shrink.Training.Schedules;

namespace Shrink.Training;

/// <summary>How <see cref="FineTuning.Run"/> trains: epochs, batch, optimizer, schedule, loss mix, checkpoints.</summary>
public sealed record FineTuneOptions
{
    /// <summary>The most samples one step may take (the training graph keeps every activation of the batch alive).</summary>
    public const int MaxBatchSize = 4096;

    /// <summary>The most epochs one run may take.</summary>
    public const int MaxEpochs = 1000;

    /// <summary>Passes over the data.</summary>
    public int Epochs { get; init; } = 1;

    /// <summary>Samples per step (a model whose batch dimension is fixed trains at that size instead, said in the notes).</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>At most this many samples per epoch (null: all of the data).</summary>
    public long? SamplesPerEpoch { get; init; }

    /// <summary>The optimizer's registered name (<see cref="Optimizers.Optimizers"/>).</summary>
    public string Optimizer { get; init; } = "adamw";

    /// <summary>The optimizer's hyper-parameters.</summary>
    public OptimizerSettings OptimizerSettings { get; init; } = new();

    /// <summary>The base learning rate (null: set from the weights' size, see remarks).</summary>
    /// <remarks>
    /// Null (default): for AdamW, 1 % of the median RMS of the weights of two or more dimensions (Adam moves each weight
    /// by about the learning rate per step, so the rate is set relative to the weights' own size), clamped to
    /// [1e-5, 1e-2]; 0.01 for SGD. Measured: resnet8 (median RMS 0.13) gives 1.3e-3, where 1e-3 reached 0.9109 and 1e-4
    /// only 0.9020; tiny_gpt (0.023) gives 2.3e-4, where 1e-3 lost perplexity and 3e-4 / 1e-4 gained it.
    /// </remarks>
    public double? LearningRate { get; init; }

    /// <summary>The learning rate for <paramref name="initialValues"/> (<see cref="LearningRate"/> or its default).</summary>
    public double LearningRateFor(IEnumerable<Model.TensorData> initialValues)
    {
        if (LearningRate is double given) return given;
        if (Optimizer != "adamw") return 0.01;
        var rms = initialValues.Where(t => t.Dims.Count >= 2 && t.ElementCount > 1)
            .Select(t => System.Numerics.Tensors.TensorPrimitives.Norm(t.ToFloatArray()) / Math.Sqrt(t.ElementCount)).Order().ToArray();
        double median = rms.Length == 0 ? 0.1 : rms[rms.Length / 2];
        return Math.Clamp(0.01 * median, 1e-5, 1e-2);
    }

    /// <summary>Decoupled weight decay, applied to parameters of two or more dimensions only (not biases or scales).</summary>
    public double WeightDecay { get; init; }

    /// <summary>The schedule's registered name (<see cref="LearningRateSchedules"/>).</summary>
    public string Schedule { get; init; } = "cosine";

    /// <summary>Steps of linear warm-up before the schedule; null: 3 % of the steps, at least 8 and at most a quarter of them
    /// (Adam's first steps move every weight by about the learning rate whatever its gradient; a transformer fine-tuned at
    /// 1e-3 without warm-up lost 7 % perplexity where 8 warm-up steps kept it).</summary>
    public long? WarmupSteps { get; init; }

    /// <summary>The warm-up steps for a run of <paramref name="totalSteps"/> steps (<see cref="WarmupSteps"/> or its default).</summary>
    public long WarmupFor(long totalSteps) => WarmupSteps ?? Math.Min(totalSteps / 4, Math.Max(8, (long)Math.Ceiling(totalSteps * 0.03)));

    /// <summary>KL divergence from the teacher's logits (<see cref="Distillation"/>), for classifiers and language models.</summary>
    public const string KlDistillation = "kl";

    /// <summary>Mean squared error to the teacher's first output (<see cref="Distillation"/>): feature distillation, for encoders.</summary>
    public const string MseDistillation = "mse";

    /// <summary>
    /// The distillation loss with a teacher: <see cref="KlDistillation"/> (default: the first outputs are logits) or
    /// <see cref="MseDistillation"/> (the first outputs are features, e.g. an encoder's last hidden state, matched
    /// element by element).
    /// </summary>
    public string Distillation { get; init; } = KlDistillation;

    /// <summary>Temperature of the KL distillation loss (used when a teacher is given).</summary>
    public double Temperature { get; init; } = 1;

    /// <summary>
    /// Weight of the cross-entropy with the data's labels, added to the distillation loss (with a teacher); without a
    /// teacher the labels' cross-entropy is the loss and this is ignored. Null: 0 with a teacher.
    /// </summary>
    public double? LabelWeight { get; init; }

    /// <summary>Global gradient-norm clipping (null: none).</summary>
    public double? ClipNorm { get; init; }

    /// <summary>Samples held and shuffled together (bounded memory; the data is read in this order otherwise).</summary>
    public int ShuffleBuffer { get; init; } = 16384;

    /// <summary>The seed of the shuffle (runs with the same seed, data and threads are identical).</summary>
    public int Seed { get; init; }

    /// <summary>Writes the student with the weights so far to this file after every epoch (atomically), when set.</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>Stops after the epoch whose evaluated metric reaches this value (needs an evaluator).</summary>
    public double? StopAtMetric { get; init; }

    /// <summary>ONNX Runtime intra-op threads for the training step and the teacher.</summary>
    public int IntraOpThreads { get; init; } = 1;

    /// <summary>Per-parameter settings (learning-rate scale, lower bound, weight decay), by parameter name.</summary>
    public IReadOnlyDictionary<string, ParameterHint> Hints { get; init; } = new Dictionary<string, ParameterHint>(StringComparer.Ordinal);

    /// <summary>
    /// Values of the student whose gradient is not propagated (<c>Gradients.Build</c>'s stop-gradient values), e.g. the
    /// straight-through rounding of quantization-aware training.
    /// </summary>
    public IReadOnlyCollection<string> StopGradient { get; init; } = [];

    /// <summary>
    /// Recompute cheap forward values (elementwise ops) in the backward pass instead of keeping them alive through the
    /// step: less memory for the same gradients, at the time of the repeated ops.
    /// </summary>
    public bool Recompute { get; init; }

    /// <summary>
    /// The most bytes the forward values kept for the backward pass may take at the training batch (null: no budget).
    /// With a budget the run estimates them (<see cref="ActivationMemory"/>) without and with recomputation before training,
    /// recomputes only when that is needed to fit (<see cref="Recompute"/> forces it), and refuses (OptionsException)
    /// when even recomputation does not fit, naming the estimate and the largest batch that would.
    /// </summary>
    public long? MemoryBudgetBytes { get; init; }

    /// <summary>Refuses (OptionsException) values out of range or names not registered, before any work.</summary>
    public void Validate()
    {
        static string F(double v) => v.ToString(CultureInfo.InvariantCulture);
        if (Epochs is < 1 or > MaxEpochs) throw new OptionsException($"--epochs must be 1..{MaxEpochs}, not {Epochs}.");
        if (BatchSize is < 1 or > MaxBatchSize) throw new OptionsException($"--train-batch must be 1..{MaxBatchSize}, not {BatchSize}.");
        if (SamplesPerEpoch is <= 0) throw new OptionsException($"--train-samples must be positive, not {SamplesPerEpoch}.");
        if (LearningRate is double lr && (!(lr > 0) || lr > 10)) throw new OptionsException($"--lr must be in (0, 10], not {F(lr)}.");
        if (!(WeightDecay >= 0) || WeightDecay > 1) throw new OptionsException($"--weight-decay must be in [0, 1], not {F(WeightDecay)}.");
        if (!(OptimizerSettings.Momentum >= 0) || OptimizerSettings.Momentum >= 1) throw new OptionsException($"--momentum must be in [0, 1), not {F(OptimizerSettings.Momentum)}.");
        if (!(Temperature > 0) || Temperature > 100) throw new OptionsException($"--temperature must be in (0, 100], not {F(Temperature)}.");
        if (LabelWeight is double w && (!(w >= 0) || w > 100)) throw new OptionsException($"--label-weight must be in [0, 100], not {F(w)}.");
        if (ClipNorm is double c && !(c > 0 && double.IsFinite(c))) throw new OptionsException($"--clip-norm must be a positive number, not {F(c)}.");
        if (WarmupSteps < 0) throw new OptionsException($"--lr-warmup must not be negative, not {WarmupSteps}.");
        if (Distillation is not (KlDistillation or MseDistillation))
            throw new OptionsException($"--distill-loss must be {KlDistillation} or {MseDistillation}, not '{Distillation}'.");
        if (MemoryBudgetBytes is <= 0) throw new OptionsException($"--memory-budget must be positive, not {MemoryBudgetBytes} bytes.");
        if (ShuffleBuffer < 1) throw new OptionsException($"--shuffle-buffer must hold at least one sample, not {ShuffleBuffer}.");
        if (IntraOpThreads is < 1 or > 1024) throw new OptionsException($"--threads must be 1..1024, not {IntraOpThreads}.");
        if (!Optimizers.Optimizers.Registry.Contains(Optimizer))
            throw new OptionsException($"--optimizer: unknown optimizer '{Optimizer}'; use one of {string.Join(", ", Optimizers.Optimizers.Registry.Names)}.");
        if (!LearningRateSchedules.Registry.Contains(Schedule))
            throw new OptionsException($"--schedule: unknown learning-rate schedule '{Schedule}'; use one of {string.Join(", ", LearningRateSchedules.Registry.Names)}.");
    }
}
