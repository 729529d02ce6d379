using Shrink.Data;
using Shrink.Model;
using static Shrink.Tests.Data.DataFixtures;

namespace Shrink.Tests.Data;

public sealed class IntegerNpyDataSourceTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static ModelInputSpec Ids(ElementType type, params long?[] dims) =>
        new("input_ids", type, dims, dims.Select(d => d is null ? "seq" : null).ToArray());

    [Theory]
    [InlineData("<i8")]
    [InlineData("<i4")]
    [InlineData("|u1")]
    public void Token_windows_pass_through_unchanged_as_int64(string descr)
    {
        long[] ids = [.. Enumerable.Range(0, 5 * 7).Select(i => (long)(i * 3 % 99))];
        byte[] data = descr switch
        {
            "<i8" => Bytes(ids),
            "<i4" => Bytes(ids.Select(v => (int)v).ToArray()),
            _ => [.. ids.Select(v => (byte)v)],
        };
        string path = Write(_dir.PathOf("ids.npy"), Npy(descr, [5, 7], data));
        using var source = DataSourceFactory.Open(path, new DataOptions(), [Ids(ElementType.Int64, null, null)]);

        var batches = source.ReadBatches(2).ToList();
        Assert.Equal([2, 2, 1], batches.Select(b => b.Count));
        Assert.All(batches, b => Assert.Equal(ElementType.Int64, b.Inputs[0].Type));
        Assert.Equal([2L, 7], batches[0].Inputs[0].Shape);
        Assert.Equal(ids, batches.SelectMany(b => (long[])b.Inputs[0].Data));
    }

    [Fact]
    public void Int32_input_gets_int32_values()
    {
        long[] ids = [1, 2, 3, 4, 5, 6];
        string path = Write(_dir.PathOf("ids.npy"), Npy("<i8", [2, 3], Bytes(ids)));
        using var source = new IntegerNpyDataSource(path, Ids(ElementType.Int32, null, 3));
        Assert.Equal([1, 2, 3, 4, 5, 6], source.ReadBatches(4).SelectMany(b => (int[])b.Inputs[0].Data));
    }

    [Fact]
    public void Int64_value_beyond_int32_is_refused_naming_the_file()
    {
        string path = Write(_dir.PathOf("big.npy"), Npy("<i8", [1, 2], Bytes(new long[] { 1, 1L << 40 })));
        using var source = new IntegerNpyDataSource(path, Ids(ElementType.Int32, null, null));
        var error = Assert.Throws<ShrinkException>(() => source.ReadBatches(1).ToList());
        Assert.Contains("big.npy", error.Message);
    }

    [Fact]
    public void Float_array_for_an_integer_input_is_refused_with_the_dtypes_accepted()
    {
        string path = Write(_dir.PathOf("f.npy"), Npy("<f4", [2, 3], Bytes(new float[6])));
        var error = Assert.Throws<ShrinkException>(() => new IntegerNpyDataSource(path, Ids(ElementType.Int64, null, null)));
        Assert.Contains("int64", error.Message);
        Assert.Contains("f.npy", error.Message);
    }

    [Fact]
    public void Window_length_must_fit_a_fixed_sequence_dim()
    {
        string path = Write(_dir.PathOf("w.npy"), Npy("<i8", [2, 5], Bytes(new long[10])));
        var error = Assert.Throws<ShrinkException>(() => new IntegerNpyDataSource(path, Ids(ElementType.Int64, null, 4)));
        Assert.Contains("input_ids", error.Message);
    }
}
