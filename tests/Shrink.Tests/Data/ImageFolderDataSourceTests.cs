using Shrink.Data;
using StbImageWriteSharp;
using static Shrink.Tests.Data.DataFixtures;

namespace Shrink.Tests.Data;

public sealed class ImageFolderDataSourceTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Grey(string relative, byte[] pixels, int width, int height) =>
        WritePng(_dir.PathOf(relative), pixels, width, height, ColorComponents.Grey);

    [Fact]
    public void Labels_follow_sorted_subfolders_and_pixels_are_exact()
    {
        byte[] a = [0, 10, 20, 30, 40, 50], b = [60, 70, 80, 90, 100, 110], c = [255, 1, 2, 3, 4, 5];
        Grey("dog/1.png", c, 3, 2);
        Grey("cat/2.PNG", b, 3, 2);
        Grey("cat/1.png", a, 3, 2);
        File.WriteAllText(_dir.PathOf("cat", "notes.txt"), "not an image");
        var pre = new Preprocessing { Scale = 1 / 255f, Mean = [0.5f], Std = [0.5f] };
        using var source = new ImageFolderDataSource(_dir.Root, pre, FloatInput(null, 1, 2, 3));

        Assert.Equal(3, source.Count);
        Assert.Equal(["cat", "dog"], source.ClassNames);
        var batches = source.ReadBatches(2).ToList();
        Assert.Equal([2, 1], batches.Select(x => x.Count));
        Assert.Equal([0, 0, 1], batches.SelectMany(x => x.Labels!));
        Assert.Equal([2L, 1, 2, 3], batches[0].Inputs[0].Shape);
        var expected = a.Concat(b).Concat(c).Select(p => Normalize(p, 1 / 255f, 0.5f, 0.5f));
        Assert.Equal(expected, batches.SelectMany(x => (float[])x.Inputs[0].Data));
    }

    [Fact]
    public void Grayscale_uses_luma_weights()
    {
        byte[] rgb = [200, 100, 50, 0, 255, 10];
        WritePng(_dir.PathOf("only", "rgb.png"), rgb, 2, 1, ColorComponents.RedGreenBlue);
        using var source = new ImageFolderDataSource(_dir.Root, new Preprocessing { Color = ColorMode.Grayscale }, FloatInput(null, 1, 1, 2));

        var data = (float[])source.ReadBatches(1).Single().Inputs[0].Data;
        Assert.Equal([0.299f * 200 + 0.587f * 100 + 0.114f * 50, 0.299f * 0 + 0.587f * 255 + 0.114f * 10], data);
    }

    [Fact]
    public void Keep_follows_the_models_channels_and_nchw_is_planar()
    {
        Grey("a/g.png", [5, 6], 2, 1);
        WritePng(_dir.PathOf("b", "c.png"), [1, 2, 3, 4, 5, 6], 2, 1, ColorComponents.RedGreenBlue);
        using var source = new ImageFolderDataSource(_dir.Root, new Preprocessing(), FloatInput(null, 3, null, null));

        var batch = source.ReadBatches(2).Single();
        Assert.Equal([2L, 3, 1, 2], batch.Inputs[0].Shape);
        Assert.Equal([5f, 6, 5, 6, 5, 6, 1, 4, 2, 5, 3, 6], (float[])batch.Inputs[0].Data);
    }

    [Fact]
    public void Nhwc_keeps_pixels_interleaved_with_per_channel_mean()
    {
        WritePng(_dir.PathOf("k", "c.png"), [1, 2, 3, 4, 5, 6], 2, 1, ColorComponents.RedGreenBlue);
        var pre = new Preprocessing { Layout = TensorLayout.NHWC, Mean = [1f, 2f, 3f] };
        using var source = new ImageFolderDataSource(_dir.Root, pre, FloatInput(null, 1, 2, 3));

        var batch = source.ReadBatches(1).Single();
        Assert.Equal([1L, 1, 2, 3], batch.Inputs[0].Shape);
        Assert.Equal([0f, 0, 0, 3, 3, 3], (float[])batch.Inputs[0].Data);
    }

    [Fact]
    public void Resizes_bilinearly_with_half_pixel_centres()
    {
        Grey("c/row.png", [0, 100], 2, 1);
        var pre = new Preprocessing { ResizeHeight = 1, ResizeWidth = 4 };
        using var source = new ImageFolderDataSource(_dir.Root, pre, FloatInput(null, 1, null, null));

        var batch = source.ReadBatches(1).Single();
        Assert.Equal([1L, 1, 1, 4], batch.Inputs[0].Shape);
        Assert.Equal([0f, 25, 75, 100], (float[])batch.Inputs[0].Data);
    }

    [Fact]
    public void Resizes_to_the_models_fixed_size_when_no_target_is_set()
    {
        Grey("c/big.png", Pattern(36), 6, 6);
        Grey("c/small.png", Pattern(4), 2, 2);
        using var source = new ImageFolderDataSource(_dir.Root, new Preprocessing(), FloatInput(null, 1, 3, 3));

        var batch = source.ReadBatches(4).Single();
        Assert.Equal([2L, 1, 3, 3], batch.Inputs[0].Shape);
    }

    [Fact]
    public void Jpeg_files_are_read_case_insensitively()
    {
        using (var file = File.Create(_dir.PathOf("photo.JPEG")))
            new ImageWriter().WriteJpg(Pattern(8 * 8 * 3), 8, 8, ColorComponents.RedGreenBlue, file, 90);
        using var source = new ImageFolderDataSource(_dir.Root, new Preprocessing(), FloatInput(null, 3, 8, 8));

        Assert.False(source.HasLabels);
        var batch = source.ReadBatches(1).Single();
        Assert.Null(batch.Labels);
        Assert.Equal([1L, 3, 8, 8], batch.Inputs[0].Shape);
    }

    [Fact]
    public void Images_of_different_sizes_without_a_target_fail_naming_the_file()
    {
        Grey("c/a.png", Pattern(4), 2, 2);
        Grey("c/b.png", Pattern(9), 3, 3);
        using var source = new ImageFolderDataSource(_dir.Root, new Preprocessing(), FloatInput(null, 1, null, null));

        var e = Assert.Throws<ShrinkException>(() => source.ReadBatches(2).ToList());
        Assert.Contains("b.png", e.Message);
    }

    [Fact]
    public void Undecodable_image_is_named()
    {
        Grey("c/a.png", Pattern(4), 2, 2);
        File.WriteAllBytes(_dir.PathOf("c", "broken.png"), [1, 2, 3, 4, 5]);
        using var source = new ImageFolderDataSource(_dir.Root, new Preprocessing(), FloatInput(null, 1, 2, 2));

        var e = Assert.Throws<ShrinkException>(() => source.ReadBatches(2).ToList());
        Assert.Contains("broken.png", e.Message);
    }

    [Fact]
    public void Empty_folder_is_rejected()
    {
        Directory.CreateDirectory(_dir.PathOf("empty-class"));

        var e = Assert.Throws<ShrinkException>(() => new ImageFolderDataSource(_dir.Root, new Preprocessing(), FloatInput(null, 1, 2, 2)));
        Assert.Contains(_dir.Root, e.Message);
        Assert.Contains("empty data set", e.Message);
    }

    [Fact]
    public void Channel_mismatch_with_the_model_fails_at_open()
    {
        Grey("c/a.png", Pattern(4), 2, 2);

        var e = Assert.Throws<ShrinkException>(() => new ImageFolderDataSource(_dir.Root, new Preprocessing { Color = ColorMode.Rgb }, FloatInput(null, 1, 2, 2)));
        Assert.Contains(_dir.Root, e.Message);
        Assert.Contains("'x'", e.Message);
    }
}
