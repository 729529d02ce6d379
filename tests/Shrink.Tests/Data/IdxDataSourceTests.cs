using Shrink.Data;
using Shrink.Model;
using static Shrink.Tests.Data.DataFixtures;

namespace Shrink.Tests.Data;

public sealed class IdxDataSourceTests : IDisposable
{
    private const int N = 10, H = 3, W = 4;
    private readonly TempDir _dir = new();
    private readonly byte[] _pixels = Pattern(N * H * W);
    private readonly byte[] _labels = [.. Enumerable.Range(0, N).Select(i => (byte)(9 - i))];

    public void Dispose() => _dir.Dispose();

    private string Images(bool gzip = false, string name = "images-idx3-ubyte") =>
        Write(_dir.PathOf(name + (gzip ? ".gz" : "")), Idx(0x803, [N, H, W], _pixels), gzip);

    private string Labels(int count = N, bool gzip = false) =>
        Write(_dir.PathOf("labels-idx1-ubyte" + (gzip ? ".gz" : "")), Idx(0x801, [(uint)count], _labels[..count]), gzip);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reads_normalised_pixels_in_batches_with_labels(bool gzip)
    {
        var pre = new Preprocessing { Scale = 1 / 255f, Mean = [0.1307f], Std = [0.3081f] };
        using var source = new IdxDataSource(Images(gzip), Labels(gzip: gzip), pre, FloatInput(null, 1, H, W));

        Assert.Equal(N, source.Count);
        Assert.True(source.HasLabels);
        var batches = source.ReadBatches(4).ToList();
        Assert.Equal([4, 4, 2], batches.Select(b => b.Count));
        Assert.Equal([4L, 1, H, W], batches[0].Inputs[0].Shape);
        Assert.Equal([2L, 1, H, W], batches[2].Inputs[0].Shape);
        var values = batches.SelectMany(b => (float[])b.Inputs[0].Data).ToArray();
        Assert.Equal(_pixels.Select(p => Normalize(p, 1 / 255f, 0.1307f, 0.3081f)), values);
        Assert.Equal(_labels.Select(l => (int)l), batches.SelectMany(b => b.Labels!));
        Assert.All(batches, b => Assert.Equal("x", b.Inputs[0].Name));
    }

    [Fact]
    public void Nhwc_puts_the_channel_last_and_every_pass_restarts()
    {
        using var source = new IdxDataSource(Images(), null, new Preprocessing { Layout = TensorLayout.NHWC }, FloatInput(null, H, W, 1));

        var first = source.ReadBatches(3, limit: 5).ToList();
        var second = source.ReadBatches(3, limit: 5).ToList();
        Assert.Equal([3, 2], first.Select(b => b.Count));
        Assert.Equal([3L, H, W, 1], first[0].Inputs[0].Shape);
        Assert.Null(first[0].Labels);
        Assert.Equal(_pixels[..(5 * H * W)].Select(p => (float)p), first.SelectMany(b => (float[])b.Inputs[0].Data));
        Assert.Equal(first.SelectMany(b => (float[])b.Inputs[0].Data), second.SelectMany(b => (float[])b.Inputs[0].Data));
    }

    [Fact]
    public void Flattens_for_a_rank_2_model()
    {
        using var source = new IdxDataSource(Images(), null, new Preprocessing(), FloatInput(null, H * W));

        Assert.Equal([N, (long)H * W], source.ReadBatches(N).Single().Inputs[0].Shape);
    }

    [Fact]
    public void Truncated_raw_file_fails_at_open_naming_the_sample()
    {
        string path = Write(_dir.PathOf("cut-idx3-ubyte"), Idx(0x803, [N, H, W], _pixels[..(7 * H * W + 5)]));

        var e = Assert.Throws<ShrinkException>(() => new IdxDataSource(path, null, new Preprocessing(), FloatInput(null, 1, H, W)));
        Assert.Contains("cut-idx3-ubyte", e.Message);
        Assert.Contains("sample 7 of 10", e.Message);
    }

    [Fact]
    public void Truncated_gzip_file_fails_while_reading_naming_the_sample()
    {
        string path = Write(_dir.PathOf("cut-idx3-ubyte.gz"), Idx(0x803, [N, H, W], _pixels[..(7 * H * W + 5)]), gzip: true);
        using var source = new IdxDataSource(path, null, new Preprocessing(), FloatInput(null, 1, H, W));

        var e = Assert.Throws<ShrinkException>(() => source.ReadBatches(4).ToList());
        Assert.Contains("cut-idx3-ubyte.gz", e.Message);
        Assert.Contains("sample 7", e.Message);
    }

    [Fact]
    public void Wrong_magic_is_rejected()
    {
        string path = Write(_dir.PathOf("bad-magic"), Idx(0x12345678, [N, H, W], _pixels));

        var e = Assert.Throws<ShrinkException>(() => new IdxDataSource(path, null, new Preprocessing(), FloatInput(null, 1, H, W)));
        Assert.Contains("bad-magic", e.Message);
        Assert.Contains("0x12345678", e.Message);
    }

