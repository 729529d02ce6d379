using System.Text;
using Shrink.Data;
using Shrink.Data.Text;
using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Data.Text;

/// <summary>
/// tiny_gpt's validation windows (<c>tiny_gpt.val.npy</c>) come from the fortunes text through its character
/// vocabulary (../shared/baselines/lm_common.py): tokenizing that text here must give the same ids.
/// </summary>
public sealed class TinyGptTextTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>lm_common.py's split: in every fortune file (sorted, not .dat/.u8/links), the last 5 % of its fortunes (ceil).</summary>
    private string WriteValidationText()
    {
        var files = Directory.GetFiles(FortunesFactAttribute.Folder)
            .Where(f => !f.EndsWith(".dat", StringComparison.Ordinal) && !f.EndsWith(".u8", StringComparison.Ordinal) && new FileInfo(f).LinkTarget is null)
            .Order(StringComparer.Ordinal);
        string path = _dir.PathOf("fortunes-val.txt");
        using var output = File.Create(path);
        foreach (var file in files)
        {
            var documents = new List<byte[]>();
            var current = new List<string>();
            string[] lines = Encoding.Latin1.GetString(File.ReadAllBytes(file)).Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
            foreach (string line in lines)
            {
                if (line == "%")
                {
                    if (current.Count > 0) documents.Add(Encoding.Latin1.GetBytes(string.Join('\n', current) + "\n"));
                    current.Clear();
                }
                else
                    current.Add(line);
            }
            if (current.Any(l => l.Trim().Length > 0)) documents.Add(Encoding.Latin1.GetBytes(string.Join('\n', current).TrimEnd('\n') + "\n"));
            documents.RemoveAll(d => Encoding.Latin1.GetString(d).Trim().Length == 0);
            int validation = (int)Math.Ceiling(documents.Count * 0.05);
            foreach (var document in documents.Skip(documents.Count - validation))
            {
                output.Write(document);
                output.Write("%\n"u8);
            }
        }
        return path;
    }

    private static long[,] ValidationWindows()
    {
        using var source = new IntegerNpyDataSource(Path.Combine(RepoPaths.SharedModels, "tiny_gpt.val.npy"), new ModelInputSpec("input_ids", ElementType.Int64, [null, null], [null, null]));
        var all = source.ReadBatches(1024).SelectMany(b => (long[])b.Inputs[0].Data).ToArray();
        var windows = new long[512, 129];
        Buffer.BlockCopy(all, 0, windows, 0, all.Length * sizeof(long));
        return windows;
    }

    [FortunesFact]
    public void The_fortunes_validation_text_gives_the_ids_of_every_tiny_gpt_validation_window()
    {
        string text = WriteValidationText();
        var tokenizer = TextTokenizers.Open(Path.Combine(RepoPaths.SharedModels, "tiny_gpt.vocab.json"));
        var ids = new ModelInputSpec("input_ids", ElementType.Int64, [null, null], ["batch", "seq"]) { IndexLimit = 99 };

        // The first window as the LM task reads it: 128 tokens + 1, from the start.
        var windowOptions = new TextDataOptions { Tokenizer = tokenizer, SequenceLength = 128, ExtraToken = true, Separator = DocumentSeparator.Marker("%") };
        using var windows = new TextDataSource(text, windowOptions, [ids]);
        var first = (long[])windows.ReadBatches(1, limit: 1).Single().Inputs[0].Data;
        var expected = ValidationWindows();
        Assert.Equal(Enumerable.Range(0, 129).Select(i => expected[0, i]), first);

        // The whole stream (one token per sample): every window of val.npy sits where lm_common.val_windows put it.
        using var tokens = new TextDataSource(text, windowOptions with { SequenceLength = 1, ExtraToken = false }, [ids]);
        var stream = tokens.ReadBatches(65536).SelectMany(b => (long[])b.Inputs[0].Data).ToArray();
        Assert.Equal(147_313, stream.Length);
        for (int w = 0; w < 512; w++)
        {
            double step = (stream.Length - 129) / 511.0; // numpy.linspace, then astype(int64)
            long start = w == 511 ? stream.Length - 129 : (long)(w * step);
            for (int i = 0; i < 129; i++)
                Assert.True(expected[w, i] == stream[start + i], $"window {w} token {i}: {stream[start + i]} instead of {expected[w, i]}");
        }
    }
}
