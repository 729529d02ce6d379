namespace Shrink.Model;

/// <summary>How <see cref="OnnxModel.Load(string, ModelLoadOptions?)"/> reads a model.</summary>
public sealed record ModelLoadOptions
{
    /// <summary>Bring external tensor data into memory (default). Off: tensors keep their external references.</summary>
    public bool LoadExternalData { get; init; } = true;
}
