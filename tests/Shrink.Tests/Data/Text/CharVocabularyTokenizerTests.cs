using Shrink.Data.Text;

namespace Shrink.Tests.Data.Text;

public sealed class CharVocabularyTokenizerTests
{
    private static readonly CharVocabularyTokenizer Tokenizer = new(["<eod>", "<unk>", "\n", "a", "b", "é"], new Dictionary<string, int> { ["<eod>"] = 0, ["<unk>"] = 1 });

    [Fact]
    public void Characters_map_to_their_index_through_the_microsoft_ml_tokenizer_api()
    {
        Assert.Equal([3, 4, 2, 5], Tokenizer.EncodeToIds("ab\né"));
        Assert.Equal(4, Tokenizer.CountTokens("ab\né"));
        Assert.Equal("ab\né", Tokenizer.Decode([3, 4, 2, 5]));
    }

    [Fact]
    public void An_unknown_character_is_one_unk_per_utf8_byte()
    {
        // 'c' is 1 byte, 'ß' 2, '€' 3, '😀' 4 (a surrogate pair in UTF-16).
        Assert.Equal([3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 4], Tokenizer.EncodeToIds("ac\u00DF\u20AC\U0001F600b"));
    }

    [Fact]
    public void Special_tokens_are_not_matched_in_text()
    {
        Assert.Equal(0, Tokenizer.EndOfDocumentId);
        Assert.Equal(1, Tokenizer.UnknownId);
        Assert.Equal([1, 1, 1, 1, 1], Tokenizer.EncodeToIds("<eod>")); // < e o d > are not in the vocabulary: no id 0
        Assert.Equal("<eod>", Tokenizer.Decode([0]));
    }

    [Fact]
    public void Max_token_count_stops_at_a_character_boundary()
    {
        var ids = Tokenizer.EncodeToIds("ab€a", maxTokenCount: 4, out _, out int consumed);
        Assert.Equal([3, 4], ids);
        Assert.Equal(2, consumed);
    }

    [Fact]
    public void Without_unk_an_unknown_character_is_refused_naming_it()
    {
        var strict = new CharVocabularyTokenizer(["a", "b"], new Dictionary<string, int>());
        var error = Assert.Throws<ShrinkException>(() => strict.EncodeToIds("abz"));
        Assert.Contains("'z'", error.Message);
    }

    [Fact]
    public void A_character_listed_twice_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => new CharVocabularyTokenizer(["a", "b", "a"], new Dictionary<string, int>()));
        Assert.Contains("twice", error.Message);
    }
}
