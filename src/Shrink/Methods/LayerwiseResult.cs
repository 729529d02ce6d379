using Shrink.Model;

namespace Shrink.Methods;

/// <summary>
/// What the results of the layer-wise weight methods (weight-only quantization, sparsity, low rank) share: the model,
/// the options, the pre-processing of the graph, the layers worked on and the ones left as they were, and the calibration run.
/// </summary>
/// <typeparam name="TOptions">The method's options.</typeparam>
/// <typeparam name="TLayer">The per-layer record.</typeparam>
public abstract class LayerwiseResult<TOptions, TLayer> : ICompressionResult
{
    /// <summary>The compressed model.</summary>
    public required OnnxModel Model { get; init; }

    /// <summary>The options used.</summary>
    public required TOptions Options { get; init; }

    /// <summary>Pre-processing that changed the graph (constant promotion, BatchNormalization folding, opset upgrade).</summary>
    public required IReadOnlyList<string> Preprocessing { get; init; }

    /// <summary>The layers the method worked on, in graph order.</summary>
    public required IReadOnlyList<TLayer> Layers { get; init; }

    /// <summary>Calibration summary, or null when no data was used.</summary>
    public string? Calibration { get; init; }

    /// <summary>Seconds spent running the model on calibration data (collecting layer inputs or Hessians).</summary>
    public double CalibrationSeconds { get; init; }
}
