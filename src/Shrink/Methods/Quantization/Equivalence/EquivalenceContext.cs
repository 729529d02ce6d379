using Shrink.Data;

namespace Shrink.Methods.Quantization.Equivalence;

/// <summary>What an <see cref="IEquivalenceTransform"/> may use: its options, the quantization it prepares for, and calibration data.</summary>
public sealed record EquivalenceContext
{
    /// <summary>The options (which transforms, their settings).</summary>
    public required EquivalenceOptions Options { get; init; }

    /// <summary>The quantization that follows (weight grid, activation bits), so a transform can search for what suits it.</summary>
    public required EquivalenceTarget Target { get; init; }

    /// <summary>Calibration data over the prepared model's inputs, fixed batch; null where the method runs without data.</summary>
    public IDataSource? Data { get; init; }

    /// <summary>Samples to read from <see cref="Data"/>.</summary>
    public long Samples { get; init; } = 256;

    /// <summary>Batch size for statistics runs.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Bytes of activations a statistics run may hold (null: the runner's default).</summary>
    public long? MemoryBudgetBytes { get; init; }

    /// <summary>Progress of long steps.</summary>
    public IProgress<ProgressInfo>? Progress { get; init; }

    /// <summary>The model's source name, for messages.</summary>
    public string Source { get; init; } = "model";
}
