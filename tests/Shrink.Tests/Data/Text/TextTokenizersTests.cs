using Shrink.Data.Text;
using static Shrink.Tests.Data.Text.TextFixtures;

namespace Shrink.Tests.Data.Text;

public sealed class TextTokenizersTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static List<int> Ids(TextTokenizer tokenizer, string text)
    {
        var ids = new List<int>();
        tokenizer.Encode(text, ids);
        return ids;
    }

    [Fact]
    public void WordPiece_vocab_txt_splits_words_into_pieces_and_frames_documents_with_cls_and_sep()
    {
        var tokenizer = TextTokenizers.Open(WordPieceVocab(_dir.PathOf("vocab.txt")));
        Assert.Equal([5, 7, 6, 7, 8, 1], Ids(tokenizer, "Hellos worlds, xyz"));
        Assert.Equal([2], tokenizer.DocumentStart);
        Assert.Equal([3], tokenizer.DocumentEnd);
        Assert.Equal(0, tokenizer.PaddingId);
        Assert.Contains("lower-cased", tokenizer.Description);
    }

    [Fact]
    public void WordPiece_vocab_with_upper_case_tokens_is_cased()
    {
        string path = _dir.PathOf("vocab.txt");
        File.WriteAllText(path, "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nHello\nhello\n");
        var tokenizer = TextTokenizers.Open(path);
        Assert.Equal([5, 6], Ids(tokenizer, "Hello hello"));
    }

    [Theory]
    [InlineData("gpt2", new[] { 15496, 995 }, 50256)]
    [InlineData("cl100k_base", new[] { 9906, 1917 }, 100257)]
    [InlineData("o200k_base", new[] { 13225, 2375 }, 199999)]
    public void Named_tiktoken_encodings_give_their_published_ids(string name, int[] helloWorld, int endOfText)
    {
        var tokenizer = TextTokenizers.Open(name);
        Assert.Equal(helloWorld, Ids(tokenizer, "Hello world"));
        Assert.Equal([endOfText], tokenizer.DocumentEnd);
        Assert.Empty(tokenizer.DocumentStart);
    }

    [Fact]
    public void Byte_level_bpe_from_vocab_json_and_merges_txt_applies_the_merges()
    {
        string vocab = BytePairFiles(_dir.Root);
        var tokenizer = TextTokenizers.Open(vocab);
        // Hello by the merges; " w" by Ġw; o r l d as bytes.
        Assert.Equal([259, 260, 'o', 'r', 'l', 'd'], Ids(tokenizer, "Hello world"));
        Assert.Equal([261], tokenizer.DocumentEnd);
        Assert.Equal(Ids(tokenizer, "Hello world"), Ids(TextTokenizers.Open(_dir.Root), "Hello world"));
        Assert.Equal(Ids(tokenizer, "Hello world"), Ids(TextTokenizers.Open(_dir.PathOf("merges.txt")), "Hello world"));
    }

    [Fact]
    public void Tiktoken_file_merges_by_rank()
    {
        var tokenizer = TextTokenizers.Open(TiktokenFile(_dir.PathOf("tiny.tiktoken")));
        Assert.Equal([256, 257, ' ', 'w', 'o', 'r', 'l', 'd'], Ids(tokenizer, "Hello world"));
    }

    [Fact]
    public void Character_vocabulary_json_maps_each_character_and_ends_documents_with_eod()
    {
        var tokenizer = TextTokenizers.Open(CharVocab(_dir.PathOf("chars.json")));
        Assert.Equal([CharId('H'), CharId('i'), CharId('\n'), CharId('\t')], Ids(tokenizer, "Hi\n\t"));
        Assert.Equal([0], tokenizer.DocumentEnd);
        Assert.Empty(tokenizer.DocumentStart);
    }

    [Fact]
    public void Unknown_name_is_refused_naming_the_built_in_ones()
    {
        var error = Assert.Throws<ShrinkException>(() => TextTokenizers.Open("llama3"));
        Assert.Contains("llama3", error.Message);
        Assert.Contains("gpt2, cl100k_base, o200k_base", error.Message);
    }

    [Fact]
    public void Bpe_vocab_json_without_merges_txt_is_refused_naming_it()
    {
        string path = _dir.PathOf("vocab.json");
        File.WriteAllText(path, "{\"a\": 0}");
        var error = Assert.Throws<ShrinkException>(() => TextTokenizers.Open(path));
        Assert.Contains("merges.txt", error.Message);
    }

    [Fact]
    public void Malformed_json_is_refused_naming_the_file()
    {
        string path = _dir.PathOf("broken.json");
        File.WriteAllText(path, "{\"chars\": [");
        var error = Assert.Throws<ShrinkException>(() => TextTokenizers.Open(path));
        Assert.Contains("broken.json", error.Message);
    }

    [Fact]
    public void Vocab_txt_without_the_bert_special_tokens_is_refused_naming_the_file()
    {
        string path = _dir.PathOf("vocab.txt");
        File.WriteAllText(path, "hello\nworld\n");
        var error = Assert.Throws<ShrinkException>(() => TextTokenizers.Open(path));
        Assert.Contains("vocab.txt", error.Message);
    }
}
