using Shrink.Data;
using Shrink.Data.Text;
using Shrink.Model;
using static Shrink.Tests.Data.Text.TextFixtures;

namespace Shrink.Tests.Data.Text;

public sealed class TextDataSourceTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static ModelInputSpec Input(string name, ElementType type = ElementType.Int64, long? seq = null, long? limit = null) =>
        new(name, type, [null, seq], ["batch", seq is null ? "seq" : null]) { IndexLimit = limit };

    private string Text(string text)
    {
        string path = _dir.PathOf("corpus.txt");
        File.WriteAllText(path, text);
        return path;
    }

    private TextDataOptions Chars(int? seqLen, TextPacking mode = TextPacking.Pack, DocumentSeparator? separator = null, bool extra = false) =>
        new() { Tokenizer = TextTokenizers.Open(CharVocab(_dir.PathOf("chars.json"))), SequenceLength = seqLen, Mode = mode, Separator = separator, ExtraToken = extra };

    private static long[] Column(DataBatch batch, string name) => (long[])batch.Inputs.Single(i => i.Name == name).Data;

    private static long[] Expected(string text) => [.. text.Select(c => (long)CharId(c))];

    [Fact]
    public void Packing_concatenates_documents_with_eod_and_cuts_windows_dropping_the_partial_tail()
    {
        using var source = new TextDataSource(Text("ab\ncd\n\nefg\n"), Chars(4), [Input("input_ids")]);
        // stream: a b \n c d \n <eod> e f g \n <eod>  (12 tokens) → windows of 4: 3 full ones.
        var batches = source.ReadBatches(2).ToList();
        Assert.Equal([2, 1], batches.Select(b => b.Count));
        Assert.Equal([2L, 4], batches[0].Inputs[0].Shape);
        long[] stream = [.. Expected("ab\ncd\n"), 0, .. Expected("efg\n"), 0];
        Assert.Equal(stream, batches.SelectMany(b => Column(b, "input_ids")));
        Assert.Null(source.Count);
        Assert.Single(batches[0].Inputs); // no mask input in the model: none emitted
    }

    [Fact]
    public void Extra_token_windows_are_one_longer_and_start_every_sequence_length_tokens()
    {
        using var source = new TextDataSource(Text("abcdefghij"), Chars(4, separator: DocumentSeparator.Line, extra: true), [Input("input_ids")]);
        var ids = source.ReadBatches(8).Single();
        Assert.Equal([2L, 5], ids.Inputs[0].Shape);
        Assert.Equal([.. Expected("abcde"), .. Expected("efghi")], Column(ids, "input_ids"));
    }

    [Fact]
    public void Padding_makes_one_sample_per_line_with_a_mask_of_zeros_on_the_pads_and_zero_token_types()
    {
        string vocab = WordPieceVocab(_dir.PathOf("vocab.txt"));
        var options = new TextDataOptions { Tokenizer = TextTokenizers.Open(vocab), SequenceLength = 6, Mode = TextPacking.Pad };
        using var source = new TextDataSource(Text("hello world\nthe cats, the cat the cat\n"), options,
            [Input("input_ids"), Input("attention_mask"), Input("token_type_ids")]);
        var batch = source.ReadBatches(10).Single();
        Assert.Equal(2, batch.Count);
        // [CLS] hello world [SEP] [PAD] [PAD]; the long line is truncated keeping its [SEP].
        Assert.Equal([2L, 5, 6, 3, 0, 0, 2, 9, 10, 7, 8, 3], Column(batch, "input_ids"));
        Assert.Equal([1L, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1], Column(batch, "attention_mask"));
        Assert.Equal(new long[12], Column(batch, "token_type_ids"));
        Assert.Contains("vocab.txt", source.Description);
    }

    [Fact]
    public void Int32_ids_and_a_float_mask_get_their_element_types()
    {
        using var source = new TextDataSource(Text("ab\nc\n"), Chars(3, TextPacking.Pad),
            [Input("ids", ElementType.Int32), Input("attention_mask", ElementType.Float)]);
        var batch = source.ReadBatches(4).Single();
        Assert.Equal([CharId('a'), CharId('b'), 0, CharId('c'), 0, 0], (int[])batch.Inputs[0].Data);
        Assert.Equal([1f, 1f, 1f, 1f, 1f, 0f], (float[])batch.Inputs[1].Data);
    }

    [Fact]
    public void Without_a_sequence_length_the_models_fixed_one_is_used_and_said_once()
    {
        var notes = new List<string>();
        using var source = new TextDataSource(Text(new string('x', 40)), Chars(null), [Input("input_ids", seq: 16)], note: notes.Add);
        Assert.Equal(16, source.SequenceLength);
        Assert.Equal(2, source.ReadBatches(8).Single().Count);
        Assert.Contains("16 tokens", Assert.Single(notes));
    }

    [Fact]
    public void Without_a_sequence_length_or_a_fixed_dim_the_default_is_128()
    {
        var notes = new List<string>();
        using var source = new TextDataSource(Text(new string('x', 300)), Chars(null), [Input("input_ids")], note: notes.Add);
        Assert.Equal(TextDataOptions.DefaultSequenceLength, source.SequenceLength);
        Assert.Contains("default", Assert.Single(notes));
    }

    [Fact]
    public void A_sequence_length_the_model_does_not_take_is_refused_naming_the_input()
    {
        var error = Assert.Throws<ShrinkException>(() => new TextDataSource(Text("abcdef"), Chars(4), [Input("input_ids", seq: 8)]));
        Assert.Contains("'input_ids'", error.Message);
        Assert.Contains("8", error.Message);
    }

    [Fact]
    public void Text_shorter_than_one_window_is_refused_before_any_batch()
    {
        var error = Assert.Throws<ShrinkException>(() => new TextDataSource(Text("abc"), Chars(64), [Input("input_ids")]));
        Assert.Contains("corpus.txt", error.Message);
        Assert.Contains("fewer than 64 tokens", error.Message);
    }

    [Fact]
    public void Ids_beyond_the_models_embedding_table_are_refused_naming_the_tokenizer()
    {
        var error = Assert.Throws<ShrinkException>(() => new TextDataSource(Text("zzzz"), Chars(2), [Input("input_ids", limit: 50)]));
        Assert.Contains("outside the 50 rows", error.Message);
        Assert.Contains("chars.json", error.Message);
    }

    [Fact]
    public void A_model_without_an_integer_input_is_refused()
    {
        var error = Assert.Throws<ShrinkException>(() => new TextDataSource(Text("abcd"), Chars(2), [Input("x", ElementType.Float)]));
        Assert.Contains("'x'", error.Message);
    }

    [Fact]
    public void Limit_stops_after_that_many_samples_and_every_pass_starts_again()
    {
        using var source = new TextDataSource(Text(new string('a', 100)), Chars(10), [Input("input_ids")]);
        Assert.Equal(3, source.ReadBatches(2, limit: 3).Sum(b => b.Count));
        Assert.Equal(10, source.ReadBatches(4).Sum(b => b.Count));
    }

    [Fact]
    public void The_factory_opens_text_when_text_options_are_given_and_refuses_a_txt_file_without_them()
    {
        string path = Text("abcdefgh");
        using (var source = DataSourceFactory.Open(path, new DataOptions { FileReader = Chars(4) }, [Input("input_ids")]))
            Assert.IsType<TextDataSource>(source);
        var error = Assert.Throws<ShrinkException>(() => DataSourceFactory.Open(path, new DataOptions(), [Input("input_ids")]));
        Assert.Contains("tokenizer", error.Message);
    }

    [Fact]
    public void With_extra_token_lengthens_text_windows_and_leaves_other_data_alone()
    {
        var text = new DataOptions { FileReader = Chars(4) }.WithExtraToken();
        Assert.True(text.TextOptions()!.ExtraToken);
        using (var source = DataSourceFactory.Open(Text("abcdefghij"), text, [Input("input_ids")]))
            Assert.Equal([1L, 5], source.ReadBatches(1).First().Inputs[0].Shape);
        var plain = new DataOptions();
        Assert.Same(plain, plain.WithExtraToken());
        Assert.Null(plain.TextOptions());
    }

    [Fact]
    public void Next_token_windows_of_text_feed_the_model_its_full_sequence_length()
    {
        // With --task lm the factory asks the text reader for windows of seq-len + 1 and cuts the last token off, so a
        // model of 4 tokens reads 4 tokens, not 3.
        string path = Text("abcdefghijkl");
        var options = new DataOptions { FileReader = Chars(4), NextTokenWindows = true };
        using var source = DataSourceFactory.Open(path, options, [Input("input_ids")]);
        var first = source.ReadBatches(1).First();
        Assert.Equal([1L, 4], first.Inputs[0].Shape);
        Assert.Equal(Expected("abcd"), Column(first, "input_ids"));
    }

    [Fact]
    public void A_position_input_the_text_does_not_give_is_derived_from_the_ids()
    {
        var notes = new List<string>();
        var options = new DataOptions { FileReader = Chars(4), Note = notes.Add };
        using var source = DataSourceFactory.Open(Text("abcdefgh"), options, [Input("input_ids"), Input("position_ids")]);
        var batch = source.ReadBatches(2).First();
        Assert.Equal([0L, 1, 2, 3, 0, 1, 2, 3], Column(batch, "position_ids"));
        Assert.Contains(notes, n => n.Contains("'position_ids' is not in the data", StringComparison.Ordinal));
    }
}
