using Shrink.Data;
using static Shrink.Tests.Data.DataFixtures;

namespace Shrink.Tests.Data;

public sealed class NpyDataSourceTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Npy(string name, string descr, long[] shape, byte[] data, bool fortran = false, int major = 1, bool gzip = false) =>
        Write(_dir.PathOf(name), DataFixtures.Npy(descr, shape, data, fortran, major), gzip);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Float32_rank_3_gets_a_channel_axis_and_keeps_values(int major)
    {
        var values = Enumerable.Range(0, 5 * 2 * 3).Select(i => i * 0.25f - 3f).ToArray();
        string path = Npy("x.npy", "<f4", [5, 2, 3], Bytes(values), major: major);
        var pre = new Preprocessing { Mean = [0.5f], Std = [2f] };
        using var source = new NpyDataSource(path, null, pre, FloatInput(null, 1, 2, 3));

        var batches = source.ReadBatches(2).ToList();
        Assert.Equal([2, 2, 1], batches.Select(b => b.Count));
        Assert.Equal([2L, 1, 2, 3], batches[0].Inputs[0].Shape);
        Assert.Equal(values.Select(v => Normalize(v, 1f, 0.5f, 2f)), batches.SelectMany(b => (float[])b.Inputs[0].Data));
        Assert.False(source.HasLabels);
    }

    [Fact]
    public void Uint8_nchw_applies_mean_and_std_per_channel()
    {
        // Samples [3 channels, 2, 2]: channel c of every sample gets mean[c] and std[c].
        byte[] pixels = Pattern(2 * 3 * 2 * 2);
        string path = Npy("u8.npy", "|u1", [2, 3, 2, 2], pixels);
        float[] mean = [0.485f, 0.456f, 0.406f], std = [0.229f, 0.224f, 0.225f];
        var pre = new Preprocessing { Scale = 1 / 255f, Mean = mean, Std = std };
        using var source = new NpyDataSource(path, null, pre, FloatInput(null, 3, 2, 2));

        var data = (float[])source.ReadBatches(8).Single().Inputs[0].Data;
        var expected = pixels.Select((p, i) => Normalize(p, 1 / 255f, mean[i / 4 % 3], std[i / 4 % 3]));
        Assert.Equal(expected, data);
    }

    [Fact]
    public void Uint8_nhwc_applies_mean_per_last_axis()
    {
        byte[] pixels = Pattern(2 * 2 * 2 * 3);
        string path = Npy("hwc.npy", "|u1", [2, 2, 2, 3], pixels);
        float[] mean = [10f, 20f, 30f];
        var pre = new Preprocessing { Layout = TensorLayout.NHWC, Mean = mean };
        using var source = new NpyDataSource(path, null, pre, FloatInput(null, 2, 2, 3));

        var data = (float[])source.ReadBatches(2).First().Inputs[0].Data;
        Assert.Equal(pixels.Select((p, i) => Normalize(p, 1f, mean[i % 3], 1f)), data);
    }

    [Theory]
    [InlineData("<i8")]
    [InlineData("<i4")]
    [InlineData("|u1")]
    public void Npy_labels_line_up(string descr)
    {
        int[] labels = [3, 1, 4, 1, 5, 9];
        byte[] raw = descr switch
        {
            "<i8" => Bytes(labels.Select(l => (long)l).ToArray()),
            "<i4" => Bytes(labels),
            _ => [.. labels.Select(l => (byte)l)],
        };
        string data = Npy("d.npy", "|u1", [6, 4], Pattern(24));
        string labelsPath = Npy("l.npy", descr, [6], raw);
        using var source = new NpyDataSource(data, labelsPath, new Preprocessing(), FloatInput(null, 4));

        Assert.True(source.HasLabels);
        Assert.Equal(labels, source.ReadBatches(4).SelectMany(b => b.Labels!));
    }

    [Fact]
    public void Idx_labels_work_with_npy_data_and_gzip_is_detected_by_content()
    {
        string data = Npy("d.npy.gz", "|u1", [3, 4], Pattern(12), gzip: true);
        string labels = Write(_dir.PathOf("labels.bin"), Idx(0x801, [3], [7, 8, 9]), gzip: true);
        using var source = new NpyDataSource(data, labels, new Preprocessing(), FloatInput(null, 4));

        var batch = source.ReadBatches(3).Single();
        Assert.Equal([7, 8, 9], batch.Labels!);
        Assert.Equal(Pattern(12).Select(p => (float)p), (float[])batch.Inputs[0].Data);
    }

    [Fact]
    public void Fortran_order_is_rejected()
    {
        string path = Npy("fortran.npy", "<f4", [2, 3], new byte[24], fortran: true);

        var e = Assert.Throws<ShrinkException>(() => new NpyDataSource(path, null, new Preprocessing(), FloatInput(null, 3)));
        Assert.Contains("fortran.npy", e.Message);
        Assert.Contains("Fortran", e.Message);
    }

    [Fact]
    public void Unsupported_dtype_is_named()
    {
        string path = Npy("doubles.npy", "<f8", [2, 3], new byte[48]);

        var e = Assert.Throws<ShrinkException>(() => new NpyDataSource(path, null, new Preprocessing(), FloatInput(null, 3)));
        Assert.Contains("doubles.npy", e.Message);
        Assert.Contains("<f8", e.Message);
    }

    [Fact]
    public void Shape_mismatch_with_the_model_fails_at_open()
    {
        string path = Npy("wide.npy", "<f4", [2, 5], new byte[40]);

        var e = Assert.Throws<ShrinkException>(() => new NpyDataSource(path, null, new Preprocessing(), FloatInput(null, 4)));
        Assert.Contains("wide.npy", e.Message);
        Assert.Contains("[5]", e.Message);
    }

    [Fact]
    public void Truncated_data_is_rejected()
    {
        string path = Npy("short.npy", "<f4", [4, 3], new byte[40]);

        var e = Assert.Throws<ShrinkException>(() => new NpyDataSource(path, null, new Preprocessing(), FloatInput(null, 3)));
        Assert.Contains("short.npy", e.Message);
        Assert.Contains("sample 3", e.Message);
    }

    [Fact]
    public void Two_dimensional_labels_are_rejected()
    {
        string data = Npy("d.npy", "|u1", [2, 2], new byte[4]);
        string labels = Npy("l2.npy", "<i8", [2, 1], new byte[16]);

        var e = Assert.Throws<ShrinkException>(() => new NpyDataSource(data, labels, new Preprocessing(), FloatInput(null, 2)));
        Assert.Contains("l2.npy", e.Message);
    }

    [Fact]
    public void Empty_array_is_an_empty_data_set()
    {
        string path = Npy("empty.npy", "<f4", [0, 3], []);

        var e = Assert.Throws<ShrinkException>(() => new NpyDataSource(path, null, new Preprocessing(), FloatInput(null, 3)));
        Assert.Contains("empty.npy", e.Message);
        Assert.Contains("empty data set", e.Message);
    }
}
