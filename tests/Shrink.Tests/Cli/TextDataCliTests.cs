using Onnx;
using Shrink.Tests.Data.Text;
using Shrink.Tests.TestSupport;
using static Shrink.Tests.TestSupport.TinyModels;

namespace Shrink.Tests.Cli;

/// <summary>Text data through the real CLI: a tiny BERT-style encoder evaluated and quantized from a text file and a WordPiece vocab.txt.</summary>
public sealed class TextDataCliTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public TextDataCliTests()
    {
        Model = WriteTo(TinyEncoder(), _dir.File("encoder.onnx"));
        Vocab = TextFixtures.WordPieceVocab(_dir.File("vocab.txt"));
        Corpus = _dir.File("corpus.txt");
        File.WriteAllText(Corpus, "hello world\nthe cat, the cats\n\nworld hello the cat\nxyz hello\n");
    }

    private string Model { get; }

    private string Vocab { get; }

    private string Corpus { get; }

    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// input_ids, attention_mask, token_type_ids int64 [batch,seq] → word + type embeddings (Gather), masked →
    /// MatMul 16×16 → Relu → mean over the sequence → MatMul 16×3 (a reduction of 16, so static int8 quantizes both MatMuls) → logits [batch,3]. The word table has the 11 rows of
    /// <see cref="TextFixtures.WordPieceVocab"/>.
    /// </summary>
    private static ModelProto TinyEncoder()
    {
        var graph = new GraphProto { Name = "tiny_encoder" };
        foreach (var name in new[] { "input_ids", "attention_mask", "token_type_ids" })
            graph.Input.Add(TensorInfo(name, TinyModels.Int64, "batch", "seq"));
        graph.Output.Add(FloatInfo("logits", "batch", 3));
        graph.Initializer.Add(FloatTensor("word_embeddings", [11, 16], RandomFloats(176, 1)));
        graph.Initializer.Add(FloatTensor("type_embeddings", [2, 16], RandomFloats(32, 2)));
        graph.Initializer.Add(FloatTensor("W1", [16, 16], RandomFloats(256, 3)));
        graph.Initializer.Add(FloatTensor("W2", [16, 3], RandomFloats(48, 4)));
        graph.Initializer.Add(RawTensor("axis2", TinyModels.Int64, [1], BitConverter.GetBytes(2L)));
        graph.Node.Add(Node("Gather", ["word_embeddings", "input_ids"], ["words"], "gather_words"));
        graph.Node.Add(Node("Gather", ["type_embeddings", "token_type_ids"], ["types"], "gather_types"));
        graph.Node.Add(Node("Add", ["words", "types"], ["embedded"], "add"));
        var cast = Node("Cast", ["attention_mask"], ["mask"], "cast_mask");
        cast.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (int)TensorProto.Types.DataType.Float });
        graph.Node.Add(cast);
        graph.Node.Add(Node("Unsqueeze", ["mask", "axis2"], ["mask3"], "unsqueeze_mask"));
        graph.Node.Add(Node("Mul", ["embedded", "mask3"], ["masked"], "apply_mask"));
        graph.Node.Add(Node("MatMul", ["masked", "W1"], ["hidden"], "matmul1"));
        graph.Node.Add(Node("Relu", ["hidden"], ["act"], "relu"));
        var mean = Node("ReduceMean", ["act"], ["pooled"], "pool");
        mean.Attribute.Add(new AttributeProto { Name = "axes", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 1L } });
        mean.Attribute.Add(new AttributeProto { Name = "keepdims", Type = AttributeProto.Types.AttributeType.Int, I = 0 });
        graph.Node.Add(mean);
        graph.Node.Add(Node("MatMul", ["pooled", "W2"], ["logits"], "matmul2"));
        return BuildModel(graph);
    }

    [Fact]
    public void Eval_reads_a_text_file_through_a_wordpiece_vocab_one_padded_line_per_sample()
    {
        var r = ShrinkCli.Run("eval", Model, "--data", Corpus, "--tokenizer", Vocab, "--text-mode", "pad", "--seq-len", "8", "--no-latency");

        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Contains("4 samples from text", r.Stdout);
        Assert.Contains("WordPiece", r.Stdout);
        Assert.Contains("'attention_mask'", r.Stdout);
    }

    [Fact]
    public void Static_quantization_calibrates_on_packed_text_and_the_result_runs_close_to_the_original()
    {
        string output = _dir.File("encoder.int8.onnx");
        var q = ShrinkCli.Run("quantize", Model, "-o", output, "--data", Corpus, "--tokenizer", Vocab, "--seq-len", "4", "--analysis-samples", "0");
        Assert.True(q.ExitCode == 0, q.Stderr + q.Stdout);
        Assert.True(File.Exists(output));

        var e = ShrinkCli.Run("eval", output, "--reference", Model, "--data", Corpus, "--tokenizer", Vocab, "--seq-len", "4", "--no-latency", "--json", "-");
        Assert.True(e.ExitCode == 0, e.Stderr + e.Stdout);
        Assert.Contains("packed windows of 4 tokens", e.Stdout);
        Assert.Contains("\"fidelity\"", e.Stdout);
    }

    [Fact]
    public void A_missing_tokenizer_file_is_a_usage_error_naming_it()
    {
        var r = ShrinkCli.Run("eval", Model, "--data", Corpus, "--tokenizer", _dir.File("nope", "vocab.txt"), "--no-latency");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("nope", r.Stderr);
        Assert.Contains("gpt2", r.Stderr);
    }

    [Theory]
    [InlineData("--data", "random:4", "--tokenizer", "gpt2")]
    [InlineData("--data", "CORPUS")]
    [InlineData("--data", "CORPUS", "--tokenizer", "VOCAB", "--text-mode", "stack")]
    [InlineData("--data", "CORPUS", "--tokenizer", "VOCAB", "--seq-len", "0")]
    [InlineData("--data", "random:4", "--seq-len", "16")]
    public void Text_options_that_cannot_work_are_usage_errors(params string[] args)
    {
        var r = ShrinkCli.Run(["eval", Model, .. args.Select(a => a.Replace("CORPUS", Corpus, StringComparison.Ordinal).Replace("VOCAB", Vocab, StringComparison.Ordinal)), "--no-latency"]);
        Assert.Equal(2, r.ExitCode);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void A_tokenizer_whose_ids_overrun_the_embedding_table_is_refused_naming_it()
    {
        var r = ShrinkCli.Run("eval", Model, "--data", Corpus, "--tokenizer", "gpt2", "--text-mode", "pad", "--seq-len", "8", "--no-latency");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("gpt2", r.Stderr);
        Assert.Contains("outside the 11 rows", r.Stderr);
    }
}
