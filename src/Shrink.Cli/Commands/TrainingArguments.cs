using System.CommandLine;
using Shrink.Training;
using Shrink.Training.Optimizers;
using Shrink.Training.Schedules;

namespace Shrink.Cli.Commands;

/// <summary>
/// The training options shared by <c>finetune</c>, <c>prune --finetune</c> and <c>quantize --qat</c>, bound to
/// <see cref="FineTuneOptions"/> (which validates them before any work).
/// </summary>
internal sealed class TrainingArguments
{
    private static readonly FineTuneOptions Defaults = new();

    public TrainingArguments() => Distillation.AcceptOnlyFromAmong(FineTuneOptions.KlDistillation, FineTuneOptions.MseDistillation);

    public Option<int> Epochs { get; } = new("--epochs") { Description = "Passes over the training data", DefaultValueFactory = _ => Defaults.Epochs };
    public Option<int> Batch { get; } = new("--train-batch") { Description = "Samples per training step", DefaultValueFactory = _ => Defaults.BatchSize };
    public Option<double?> LearningRate { get; } = new("--lr") { Description = "Base learning rate (default: for adamw 1 % of the weights' median RMS, e.g. 1.3e-3 for resnet8, 2.3e-4 for tiny_gpt; 0.01 for sgd)" };
    public Option<string> Optimizer { get; } = new Option<string>("--optimizer") { Description = $"Optimizer: {RegistryChoices.Describe(Optimizers.Registry.Entries)}", DefaultValueFactory = _ => Defaults.Optimizer }.Choices(Optimizers.Registry.Entries);
    public Option<string> Schedule { get; } = new Option<string>("--lr-schedule") { Description = $"Learning-rate schedule: {RegistryChoices.Describe(LearningRateSchedules.Registry.Entries)}", DefaultValueFactory = _ => Defaults.Schedule }.Choices(LearningRateSchedules.Registry.Entries);
    public Option<double> Momentum { get; } = new("--momentum") { Description = "SGD momentum", DefaultValueFactory = _ => Defaults.OptimizerSettings.Momentum };
    public Option<double> WeightDecay { get; } = new("--weight-decay") { Description = "Decoupled weight decay (weights of 2+ dimensions only)", DefaultValueFactory = _ => Defaults.WeightDecay };
    public Option<long?> Warmup { get; } = new("--lr-warmup") { Description = "Steps of linear learning-rate warm-up (default: 3 % of the steps, at least 8 and at most a quarter)" };
    public Option<string> Distillation { get; } = new Option<string>("--distill-loss") { Description = "Distillation loss with a teacher: kl (KL divergence from its logits) or mse (mean squared error to its first output: feature distillation, e.g. an encoder's hidden states)", DefaultValueFactory = _ => Defaults.Distillation };
    public Option<double> Temperature { get; } = new("--temperature") { Description = "Distillation temperature (KL from the teacher's logits)", DefaultValueFactory = _ => Defaults.Temperature };
    public Option<double?> LabelWeight { get; } = new("--label-weight") { Description = "With a teacher and labelled data: add this weight × the labels' cross-entropy to the distillation loss (default 0)" };
    public Option<double?> ClipNorm { get; } = new("--clip-norm") { Description = "Clip the global gradient norm to this (default: no clipping)" };
    public Option<long?> Samples { get; } = new("--train-samples") { Description = "Train on at most this many samples per epoch (default: all of --data)" };
    public Option<int> Shuffle { get; } = new("--shuffle-buffer") { Description = "Samples shuffled together (memory is bounded by this many samples)", DefaultValueFactory = _ => Defaults.ShuffleBuffer };
    public Option<int> Seed { get; } = new("--train-seed") { Description = "Seed of the shuffle (the same seed, data and threads give the same model)", DefaultValueFactory = _ => Defaults.Seed };
    public Option<int> Threads { get; } = new("--train-threads") { Description = "ONNX Runtime intra-op threads for training", DefaultValueFactory = _ => Defaults.IntraOpThreads };
    public Option<string?> Checkpoint { get; } = new("--checkpoint") { Description = "Write the model with the weights so far to this file after every epoch (atomically)" };
    public Option<double?> StopAt { get; } = new("--stop-at") { Description = "Stop after the epoch whose accuracy on --eval-data reaches this (needs labelled --eval-data)" };
    public Option<bool> Recompute { get; } = new("--recompute") { Description = "Recompute cheap forward values (elementwise ops) in the backward pass instead of keeping them through the step: less memory, the same gradients, some more time" };

    public Option<long?> MemoryBudget { get; } = new("--memory-budget") { Description = "MiB that the training step's activations may take at their peak at --train-batch (the forward values kept for the backward pass and the backward pass's own; the process measured 2-4x this on the reference models): estimated before training, recomputation turned on only when needed to fit, the run refused when even that does not fit (default: no budget)" };

    public IEnumerable<Option> All => [Epochs, Batch, LearningRate, Optimizer, Schedule, Momentum, WeightDecay, Warmup, Distillation, Temperature, LabelWeight, ClipNorm, Samples, Shuffle, Seed, Threads, Checkpoint, StopAt, Recompute, MemoryBudget];

    public void AddTo(Command command)
    {
        foreach (var o in All) command.Add(o);
    }

    /// <summary>Binds and validates the options (usage errors name them).</summary>
    public FineTuneOptions Bind(ParseResult parse)
    {
        var options = new FineTuneOptions
        {
            Epochs = parse.GetValue(Epochs),
            BatchSize = parse.GetValue(Batch),
            LearningRate = parse.GetValue(LearningRate),
            Optimizer = parse.GetValue(Optimizer)!,
            Schedule = parse.GetValue(Schedule)!,
            OptimizerSettings = new OptimizerSettings { Momentum = parse.GetValue(Momentum) },
            WeightDecay = parse.GetValue(WeightDecay),
            WarmupSteps = parse.GetValue(Warmup),
            Distillation = parse.GetValue(Distillation)!,
            Temperature = parse.GetValue(Temperature),
            LabelWeight = parse.GetValue(LabelWeight),
            ClipNorm = parse.GetValue(ClipNorm),
            SamplesPerEpoch = parse.GetValue(Samples),
            Recompute = parse.GetValue(Recompute),
            MemoryBudgetBytes = parse.GetValue(MemoryBudget) is long mib ? MebibytesToBytes(mib) : null,
            ShuffleBuffer = parse.GetValue(Shuffle),
            Seed = parse.GetValue(Seed),
            IntraOpThreads = parse.GetValue(Threads),
            CheckpointPath = parse.GetValue(Checkpoint),
            StopAtMetric = parse.GetValue(StopAt),
        };
        options.Validate();
        return options;
    }

    private static long MebibytesToBytes(long mib)
    {
        if (mib is <= 0 or > 1L << 30) throw new UsageException($"--memory-budget must be 1..{1L << 30} MiB, not {mib}.");
        return mib * 1048576;
    }
}
