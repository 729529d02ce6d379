using Shrink.Data;
using Shrink.Layers;
using Shrink.Model;

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

    /// <summary>
    /// The weight the quantization that follows gives a layer: called with the layer and its float weight as a
    /// [Rows × Cols] matrix (<see cref="WeightLayer.ReadMatrix"/>), it returns the dequantized weight in the same layout,
    /// or null where the quantizer leaves that layer in float. Bias correction needs it to know the error it corrects
    /// (the static and weight-only quantizers give it); null where no transform that needs it runs.
    /// </summary>
    public Func<WeightLayer, float[], float[]?>? RoundWeight { get; init; }

    /// <summary>
    /// The user's model before preparation (read only), for what preparation folds away: the BatchNormalization
    /// statistics analytic bias correction reads (a folded BN's output keeps its name). Null where not given.
    /// </summary>
    public OnnxModel? Original { get; init; }

    /// <summary>Nodes the transforms before this one inserted to stay in float (online rotations): not layers to quantize.</summary>
    public IReadOnlySet<string> FloatNodes { get; init; } = new HashSet<string>();

    /// <summary>The model's source name, for messages.</summary>
    public string Source { get; init; } = "model";
}
