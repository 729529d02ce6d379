using Shrink.Data;
using Shrink.Model;
using static Shrink.Tests.Data.DataFixtures;
using static Shrink.Tests.Data.NamedArrayFixtures;

namespace Shrink.Tests.Data;

public sealed class NamedArraysDataSourceTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly ModelInputSpec[] XAndT = [Input("x", ElementType.Float, null, 4), Input("t", ElementType.Int64, [null])];

    private static float[] Xs(int n) => [.. Enumerable.Range(0, n * 4).Select(i => i * 0.25f - 3)];

    private static long[] Ts(int n) => [.. Enumerable.Range(0, n).Select(i => (long)(i * 50))];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Npz_stored_or_compressed_feeds_each_input_by_name_in_batches(bool compressed)
    {
        string path = Npz(_dir.PathOf("d.npz"), compressed, ("x", Npy("<f4", [5, 4], Bytes(Xs(5)))), ("t", Npy("<i8", [5], Bytes(Ts(5)))));

        using var source = DataSourceFactory.Open(path, new DataOptions(), XAndT);

        Assert.Equal(5, source.Count);
        var batches = source.ReadBatches(2).ToList();
        Assert.Equal([2, 2, 1], batches.Select(b => b.Count));
        Assert.Equal([2L, 4], batches[0].Inputs.Single(t => t.Name == "x").Shape);
        Assert.Equal([2L], batches[0].Inputs.Single(t => t.Name == "t").Shape);
        Assert.Equal(Xs(5), batches.SelectMany(b => (float[])b.Inputs.Single(t => t.Name == "x").Data));
        Assert.Equal(Ts(5), batches.SelectMany(b => (long[])b.Inputs.Single(t => t.Name == "t").Data));
        // A second pass reads the same values again.
        Assert.Equal(Ts(5), source.ReadBatches(3).SelectMany(b => (long[])b.Inputs.Single(t => t.Name == "t").Data));
    }

    [Fact]
    public void Numpy_defaults_float64_and_int32_are_converted_to_the_input_types()
    {
        double[] x = [.. Xs(3).Select(v => (double)v)];
        string path = Npz(_dir.PathOf("d.npz"), false, ("x", Npy("<f8", [3, 4], Bytes(x))), ("t", Npy("<i4", [3], Bytes(new[] { 7, 8, 9 }))));

        using var source = DataSourceFactory.Open(path, new DataOptions(), XAndT);

        var batch = source.ReadBatches(8).Single();
        Assert.Equal(Xs(3), (float[])batch.Inputs.Single(t => t.Name == "x").Data);
        Assert.Equal([7L, 8, 9], (long[])batch.Inputs.Single(t => t.Name == "t").Data);
    }

    [Fact]
    public void A_folder_of_input_name_npy_files_is_read_like_an_npz_and_may_hold_labels()
    {
        Write(_dir.PathOf("set", "x.npy"), Npy("<f4", [3, 4], Bytes(Xs(3))));
        Write(_dir.PathOf("set", "t.npy.gz"), Npy("<i8", [3], Bytes(Ts(3))), gzip: true);
        Write(_dir.PathOf("set", "labels.npy"), Npy("|u1", [3], [2, 0, 1]));

        using var source = DataSourceFactory.Open(_dir.PathOf("set"), new DataOptions(), XAndT);

        Assert.True(source.HasLabels);
        var batch = source.ReadBatches(4).Single();
        Assert.Equal([2, 0, 1], batch.Labels!);
        Assert.Equal(Ts(3), (long[])batch.Inputs.Single(t => t.Name == "t").Data);
        Assert.Contains("NumPy folder", source.Description);
    }

    [Fact]
    public void An_unknown_array_is_refused_naming_the_model_inputs()
    {
        string path = Npz(_dir.PathOf("d.npz"), false, ("x", Npy("<f4", [2, 4], Bytes(Xs(2)))), ("timestep", Npy("<i8", [2], Bytes(Ts(2)))));

        var error = Assert.Throws<ShrinkException>(() => DataSourceFactory.Open(path, new DataOptions(), XAndT));

        Assert.Contains("d.npz:timestep.npy", error.Message);
        Assert.Contains("'x', 't'", error.Message);
    }

    [Fact]
    public void A_missing_input_that_cannot_be_derived_is_refused_naming_it()
    {
        string path = Npz(_dir.PathOf("d.npz"), false, ("x", Npy("<f4", [2, 4], Bytes(Xs(2)))));

        var error = Assert.Throws<ShrinkException>(() => DataSourceFactory.Open(path, new DataOptions(), XAndT));

        Assert.Contains("d.npz", error.Message);
        Assert.Contains("'t'", error.Message);
        Assert.Contains("cannot be derived", error.Message);
    }

    [Fact]
    public void Floats_for_an_int64_input_are_refused_naming_the_file_and_the_input()
    {
        string path = Npz(_dir.PathOf("d.npz"), false, ("x", Npy("<f4", [2, 4], Bytes(Xs(2)))), ("t", Npy("<f4", [2], Bytes(new float[] { 1, 2 }))));

        var error = Assert.Throws<ShrinkException>(() => DataSourceFactory.Open(path, new DataOptions(), XAndT));

        Assert.Contains("d.npz:t.npy", error.Message);
        Assert.Contains("float32", error.Message);
        Assert.Contains("int64", error.Message);
    }

    [Fact]
    public void A_wrong_rank_or_shape_is_refused_with_the_shape_the_input_expects()
    {
        string rank = Npz(_dir.PathOf("rank.npz"), false, ("x", Npy("<f4", [2, 1, 4], Bytes(Xs(2)))), ("t", Npy("<i8", [2], Bytes(Ts(2)))));
        string width = Npz(_dir.PathOf("width.npz"), false, ("x", Npy("<f4", [2, 8], Bytes(Xs(4)))), ("t", Npy("<i8", [2], Bytes(Ts(2)))));

        var rankError = Assert.Throws<ShrinkException>(() => DataSourceFactory.Open(rank, new DataOptions(), XAndT));
        var widthError = Assert.Throws<ShrinkException>(() => DataSourceFactory.Open(width, new DataOptions(), XAndT));

        Assert.Contains("[1,4]", rankError.Message);
        Assert.Contains("[batch,4]", rankError.Message);
        Assert.Contains("[8]", widthError.Message);
        Assert.Contains("'x'", widthError.Message);
    }

    [Fact]
    public void Arrays_with_different_sample_counts_are_refused_naming_both()
    {
        string path = Npz(_dir.PathOf("d.npz"), false, ("x", Npy("<f4", [3, 4], Bytes(Xs(3)))), ("t", Npy("<i8", [2], Bytes(Ts(2)))));

        var error = Assert.Throws<ShrinkException>(() => DataSourceFactory.Open(path, new DataOptions(), XAndT));

        Assert.Contains("'x' has 3", error.Message);
        Assert.Contains("'t' has 2", error.Message);
    }

    [Fact]
    public void Corrupt_archives_and_members_are_refused_naming_the_file()
    {
        string notZip = Write(_dir.PathOf("bad.npz"), "not a zip archive at all"u8.ToArray());
        string text = Npz(_dir.PathOf("text.npz"), false, ("x", "hello"u8.ToArray()));
        string bigEndian = Npz(_dir.PathOf("be.npz"), false, ("x", Npy(">f4", [2, 4], new byte[32])), ("t", Npy("<i8", [2], Bytes(Ts(2)))));
        string truncated = Npz(_dir.PathOf("short.npz"), false, ("x", Npy("<f4", [9, 4], Bytes(Xs(2)))), ("t", Npy("<i8", [9], Bytes(Ts(9)))));

        Assert.Contains("bad.npz", Assert.Throws<ShrinkException>(() => DataSourceFactory.Open(notZip, new DataOptions(), XAndT)).Message);
        Assert.Contains("text.npz:x.npy", Assert.Throws<ShrinkException>(() => DataSourceFactory.Open(text, new DataOptions(), XAndT)).Message);
        Assert.Contains(">f4", Assert.Throws<ShrinkException>(() => DataSourceFactory.Open(bigEndian, new DataOptions(), XAndT)).Message);
        Assert.Contains("short.npz:x.npy", Assert.Throws<ShrinkException>(() => DataSourceFactory.Open(truncated, new DataOptions(), XAndT)).Message);
    }

    [Fact]
    public void Integer_values_beyond_an_int32_input_and_non_binary_bools_are_refused()
    {
        ModelInputSpec[] inputs = [Input("ids", ElementType.Int32, null, 2), Input("flags", ElementType.Bool, null, 2)];
        string big = Npz(_dir.PathOf("big.npz"), false, ("ids", Npy("<i8", [1, 2], Bytes(new[] { 1L, 1L << 40 }))), ("flags", Npy("|b1", [1, 2], [1, 0])));
        string two = Npz(_dir.PathOf("two.npz"), false, ("ids", Npy("<i8", [1, 2], Bytes(new[] { 1L, 2 }))), ("flags", Npy("|u1", [1, 2], [1, 2])));
        string good = Npz(_dir.PathOf("good.npz"), false, ("ids", Npy("<i8", [1, 2], Bytes(new[] { 1L, 2 }))), ("flags", Npy("|u1", [1, 2], [1, 0])));

        using var bigSource = DataSourceFactory.Open(big, new DataOptions(), inputs);
        Assert.Contains("'ids'", Assert.Throws<ShrinkException>(() => bigSource.ReadBatches(1).ToList()).Message);
        using var twoSource = DataSourceFactory.Open(two, new DataOptions(), inputs);
        Assert.Contains("'flags'", Assert.Throws<ShrinkException>(() => twoSource.ReadBatches(1).ToList()).Message);
        using var goodSource = DataSourceFactory.Open(good, new DataOptions(), inputs);
        var batch = goodSource.ReadBatches(1).Single();
        Assert.Equal([true, false], (bool[])batch.Inputs.Single(t => t.Name == "flags").Data);
        Assert.Equal([1, 2], (int[])batch.Inputs.Single(t => t.Name == "ids").Data);
    }

    [Fact]
    public void Samples_are_moved_to_an_inputs_batch_axis_and_a_0d_array_feeds_a_scalar()
    {
        // h [2 layers, batch, 3]: the file stacks samples first, [n, 2, 3]; the batch puts them on axis 1.
        ModelInputSpec[] inputs = [Input("h", ElementType.Float, 2, null, 3) with { BatchAxis = 1 }, Input("rate", ElementType.Float) with { IsScalar = true, BatchAxis = -1 }];
        float[] h = [.. Enumerable.Range(0, 2 * 2 * 3).Select(i => (float)i)];
        string path = Npz(_dir.PathOf("d.npz"), false, ("h", Npy("<f4", [2, 2, 3], Bytes(h))), ("rate", Npy("<f8", [], Bytes(new[] { 16000.0 }))));

        using var source = DataSourceFactory.Open(path, new DataOptions(), inputs);

        var batch = source.ReadBatches(2).Single();
        var state = batch.Inputs.Single(t => t.Name == "h");
        Assert.Equal([2L, 2, 3], state.Shape);
        Assert.Equal(1, state.BatchAxis);
        // [layer0 of sample0, layer0 of sample1, layer1 of sample0, layer1 of sample1]
        Assert.Equal([0f, 1, 2, 6, 7, 8, 3, 4, 5, 9, 10, 11], (float[])state.Data);
        var rate = batch.Inputs.Single(t => t.Name == "rate");
        Assert.Empty(rate.Shape);
        Assert.Equal([16000f], (float[])rate.Data);
    }

    [Fact]
    public void Labels_flag_is_refused_for_arrays_by_name()
    {
        string path = Npz(_dir.PathOf("d.npz"), false, ("x", Npy("<f4", [2, 4], Bytes(Xs(2)))), ("t", Npy("<i8", [2], Bytes(Ts(2)))));
        string labels = Write(_dir.PathOf("l.npy"), Npy("|u1", [2], [0, 1]));

        var error = Assert.Throws<ShrinkException>(() => DataSourceFactory.Open(path, new DataOptions { LabelsPath = labels }, XAndT));

        Assert.Contains("'labels'", error.Message);
    }
}
