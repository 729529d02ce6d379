using System.Text;
using System.Text.Json;

namespace Shrink.Tests.Data.Text;

/// <summary>Tiny tokenizer files written in tests.</summary>
internal static class TextFixtures
{
    /// <summary>A WordPiece vocabulary: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4 hello=5 world=6 ##s=7 ,=8 the=9 cat=10.</summary>
    public static string WordPieceVocab(string path)
    {
        File.WriteAllText(path, "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\nworld\n##s\n,\nthe\ncat\n");
        return path;
    }

    /// <summary>The tiny_gpt convention: 0 &lt;eod&gt;, 1 &lt;unk&gt;, 2 tab, 3 newline, 4..98 = ASCII 32..126.</summary>
    public static string CharVocab(string path)
    {
        string[] chars = ["<eod>", "<unk>", "\t", "\n", .. Enumerable.Range(32, 95).Select(c => ((char)c).ToString())];
        File.WriteAllText(path, JsonSerializer.Serialize(new { chars, ids = new Dictionary<string, int> { ["<eod>"] = 0, ["<unk>"] = 1 } }));
        return path;
    }

    /// <summary>The id of an ASCII character in <see cref="CharVocab"/>.</summary>
    public static int CharId(char c) => c switch { '\t' => 2, '\n' => 3, _ => c - 28 };

    /// <summary>
    /// A GPT-2 style byte-level BPE pair in <paramref name="folder"/>: the 256 byte symbols (ids 0..255 by byte value),
    /// then He=256, ll=257, llo=258, Hello=259, Ġw=260, &lt;|endoftext|&gt;=261; merges H e, l l, ll o, He llo, Ġ w.
    /// </summary>
    public static string BytePairFiles(string folder)
    {
        var vocab = new Dictionary<string, int>();
        for (int b = 0; b < 256; b++) vocab[ByteSymbol(b)] = b;
        vocab["He"] = 256;
        vocab["ll"] = 257;
        vocab["llo"] = 258;
        vocab["Hello"] = 259;
        vocab["Ġw"] = 260;
        vocab["<|endoftext|>"] = 261;
        string path = Path.Combine(folder, "vocab.json");
        File.WriteAllText(path, JsonSerializer.Serialize(vocab));
        File.WriteAllText(Path.Combine(folder, "merges.txt"), "#version: 0.2\nH e\nl l\nll o\nHe llo\nĠ w\n");
        return path;
    }

    /// <summary>A .tiktoken file: the 256 single bytes ranked by value, then "He" 256, "llo" 257, "ll" 258.</summary>
    public static string TiktokenFile(string path)
    {
        var text = new StringBuilder();
        for (int b = 0; b < 256; b++) text.Append(Convert.ToBase64String([(byte)b])).Append(' ').Append(b).Append('\n');
        foreach (var (token, rank) in new[] { ("He", 256), ("llo", 257), ("ll", 258) })
            text.Append(Convert.ToBase64String(Encoding.UTF8.GetBytes(token))).Append(' ').Append(rank).Append('\n');
        File.WriteAllText(path, text.ToString());
        return path;
    }

    /// <summary>GPT-2's printable stand-in for byte <paramref name="b"/> (bytes.to_unicode).</summary>
    private static string ByteSymbol(int b)
    {
        bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
        if (printable) return ((char)b).ToString();
        int n = 0;
        for (int x = 0; x < b; x++)
            if (!(x is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF)) n++;
        return ((char)(256 + n)).ToString();
    }
}
