using System.Runtime.InteropServices;
using Onnx;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Model;
using Shrink.Tests.TestSupport;
using static Shrink.Tests.TestSupport.TinyModels;

namespace Shrink.Tests.Methods.Quantization.WeightOnly;

public sealed class SharedModelEmbeddingTests
{
    [SharedFact]
    public void Tiny_gpt_token_embedding_becomes_GatherBlockQuantized_and_the_logits_stay_close()
    {
        var model = OnnxModel.Load(Path.Combine(RepoPaths.SharedModels, "tiny_gpt.onnx"));
        var result = new WeightOnlyQuantizer(new WeightOnlyOptions { Method = "rtn", EmbeddingBits = 8, ExcludeOps = new HashSet<string> { "MatMul" } }).Quantize(model, null);

        var embedding = Assert.Single(result.Embeddings);
        Assert.Equal(("m.tok.weight", 99, 192), (embedding.Table, embedding.Rows, embedding.Cols));
        Assert.Single(result.Model.Graph.Nodes, n => n.OpType == "GatherBlockQuantized");
        Assert.True(embedding.Bytes < embedding.FloatBytes * 0.3, $"{embedding.Bytes} of {embedding.FloatBytes} bytes");

        long[] ids = [.. Enumerable.Range(0, 64).Select(i => (long)(i * 7 % 99))];
        var feed = new Dictionary<string, TensorProto> { ["input_ids"] = RawTensor("input_ids", TinyModels.Int64, [1, ids.Length], MemoryMarshal.AsBytes(ids.AsSpan()).ToArray()) };
        result.Model.Graph.SyncToProto();
        var quantized = MemoryMarshal.Cast<byte, float>(OrtRunner.RunOnce(result.Model.ToByteArray(), feed)[0].Bytes).ToArray();
        var reference = MemoryMarshal.Cast<byte, float>(OrtRunner.RunOnce(model.ToByteArray(), feed)[0].Bytes).ToArray();
        double noise = quantized.Zip(reference).Sum(p => Math.Pow(p.First - p.Second, 2)), signal = reference.Sum(v => (double)v * v);
        double sqnr = 10 * Math.Log10(signal / noise);
        Assert.True(sqnr > 45, $"logits SQNR {sqnr:F1} dB with 8-bit embeddings only");
    }
}
