using System.Text.Json;
using Shrink.Model;
using Shrink.Tests.Methods.Quantization.WeightOnly;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Cli;

public sealed class EmbeddingCliTests
{
    private static string WriteEmbeddingModel(TempDirectory dir)
    {
        var model = EmbeddingQuantizerTests.Embedding(rows: 512, cols: 256, head: true);
        model.Graph.SyncToProto();
        string path = dir.File("embedding.onnx");
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }

    [Fact]
    public void Weight_only_quantizes_a_large_embedding_by_default_and_off_keeps_it()
    {
        using var dir = new TempDirectory();
        string input = WriteEmbeddingModel(dir), output = dir.File("weights4.onnx"), json = dir.File("q.json");
        var q = ShrinkCli.Run("quantize", input, "-o", output, "--weights", "int4", "--json", json);
        Assert.True(q.ExitCode == 0, q.Stderr);
        var written = OnnxModel.Load(output);
        var node = Assert.Single(written.Graph.Nodes, n => n.OpType == "GatherBlockQuantized");
        Assert.Equal(8, node.GetInt("bits", 0)); // auto: 8-bit tables whatever the weights' width
        Assert.Equal(32, node.GetInt("block_size", 0));
        using (var doc = JsonDocument.Parse(File.ReadAllText(json)))
        {
            var embedding = doc.RootElement.GetProperty("embeddings")[0];
            Assert.Equal("E", embedding.GetProperty("table").GetString());
            Assert.True(embedding.GetProperty("bytes").GetInt64() < 512 * 256 * 4 / 3.5);
        }
        // The float table was 512 KiB of a ~0.6 MB model: the file is now a fraction of it.
        Assert.True(new FileInfo(output).Length < new FileInfo(input).Length / 3, $"{new FileInfo(output).Length} of {new FileInfo(input).Length} bytes");

        string kept = dir.File("kept.onnx");
        var off = ShrinkCli.Run("quantize", input, "-o", kept, "--weights", "int4", "--embeddings", "off");
        Assert.True(off.ExitCode == 0, off.Stderr);
        Assert.DoesNotContain(OnnxModel.Load(kept).Graph.Nodes, n => n.OpType == "GatherBlockQuantized");

        string int4 = dir.File("int4.onnx");
        var four = ShrinkCli.Run("quantize", input, "-o", int4, "--weights", "int4", "--embeddings", "int4", "--group-size", "64", "--json", "-");
        Assert.True(four.ExitCode == 0, four.Stderr);
        using var result = JsonDocument.Parse(four.Stdout);
        Assert.Equal("GatherBlockQuantized 4-bit, block 64", result.RootElement.GetProperty("embeddings")[0].GetProperty("format").GetString());
    }

    [Theory]
    [InlineData("--embeddings applies to weight-only", "--embeddings", "int4")]
    [InlineData("power of two", "--weights", "int4", "--embeddings", "int4", "--group-size", "48")]
    public void Bad_embedding_options_are_usage_errors_and_write_nothing(string message, params string[] extra)
    {
        using var dir = new TempDirectory();
        string input = WriteEmbeddingModel(dir), output = dir.File("out.onnx");
        var r = ShrinkCli.Run(["quantize", input, "-o", output, .. extra]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Stderr);
        Assert.False(File.Exists(output));
    }
}
