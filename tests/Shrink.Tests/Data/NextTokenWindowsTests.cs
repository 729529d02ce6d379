using Shrink.Data;
using Shrink.Model;
using static Shrink.Tests.Data.DataFixtures;

namespace Shrink.Tests.Data;

public sealed class NextTokenWindowsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Every_integer_sequence_input_loses_its_last_position_and_floats_pass_unchanged()
    {
        var windows = new DataBatch(
        [
            new BatchTensor("input_ids", ElementType.Int64, [2, 3], new long[] { 1, 2, 3, 4, 5, 6 }),
            new BatchTensor("attention_mask", ElementType.Int32, [2, 3], new[] { 1, 1, 0, 1, 1, 1 }),
            new BatchTensor("x", ElementType.Float, [2, 3], new float[6]),
        ], 2, [7, 8]);

        var inputs = NextTokenWindows.Inputs(windows);

        Assert.Equal([1L, 2L, 4L, 5L], (long[])inputs.Inputs[0].Data);
        Assert.Equal([1, 1, 1, 1], (int[])inputs.Inputs[1].Data);
        Assert.Equal([2L, 2L], inputs.Inputs[1].Shape);
        Assert.Same(windows.Inputs[2], inputs.Inputs[2]);
        Assert.Equal([7, 8], inputs.Labels!);
    }

    [Fact]
    public void A_fixed_sequence_length_asks_for_windows_one_longer_and_a_symbolic_one_stays()
    {
        var inputs = NextTokenWindows.DataInputs([Input("a", ElementType.Int64, null, 128), Input("b", ElementType.Int64, null, null), Input("x", ElementType.Float, null, 4)]);

        Assert.Equal([null, 129L], inputs[0].Dims);
        Assert.Equal([null, null], inputs[1].Dims);
        Assert.Equal([null, 4L], inputs[2].Dims);
    }

    [Fact]
    public void Windows_of_one_token_are_refused()
    {
        var windows = new DataBatch([new BatchTensor("input_ids", ElementType.Int64, [2, 1], new long[] { 1, 2 })], 2, null);

        var error = Assert.Throws<ShrinkException>(() => NextTokenWindows.Inputs(windows));

        Assert.Contains("'input_ids'", error.Message);
        Assert.Contains("at least 2 tokens", error.Message);
    }

    [Fact]
    public void The_factory_reads_a_file_of_windows_as_next_token_inputs_for_calibration()
    {
        string path = Write(_dir.PathOf("windows.npy"), Npy("<i8", [3, 5], Bytes(Enumerable.Range(0, 15).Select(i => (long)i).ToArray())));
        var model = new[] { Input("input_ids", ElementType.Int64, null, 4) };

        using var source = DataSourceFactory.Open(path, new DataOptions { NextTokenWindows = true }, model);
        var batch = source.ReadBatches(2).First();

        Assert.Equal([2L, 4L], batch.Inputs[0].Shape);
        Assert.Equal([0L, 1, 2, 3, 5, 6, 7, 8], (long[])batch.Inputs[0].Data);
        Assert.Contains("window[:-1]", source.Description);
        Assert.Throws<ShrinkException>(() => DataSourceFactory.Open(path, new DataOptions(), model)); // 5 tokens do not fit 4 without the shift
    }
}
