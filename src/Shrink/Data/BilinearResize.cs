namespace Shrink.Data;

/// <summary>Bilinear resizing of interleaved HWC float images with half-pixel centres and edge clamping (no antialiasing).</summary>
internal static class BilinearResize
{
    public static void Resize(ReadOnlySpan<float> src, int srcHeight, int srcWidth, Span<float> dst, int dstHeight, int dstWidth, int channels)
    {
        float scaleY = (float)srcHeight / dstHeight, scaleX = (float)srcWidth / dstWidth;
        int srcRow = srcWidth * channels;
        for (int y = 0; y < dstHeight; y++)
        {
            var (y0, y1, fy) = Source(y, scaleY, srcHeight);
            var top = src.Slice(y0 * srcRow, srcRow);
            var bottom = src.Slice(y1 * srcRow, srcRow);
            var row = dst.Slice(y * dstWidth * channels, dstWidth * channels);
            for (int x = 0; x < dstWidth; x++)
            {
                var (x0, x1, fx) = Source(x, scaleX, srcWidth);
                for (int c = 0; c < channels; c++)
                {
                    float t = top[x0 * channels + c] * (1 - fx) + top[x1 * channels + c] * fx;
                    float b = bottom[x0 * channels + c] * (1 - fx) + bottom[x1 * channels + c] * fx;
                    row[x * channels + c] = t * (1 - fy) + b * fy;
                }
            }
        }
    }

    /// <summary>The two source indices around destination index <paramref name="d"/> and the weight of the second.</summary>
    private static (int I0, int I1, float F) Source(int d, float scale, int size)
    {
        float s = Math.Clamp((d + 0.5f) * scale - 0.5f, 0f, size - 1);
        int i0 = (int)s;
        return (i0, Math.Min(i0 + 1, size - 1), s - i0);
    }
}
