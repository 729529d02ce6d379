namespace Shrink.Model;

/// <summary>How <see cref="OnnxModel.Save(string, ModelSaveOptions?)"/> writes a model.</summary>
public sealed record ModelSaveOptions
{
    /// <summary>When to write tensor data to an external file.</summary>
    public ExternalDataMode ExternalData { get; init; } = ExternalDataMode.Auto;

    /// <summary>Tensors smaller than this stay inside the model file even when data goes external.</summary>
    public long ExternalMinTensorBytes { get; init; } = 1024;

    /// <summary>In <see cref="ExternalDataMode.Auto"/>, go external when tensor data exceeds this many bytes.</summary>
    public long AutoExternalThresholdBytes { get; init; } = 1_800_000_000;

    /// <summary>The external data file name, relative to the model's folder; default <c>MODEL_FILE.data</c>.</summary>
    public string? ExternalDataFileName { get; init; }
}