    [Fact]
    public void Non_uint8_element_type_is_rejected()
    {
        string path = Write(_dir.PathOf("floats-idx3"), Idx(0x0D03, [N, H, W], new byte[N * H * W * 4]));

        var e = Assert.Throws<ShrinkException>(() => new IdxDataSource(path, null, new Preprocessing(), FloatInput(null, 1, H, W)));
        Assert.Contains("floats-idx3", e.Message);
        Assert.Contains("0x0D", e.Message);
    }

    [Fact]
    public void Fewer_labels_than_images_names_both_files_and_counts()
    {
        var e = Assert.Throws<ShrinkException>(() => new IdxDataSource(Images(), Labels(count: 6), new Preprocessing(), FloatInput(null, 1, H, W)));
        Assert.Contains("images-idx3-ubyte", e.Message);
        Assert.Contains("labels-idx1-ubyte", e.Message);
        Assert.Contains("6 labels", e.Message);
        Assert.Contains("10 samples", e.Message);
    }

    [Fact]
    public void More_labels_than_images_is_refused_naming_both_files_and_counts()
    {
        // 60,000 training labels given with 10,000 test images used to pass, scoring 10 % against the wrong labels.
        byte[] labels = [.. Enumerable.Range(0, 2 * N).Select(i => (byte)(i % 10))];
        string path = Write(_dir.PathOf("train-labels-idx1-ubyte"), Idx(0x801, [2 * N], labels));

        var e = Assert.Throws<ShrinkException>(() => new IdxDataSource(Images(), path, new Preprocessing(), FloatInput(null, 1, H, W)));
        Assert.Contains("train-labels-idx1-ubyte", e.Message);
        Assert.Contains("images-idx3-ubyte", e.Message);
        Assert.Contains($"{2 * N} labels", e.Message);
        Assert.Contains($"{N} samples", e.Message);
    }

    [Fact]
    public void Labels_file_must_be_1d_uint8()
    {
        string labels = Write(_dir.PathOf("labels-as-images"), Idx(0x803, [N, 1, 1], _labels));

        var e = Assert.Throws<ShrinkException>(() => new IdxDataSource(Images(), labels, new Preprocessing(), FloatInput(null, 1, H, W)));
        Assert.Contains("labels-as-images", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Absurd_dims_are_rejected_at_open(bool gzip)
    {
        string path = Write(_dir.PathOf("absurd" + (gzip ? ".gz" : "")), Idx(0x803, [60000, 100000, 100000], _pixels), gzip);

        var e = Assert.Throws<ShrinkException>(() => new IdxDataSource(path, null, new Preprocessing(), FloatInput(null, 1, null, null)));
        Assert.Contains("absurd", e.Message);
    }

    [Fact]
    public void Overflowing_dims_are_rejected()
    {
        string path = Write(_dir.PathOf("overflow"), Idx(0x804, [uint.MaxValue, uint.MaxValue, uint.MaxValue, uint.MaxValue], _pixels));

        var e = Assert.Throws<ShrinkException>(() => new IdxDataSource(path, null, new Preprocessing(), FloatInput()));
        Assert.Contains("overflow", e.Message);
        Assert.Contains("too large", e.Message);
    }

    [Fact]
    public void Zero_samples_is_an_empty_data_set()
    {
        string path = Write(_dir.PathOf("none-idx3-ubyte"), Idx(0x803, [0, H, W], []));

        var e = Assert.Throws<ShrinkException>(() => new IdxDataSource(path, null, new Preprocessing(), FloatInput(null, 1, H, W)));
        Assert.Contains("none-idx3-ubyte", e.Message);
        Assert.Contains("empty data set", e.Message);
    }

    [Fact]
    public void Shape_mismatch_with_the_model_fails_at_open()
    {
        var e = Assert.Throws<ShrinkException>(() => new IdxDataSource(Images(), null, new Preprocessing(), FloatInput(null, 1, 28, 28)));
        Assert.Contains("images-idx3-ubyte", e.Message);
        Assert.Contains("[batch,1,28,28]", e.Message);
    }

    [Fact]
    public void Non_float_model_input_fails_at_open()
    {
        var e = Assert.Throws<ShrinkException>(() => new IdxDataSource(Images(), null, new Preprocessing(), Input("ids", ElementType.Int64, null, 1, H, W)));
        Assert.Contains("images-idx3-ubyte", e.Message);
        Assert.Contains("'ids'", e.Message);
        Assert.Contains("int64", e.Message);
    }

    [Fact]
    public void Mean_with_more_values_than_channels_is_rejected()
    {
        var pre = new Preprocessing { Mean = [0.4f, 0.5f, 0.6f] };

        var e = Assert.Throws<ShrinkException>(() => new IdxDataSource(Images(), null, pre, FloatInput(null, 1, H, W)));
        Assert.Contains("images-idx3-ubyte", e.Message);
        Assert.Contains("1 channel", e.Message);
    }

    [Fact]
    public void Zero_std_is_rejected()
    {
        var e = Assert.Throws<ShrinkException>(() => new IdxDataSource(Images(), null, new Preprocessing { Std = [0f] }, FloatInput(null, 1, H, W)));
        Assert.Contains("images-idx3-ubyte", e.Message);
        Assert.Contains("std", e.Message);
    }
}
