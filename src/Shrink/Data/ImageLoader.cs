using StbImageSharp;

namespace Shrink.Data;

/// <summary>Decodes images into HWC floats of one target size and channel count, reusing its buffers across images.</summary>
internal sealed class ImageLoader(int height, int width, int channels, bool fixedHeight, bool fixedWidth)
{
    private readonly float[] _target = new float[height * width * channels];
    private float[] _source = [];

    /// <summary>The image in <paramref name="file"/> as HWC floats in 0..255; valid until the next call.</summary>
    public ReadOnlySpan<float> Load(string file)
    {
        FileProbe.RequireRegularFile(file, "image");
        ImageResult image;
        try
        {
            image = ImageResult.FromMemory(File.ReadAllBytes(file), ColorComponents.Default);
        }
        catch (Exception e)
        {
            throw new ShrinkException($"{file}: cannot read or decode the image: {e.Message}", e);
        }
        if ((image.Height != height && !fixedHeight) || (image.Width != width && !fixedWidth))
            throw new ShrinkException($"{file}: the image is {image.Height}x{image.Width} (HxW) but the first image is {height}x{width}; " +
                "images of different sizes need a resize target.");
        bool sameSize = image.Height == height && image.Width == width;
        int length = image.Height * image.Width * channels;
        if (!sameSize && _source.Length < length)
            _source = new float[length];
        var converted = (sameSize ? _target : _source).AsSpan(0, length);
        ToChannels(image.Data, (int)image.Comp, converted);
        if (!sameSize)
            BilinearResize.Resize(converted, image.Height, image.Width, _target, height, width, channels);
        return _target;
    }

    /// <summary>The channel count an image decodes to by default: grey (with or without alpha) → 1, else 3.</summary>
    public static int NaturalChannels(ColorComponents components) => components is ColorComponents.Grey or ColorComponents.GreyAlpha ? 1 : 3;

    private void ToChannels(byte[] data, int components, Span<float> dst)
    {
        bool grey = components < 3;
        for (int k = 0, o = 0; o < dst.Length; k += components, o += channels)
        {
            if (channels == 1)
                dst[o] = grey ? data[k] : 0.299f * data[k] + 0.587f * data[k + 1] + 0.114f * data[k + 2];
            else if (grey)
                dst[o] = dst[o + 1] = dst[o + 2] = data[k];
            else
                (dst[o], dst[o + 1], dst[o + 2]) = (data[k], data[k + 1], data[k + 2]);
        }
    }
}
