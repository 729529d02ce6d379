namespace Shrink.Data;

/// <summary>How decoded images are converted before they are fed to the model.</summary>
public enum ColorMode
{
    /// <summary>Use the model's channel count when it declares one, else the image's own (1 or 3).</summary>
    Keep,
    /// <summary>One channel: luma 0.299 R + 0.587 G + 0.114 B.</summary>
    Grayscale,
    /// <summary>Three channels, R, G, B.</summary>
    Rgb,
}
