using System.Globalization;
using Shrink.Methods.Pruning.Importance;

namespace Shrink.Methods.Pruning.Structured;

/// <summary>Typed options of structured channel pruning.</summary>
public sealed record ChannelPruningOptions
{
    /// <summary>Fraction of the <see cref="Target"/> measure to remove, in [0, 1).</summary>
    public double Sparsity { get; init; } = 0.5;

    /// <summary>What <see cref="Sparsity"/> is a fraction of: MACs (default), parameters, or measured latency.</summary>
    public PruningTarget Target { get; init; } = PruningTarget.Macs;

    /// <summary>With <see cref="PruningTarget.Latency"/>: the batch size at which the model is timed.</summary>
    public int LatencyBatchSize { get; init; } = 64;

    /// <summary>
    /// The importance criterion by name (<c>l1</c>, <c>l2</c>, <c>bn-scale</c>, <c>activation</c>, <c>reconstruction</c>).
    /// Not used by the fair schedule, which ranks by its own two scores (utilization and reconstruction).
    /// </summary>
    public string Criterion { get; init; } = "l1";

    /// <summary>Whether weight-norm criteria also sum the consumers' input slices.</summary>
    public bool IncludeConsumers { get; init; }

    /// <summary>How the removal is spread over the groups: a global ranking with a per-group floor (default), a uniform rate, or the fair schedule (tolerance of difference).</summary>
    public PruningSchedule Schedule { get; init; } = PruningSchedule.Global;

    /// <summary>
    /// With the fair schedule: the classes of the calibration samples for the utilization score, the unpruned model's
    /// predictions (default: no labels file needed, and it measures what the pruned model must keep telling apart) or the
    /// data's labels.
    /// </summary>
    public ClassLabelSource FairLabels { get; init; } = ClassLabelSource.Predicted;

    /// <summary>With the global and fair schedules, every group keeps at least this fraction of its channels.</summary>
    public double MinKeepFraction { get; init; } = 0.25;

    /// <summary>
    /// Kept channel counts are multiples of this (halved for groups narrower than twice it); 1 disables rounding. ORT's
    /// blocked (NCHWc) convolutions work in blocks of 16 channels on AVX-512 and 8 on AVX2; other counts are padded to a
    /// block (an 8-output conv costs almost as much as a 16-output one), so 16 is the default.
    /// </summary>
    public int ChannelMultiple { get; init; } = 16;

    /// <summary>
    /// Leave groups narrower than two <see cref="ChannelMultiple"/>s whole instead of rounding them to half multiples:
    /// a 16-channel layer cut to 8 leaves ORT's 16-wide blocked kernels on AVX-512.
    /// </summary>
    public bool KeepNarrowGroupsWhole { get; init; }

    /// <summary>
    /// Explicit kept channel counts, keyed by the name of any node that produces the group (or its output value): these
    /// groups keep exactly that many channels (heads, for an attention group; not rounded), the others are allocated by the
    /// schedule toward the sparsity.
    /// </summary>
    public IReadOnlyDictionary<string, int>? KeptChannels { get; init; }

    /// <summary>
    /// With the global schedule, rank blocks of channels by importance per unit of cost removed rather than by importance
    /// alone. Off by default, also for <see cref="PruningTarget.Latency"/>: on resnet8 ranking by importance per measured
    /// millisecond cut the early high-resolution layers first and lost more accuracy at the same measured speed (0.8860 at
    /// 1.71× against 0.8943 at 1.70× by importance alone).
    /// </summary>
    public bool CostAwareRanking { get; init; }

    /// <summary>
    /// With calibration data, choose which channels a group keeps (once its count is decided) by greedy backward
    /// elimination on the consumers' least-squares reconstruction error (ThiNet-style), instead of keeping the
    /// highest-scoring channels; groups whose consumers cannot be refitted keep their highest scores.
    /// </summary>
    public bool GreedySelection { get; init; } = true;

    /// <summary>Refit each layer whose input lost channels by ridge least squares toward the unpruned model's output (needs data).</summary>
    public bool Reconstruct { get; init; }

    /// <summary>
    /// With <see cref="Reconstruct"/>: where two refittable layers meet at a residual Add (a block's last conv and its
    /// projection shortcut), refit both jointly so that their SUM matches the unpruned sum; other layers feeding an Add
    /// are fitted so that their output plus the other branch's current value matches it.
    /// </summary>
    public bool JointResidualRefit { get; init; } = true;

    /// <summary>Ridge strength relative to the mean diagonal of XᵀX.</summary>
    public double RidgeFactor { get; init; } = 1e-3;

    /// <summary>Most rows (output positions) per layer in a refit; positions are taken at a fixed stride.</summary>
    public long ReconstructionRows { get; init; } = 65_536;

    /// <summary>Calibration samples for data-aware criteria and the refit.</summary>
    public long Samples { get; init; } = 512;

    /// <summary>Batch size while running calibration data (at most: lowered to fit <see cref="MemoryLimitBytes"/>).</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>
    /// Bytes of activations one calibration batch may expose (see <see cref="ChannelCalibrationPlan"/>): the batch is
    /// lowered to fit, from the value shapes measured on one sample. Null: <see cref="Calibration.MemoryBudget.DefaultBytes"/>
    /// (half the available memory, at most 1 GiB).
    /// </summary>
    public long? MemoryLimitBytes { get; init; }

    /// <summary>
    /// Sizes for symbolic input dims (input name → full shape, batch first) of the random sample that measures value shapes
    /// when no calibration data is given, and of the latency timings: a sequence model exported with a dynamic token axis
    /// needs one.
    /// </summary>
    public IReadOnlyDictionary<string, long[]>? ShapeOverrides { get; init; }

    /// <summary>
    /// Checks the values before any work starts: <see cref="OptionsException"/> for what users set (--sparsity,
    /// --channel-multiple, --latency-batch, --memory-limit), <see cref="ShrinkException"/> for the rest, naming the bad one.
    /// </summary>
    public void Validate()
    {
        if (!(Sparsity >= 0 && Sparsity < 1))
            throw new OptionsException(string.Create(CultureInfo.InvariantCulture, $"--sparsity must be in [0, 1), not {Sparsity}."), ["--sparsity"]);
        if (!(MinKeepFraction > 0 && MinKeepFraction <= 1))
            throw new ShrinkException(string.Create(CultureInfo.InvariantCulture, $"channel pruning: the per-layer floor {MinKeepFraction} is outside (0, 1]."));
        if (ChannelMultiple < 1)
            throw new OptionsException("--channel-multiple must be positive.", ["--channel-multiple"]);
        if (Samples < 1 || BatchSize < 1 || ReconstructionRows < 1)
            throw new ShrinkException("channel pruning: samples, batch size and reconstruction rows must be positive.");
        if (LatencyBatchSize < 1)
            throw new OptionsException("--latency-batch must be positive.", ["--latency-batch"]);
        if (MemoryLimitBytes is long m && m < Calibration.MemoryBudget.MinimumBytes)
            throw new OptionsException($"--memory-limit must be at least {Calibration.MemoryBudget.Format(Calibration.MemoryBudget.MinimumBytes)}.", ["--memory-limit"]);
        if (!(RidgeFactor >= 0))
            throw new ShrinkException("channel pruning: the ridge factor must be non-negative.");
    }
}
