namespace Shrink.Data;

/// <summary>The axis order of an image tensor.</summary>
public enum TensorLayout
{
    /// <summary>Batch, channels, height, width (PyTorch's order).</summary>
    NCHW,
    /// <summary>Batch, height, width, channels (TensorFlow's order).</summary>
    NHWC,
}
