namespace Shrink.Model;

/// <summary>Whether a saved model keeps its tensor data in a separate file beside it.</summary>
public enum ExternalDataMode
{
    /// <summary>External only when the model would not fit in one protobuf (about 2 GB).</summary>
    Auto,
    /// <summary>Always move large tensors to the external file.</summary>
    Always,
    /// <summary>Never; a model over 2 GB is then refused.</summary>
    Never,
}
