using Shrink.Data;
using Shrink.Model;
using static Shrink.Tests.Data.DataFixtures;
using static Shrink.Tests.Data.NamedArrayFixtures;

namespace Shrink.Tests.Data;

public sealed class JsonLinesDataSourceTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly ModelInputSpec[] Tokens = [Input("input_ids", ElementType.Int64, null, null), Input("attention_mask", ElementType.Int64, null, null)];

    [Fact]
    public void One_object_per_line_feeds_each_input_by_name()
    {
        string path = Lines(_dir.PathOf("d.jsonl"),
            """{"input_ids": [1, 2, 3], "attention_mask": [1, 1, 1]}""",
            "",
            """{"attention_mask": [1, 1, 0], "input_ids": [4, 5, 0]}""",
            """{"input_ids": [6, 7, 8], "attention_mask": [true, true, true]}""");

        using var source = DataSourceFactory.Open(path, new DataOptions(), Tokens);

        Assert.Equal(3, source.Count);
        var batches = source.ReadBatches(2).ToList();
        Assert.Equal([2, 1], batches.Select(b => b.Count));
        Assert.Equal([2L, 3], batches[0].Inputs.Single(t => t.Name == "input_ids").Shape);
        Assert.Equal([1L, 2, 3, 4, 5, 0, 6, 7, 8], batches.SelectMany(b => (long[])b.Inputs.Single(t => t.Name == "input_ids").Data));
        Assert.Equal([1L, 1, 1, 1, 1, 0, 1, 1, 1], batches.SelectMany(b => (long[])b.Inputs.Single(t => t.Name == "attention_mask").Data));
    }

    [Fact]
    public void Nested_arrays_give_rank_2_samples_and_a_number_gives_a_per_sample_value()
    {
        ModelInputSpec[] inputs = [Input("x", ElementType.Float, null, 2, 2), Input("t", ElementType.Int64, [null]), Input("flag", ElementType.Bool, [null])];
        string path = Lines(_dir.PathOf("d.jsonl"),
            """{"x": [[1.5, 2], [3, 4e-1]], "t": 500, "flag": 1, "label": 2}""",
            """{"x": [[0, -1], [-2.25, 8]], "t": 3, "flag": false, "label": 0}""");

        using var source = DataSourceFactory.Open(path, new DataOptions(), inputs);

        var batch = source.ReadBatches(4).Single();
        Assert.True(source.HasLabels);
        Assert.Equal([2, 0], batch.Labels!);
        var x = batch.Inputs.Single(t => t.Name == "x");
        Assert.Equal([2L, 2, 2], x.Shape);
        Assert.Equal([1.5f, 2, 3, 0.4f, 0, -1, -2.25f, 8], (float[])x.Data);
        Assert.Equal([500L, 3], (long[])batch.Inputs.Single(t => t.Name == "t").Data);
        Assert.Equal([true, false], (bool[])batch.Inputs.Single(t => t.Name == "flag").Data);
    }

    [Fact]
    public void Floats_for_an_int64_input_are_refused_naming_the_line_and_the_input()
    {
        string path = Lines(_dir.PathOf("d.jsonl"), """{"input_ids": [1, 2], "attention_mask": [1, 1]}""", """{"input_ids": [1.5, 2], "attention_mask": [1, 1]}""");

        var error = Assert.Throws<ShrinkException>(() => DataSourceFactory.Open(path, new DataOptions(), Tokens));

        Assert.Contains("d.jsonl:2", error.Message);
        Assert.Contains("'input_ids'", error.Message);
        Assert.Contains("int64", error.Message);
    }

    [Theory]
    [InlineData("""{"input_ids": [1, 2, 3], "attention_mask": [1, 1, 1]}""", "axis 0")]
    [InlineData("""{"input_ids": [[1, 2]], "attention_mask": [1, 1]}""", "'input_ids'")]
    [InlineData("""{"input_ids": [1, 2]}""", "'attention_mask' is missing")]
    [InlineData("""{"input_ids": [1, 2], "attention_mask": [1, 1], "extra": [0]}""", "'extra' is not in the first line")]
    [InlineData("""{"input_ids": [1, 2], "attention_mask": [1, 1]""", "not valid JSON")]
    [InlineData("""[1, 2]""", "one JSON object")]
    [InlineData("""{"input_ids": [1, "two"], "attention_mask": [1, 1]}""", "string")]
    public void A_second_line_that_differs_from_the_first_is_refused_naming_the_line(string second, string expected)
    {
        string path = Lines(_dir.PathOf("d.jsonl"), """{"input_ids": [1, 2], "attention_mask": [1, 1]}""", second);

        var error = Assert.Throws<ShrinkException>(() => DataSourceFactory.Open(path, new DataOptions(), Tokens));

        Assert.Contains("d.jsonl:2", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Ragged_rows_an_unknown_key_and_a_wrong_rank_are_refused_on_the_first_line()
    {
        ModelInputSpec[] inputs = [Input("x", ElementType.Float, null, 2, 2)];
        string ragged = Lines(_dir.PathOf("ragged.jsonl"), """{"x": [[1, 2], [3]]}""");
        string unknown = Lines(_dir.PathOf("unknown.jsonl"), """{"x": [[1, 2], [3, 4]], "y": [1]}""");
        string rank = Lines(_dir.PathOf("rank.jsonl"), """{"x": [1, 2, 3, 4]}""");
        string empty = Lines(_dir.PathOf("empty.jsonl"), "", "  ");

        Assert.Contains("axis 1", Assert.Throws<ShrinkException>(() => DataSourceFactory.Open(ragged, new DataOptions(), inputs)).Message);
        var unknownError = Assert.Throws<ShrinkException>(() => DataSourceFactory.Open(unknown, new DataOptions(), inputs));
        Assert.Contains("'y'", unknownError.Message);
        Assert.Contains("'x'", unknownError.Message);
        Assert.Contains("[batch,2,2]", Assert.Throws<ShrinkException>(() => DataSourceFactory.Open(rank, new DataOptions(), inputs)).Message);
        Assert.Contains("empty", Assert.Throws<ShrinkException>(() => DataSourceFactory.Open(empty, new DataOptions(), inputs)).Message);
    }

    [Fact]
    public void Gzipped_lines_are_read_and_a_sample_limit_stops_the_pass()
    {
        var text = string.Join("\n", Enumerable.Range(0, 10).Select(i => $$"""{"input_ids": [{{i}}, 1], "attention_mask": [1, 1]}"""));
        string path = Write(_dir.PathOf("d.jsonl.gz"), System.Text.Encoding.UTF8.GetBytes(text), gzip: true);

        using var source = DataSourceFactory.Open(path, new DataOptions(), Tokens);

        Assert.Equal(10, source.Count);
        var ids = source.ReadBatches(3, limit: 4).SelectMany(b => (long[])b.Inputs.Single(t => t.Name == "input_ids").Data).ToArray();
        Assert.Equal([0L, 1, 1, 1, 2, 1, 3, 1], ids);
    }
}
