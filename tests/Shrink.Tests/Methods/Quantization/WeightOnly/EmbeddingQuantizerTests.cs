using System.Runtime.InteropServices;
using Onnx;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Model;
using Shrink.Tests.TestSupport;
using static Shrink.Tests.TestSupport.TinyModels;

namespace Shrink.Tests.Methods.Quantization.WeightOnly;

public sealed class EmbeddingQuantizerTests
{
    private static readonly long[] Ids = [0, 3, 3, 7, 48, 49, 12, 0, 25, 31, 2, 40];

    // ids int64 [n] → Gather(E [rows, cols], ids) (optionally through Add(ids, 1), computed indices) → output [n, cols];
    // with a head: also MatMul(output, W [cols, 8]) → logits, a layer the weight-only quantizer takes too.
    internal static OnnxModel Embedding(int rows = 50, int cols = 64, long axis = 0, bool computedIndices = false, bool head = false, int seed = 11)
    {
        var graph = new GraphProto { Name = "embedding" };
        graph.Input.Add(TensorInfo("ids", TinyModels.Int64, "n"));
        graph.Output.Add(axis == 0 ? FloatInfo("output", "n", cols) : FloatInfo("output", rows, "n"));
        graph.Initializer.Add(FloatTensor("E", [rows, cols], RandomFloats(rows * cols, seed)));
        string indices = "ids";
        if (computedIndices)
        {
            graph.Initializer.Add(RawTensor("one", TinyModels.Int64, [], BitConverter.GetBytes(1L)));
            graph.Node.Add(Node("Add", ["ids", "one"], ["shifted"], "shift"));
            indices = "shifted";
        }
        var gather = Node("Gather", ["E", indices], ["output"], "embed");
        if (axis != 0) gather.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = axis });
        graph.Node.Add(gather);
        if (head)
        {
            graph.Output.Add(FloatInfo("logits", "n", 8));
            graph.Initializer.Add(FloatTensor("W", [cols, 8], RandomFloats(cols * 8, seed + 1)));
            graph.Node.Add(Node("MatMul", ["output", "W"], ["logits"], "head"));
        }
        return OnnxModel.FromProto(BuildModel(graph, opset: 17), "embedding");
    }

    // ids int64 [n] → Gather(E [rows, cols]) → h → MatMul(h, W [cols, cols]) → h2 → Gemm(h2, E, transB=1) → logits [n, rows]:
    // the output head tied to the embedding table.
    internal static OnnxModel TiedEmbedding(int rows = 48, int cols = 64)
    {
        var graph = new GraphProto { Name = "tied" };
        graph.Input.Add(TensorInfo("ids", TinyModels.Int64, "n"));
        graph.Output.Add(FloatInfo("logits", "n", rows));
        graph.Initializer.Add(FloatTensor("E", [rows, cols], RandomFloats(rows * cols, 5)));
        graph.Initializer.Add(FloatTensor("W", [cols, cols], RandomFloats(cols * cols, 6)));
        graph.Node.Add(Node("Gather", ["E", "ids"], ["h"], "embed"));
        graph.Node.Add(Node("MatMul", ["h", "W"], ["h2"], "proj"));
        var gemm = Node("Gemm", ["h2", "E"], ["logits"], "head");
        gemm.Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        graph.Node.Add(gemm);
        return OnnxModel.FromProto(BuildModel(graph, opset: 17), "tied");
    }

    private static float[] Run(OnnxModel model, long[] ids, string output = "output")
    {
        model.Graph.SyncToProto();
        using var session = OrtRunner.Open(model.ToByteArray());
        var ids64 = RawTensor("ids", TinyModels.Int64, [ids.Length], MemoryMarshal.AsBytes(ids.AsSpan()).ToArray());
        var outputs = OrtRunner.Run(session, new Dictionary<string, TensorProto> { ["ids"] = ids64 });
        return MemoryMarshal.Cast<byte, float>(outputs.Single(o => o.Name == output).Bytes).ToArray();
    }

    private static WeightOnlyResult Quantize(OnnxModel model, WeightOnlyOptions options) =>
        new WeightOnlyQuantizer(options with { Method = "rtn" }).Quantize(model, null);

    [Theory]
    [InlineData(8, 16, true)]
    [InlineData(8, 64, false)]
    [InlineData(4, 16, true)]
    [InlineData(4, 32, false)]
    [InlineData(4, 0, true)]
    [InlineData(8, 128, true)]
    public void Gather_table_becomes_GatherBlockQuantized_that_runs_in_ort_within_the_rounding_bound(int bits, int groupSize, bool symmetric)
    {
        const int rows = 50, cols = 64;
        var model = Embedding(rows, cols);
        var result = Quantize(model, new WeightOnlyOptions { EmbeddingBits = bits, GroupSize = groupSize, Symmetric = symmetric });

        var node = Assert.Single(result.Model.Graph.Nodes, n => n.OpType == "GatherBlockQuantized");
        Assert.Equal("com.microsoft", node.Domain);
        Assert.Equal(bits, node.GetInt("bits", 0));
        int block = groupSize is 0 or >= cols ? cols : groupSize;
        Assert.Equal(block, node.GetInt("block_size", 0));
        Assert.DoesNotContain(result.Model.Graph.Nodes, n => n.OpType == "Gather");
        Assert.Null(result.Model.Graph.FindInitializer("E")); // the float table is gone
        Assert.Equal(symmetric ? 3 : 4, node.Inputs.Count);

        var embedding = Assert.Single(result.Embeddings);
        Assert.Equal((rows, cols, bits, block), (embedding.Rows, embedding.Cols, embedding.Bits, embedding.BlockSize));
        int blocks = (cols + block - 1) / block;
        long expectedBytes = rows * cols * bits / 8 + rows * blocks * 4 + (symmetric ? 0 : rows * ((blocks * bits + 7) / 8));
        Assert.Equal(expectedBytes, embedding.Bytes);

        // ORT's kernel computes exactly the dequantized table, and each value lies within the grid's rounding bound.
        var floats = RandomFloats(rows * cols, 11);
        var output = Run(result.Model, Ids);
        var reference = Run(result.DequantizedReference(model), Ids);
        var exact = Run(model, Ids);
        Assert.Equal(Ids.Length * cols, output.Length);
        for (int i = 0; i < output.Length; i++) Assert.True(Math.Abs(output[i] - reference[i]) <= 1e-6, $"element {i}: ORT {output[i]} vs dequantized {reference[i]}");
        double worst = 0;
        for (int i = 0; i < Ids.Length; i++)
        {
            for (int c = 0; c < cols; c++)
            {
                var group = floats.AsSpan((int)Ids[i] * cols + c / block * block, block);
                float max = 0, lo = 0, hi = 0;
                foreach (float v in group) (max, lo, hi) = (Math.Max(max, Math.Abs(v)), Math.Min(lo, v), Math.Max(hi, v));
                // symmetric: half a step of absmax/(2^(b−1)−1); asymmetric: a step of (max−min)/(2^b−1) (the zero point is rounded too).
                double bound = symmetric ? max / ((1 << (bits - 1)) - 1) / 2 : (hi - lo) / ((1 << bits) - 1);
                double error = Math.Abs(output[i * cols + c] - exact[i * cols + c]);
                Assert.True(error <= bound * (1 + 1e-5) + 1e-7, $"id {Ids[i]}, column {c}: error {error} over the bound {bound}");
                worst = Math.Max(worst, error);
            }
        }
        Assert.True(worst > 0, "the values should have been rounded");
        Assert.Equal(embedding.MaxAbsError, RandomFloats(rows * cols, 11).Zip(result.DequantizedReference(model).Graph.FindInitializer("E")!.ToFloatArray()).Max(p => Math.Abs(p.First - p.Second)), 6);
    }

    [Fact]
    public void Computed_indices_and_a_quantized_head_run_together()
    {
        var model = Embedding(computedIndices: true, head: true);
        var result = Quantize(model, new WeightOnlyOptions { EmbeddingBits = 4, GroupSize = 32 });

        Assert.Single(result.Model.Graph.Nodes, n => n.OpType == "GatherBlockQuantized");
        Assert.Single(result.Model.Graph.Nodes, n => n.OpType == "MatMulNBits");
        long[] ids = [0, 5, 48]; // shifted to 1, 6, 49 inside the model
        var logits = Run(result.Model, ids, "logits");
        var reference = Run(result.DequantizedReference(model), ids, "logits");
        for (int i = 0; i < logits.Length; i++) Assert.True(Math.Abs(logits[i] - reference[i]) <= 1e-4, $"logit {i}: {logits[i]} vs {reference[i]}");
    }

    [Fact]
    public void Auto_quantizes_large_tables_to_eight_bits_and_names_the_small_ones_left()
    {
        var large = Embedding(rows: 256, cols: 256);
        foreach (int weightBits in new[] { 2, 4, 8 })
            Assert.Equal(8, Assert.Single(Quantize(large, new WeightOnlyOptions { Bits = weightBits }).Embeddings).Bits);
        var int4 = Quantize(large, new WeightOnlyOptions { EmbeddingBits = 4 });
        Assert.Equal(4, Assert.Single(int4.Embeddings).Bits);
        Assert.True(int4.Embeddings[0].Bytes < int4.Embeddings[0].FloatBytes / 6, $"{int4.Embeddings[0].Bytes} of {int4.Embeddings[0].FloatBytes} bytes");

        var small = Quantize(Embedding(rows: 100, cols: 64, head: true), new WeightOnlyOptions());
        Assert.Empty(small.Embeddings);
        Assert.Contains(small.Model.Graph.Nodes, n => n.OpType == "Gather");
        var left = Assert.Single(small.LeftInFloat, l => l.OpType == "Gather");
        Assert.Contains("under the 65,536", left.Reason);
    }

    [Fact]
    public void Off_keeps_every_table_in_float_and_lists_nothing()
    {
        var result = Quantize(Embedding(rows: 256, cols: 256, head: true), new WeightOnlyOptions { EmbeddingBits = 0 });
        Assert.Empty(result.Embeddings);
        Assert.Contains(result.Model.Graph.Nodes, n => n.OpType == "Gather");
        Assert.DoesNotContain(result.LeftInFloat, l => l.OpType == "Gather");
    }

    [Fact]
    public void Tied_table_stays_float_with_the_reason_because_the_head_reading_it_stays_float()
    {
        // The head shares its weight with the Gather, so the layer quantizer leaves it; a quantized copy for the Gather
        // next to the float table the head still reads would add bytes, so the table stays and both say why.
        var model = TiedEmbedding();
        var result = Quantize(model, new WeightOnlyOptions { EmbeddingBits = 8, GroupSize = 32 });
        Assert.Single(result.Model.Graph.Nodes, n => n.OpType == "MatMulNBits"); // proj
        Assert.Contains(result.Model.Graph.Nodes, n => n.OpType == "Gather");
        Assert.DoesNotContain(result.Model.Graph.Nodes, n => n.OpType == "GatherBlockQuantized");
        Assert.NotNull(result.Model.Graph.FindInitializer("E"));
        Assert.Empty(result.Embeddings);
        Assert.Contains("shared", Assert.Single(result.LeftInFloat, l => l.Name == "head").Reason);
        Assert.Contains("table 'E' is also read by Gemm 'head', which keeps it in float", Assert.Single(result.LeftInFloat, l => l.OpType == "Gather").Reason);
        long[] ids = [1, 47, 20];
        var logits = Run(result.Model, ids, "logits");
        var reference = Run(result.DequantizedReference(model), ids, "logits");
        for (int i = 0; i < logits.Length; i++) Assert.True(Math.Abs(logits[i] - reference[i]) <= 1e-3 * (1 + Math.Abs(reference[i])), $"logit {i}: {logits[i]} vs {reference[i]}");
    }

    [Fact]
    public void Odd_rows_at_four_bits_are_left_in_float_with_the_reason()
    {
        var result = Quantize(Embedding(rows: 50, cols: 33, head: true), new WeightOnlyOptions { EmbeddingBits = 4, GroupSize = 16 });
        Assert.Empty(result.Embeddings);
        Assert.Contains(result.Model.Graph.Nodes, n => n.OpType == "Gather");
        var left = Assert.Single(result.LeftInFloat, l => l.OpType == "Gather");
        Assert.Contains("table 'E' has rows of 33 values, an odd number", left.Reason);
    }

    [Fact]
    public void A_table_gathered_along_another_axis_alone_is_refused_with_the_reason()
    {
        var e = Assert.Throws<ShrinkException>(() => Quantize(Embedding(axis: 1), new WeightOnlyOptions { EmbeddingBits = 8, GroupSize = 16 }));
        Assert.Contains("nothing to quantize", e.Message);
        Assert.Contains("table 'E' is gathered along axis 1 by 'embed'", e.Message);
    }

    [Fact]
    public void Odd_rows_quantize_at_eight_bits()
    {
        var model = Embedding(rows: 50, cols: 33);
        var result = Quantize(model, new WeightOnlyOptions { EmbeddingBits = 8, GroupSize = 16 });
        Assert.Equal(16, Assert.Single(result.Embeddings).BlockSize);
        var output = Run(result.Model, Ids);
        var reference = Run(result.DequantizedReference(model), Ids);
        for (int i = 0; i < output.Length; i++) Assert.True(Math.Abs(output[i] - reference[i]) <= 1e-6, $"element {i}");
    }

    [Theory]
    [InlineData(6, 32, "int8 or int4")]
    [InlineData(4, 48, "power of two")]
    [InlineData(8, 8, "power of two")]
    public void Unsupported_widths_and_blocks_are_refused_before_work(int bits, int groupSize, string message)
    {
        var options = new WeightOnlyOptions { EmbeddingBits = bits, GroupSize = groupSize };
        var e = Assert.Throws<OptionsException>(options.Validate);
        Assert.Contains(message, e.Message);
        Assert.Contains("--embeddings", e.Message);
    }

    [Fact]
    public void Auto_with_a_group_size_the_kernel_cannot_take_leaves_the_table_with_the_reason()
    {
        var result = Quantize(Embedding(rows: 256, cols: 256, head: true), new WeightOnlyOptions { GroupSize = 48 });
        Assert.Empty(result.Embeddings);
        Assert.Contains("--group-size is 48", Assert.Single(result.LeftInFloat, l => l.OpType == "Gather").Reason);
    }
}
