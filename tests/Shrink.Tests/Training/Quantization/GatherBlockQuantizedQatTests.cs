using System.Runtime.InteropServices;
using Onnx;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Model;
using Shrink.Tests.TestSupport;
using Shrink.Training.Quantization;
using static Shrink.Tests.TestSupport.TinyModels;

namespace Shrink.Tests.Training.Quantization;

/// <summary>
/// Weight-only QAT of the embedding tables PTQ writes as com.microsoft GatherBlockQuantized: a float table behind the
/// fake quantizer, read by a plain Gather, exported into the same codes and scales.
/// </summary>
public sealed class GatherBlockQuantizedQatTests
{
    private static readonly long[] Ids = [0, 3, 3, 7, 48, 12, 0, 25, 31, 2, 40, 47];

    // ids int64 [n] → Gather(E [50, 40], ids) + Gather(E, ids + 1) → MatMul(·, W [40, 8]) → logits [n, 8]: one table read
    // by two Gathers; rows of 40 leave a short last block of 16 or 32 (or one block of 64 for --group-size 0).
    private static OnnxModel Embedded()
    {
        const int rows = 50, cols = 40;
        var graph = new GraphProto { Name = "embedded" };
        graph.Input.Add(TensorInfo("ids", TinyModels.Int64, "n"));
        graph.Output.Add(FloatInfo("logits", "n", 8));
        graph.Initializer.Add(FloatTensor("E", [rows, cols], RandomFloats(rows * cols, 11)));
        graph.Initializer.Add(FloatTensor("W", [cols, 8], RandomFloats(cols * 8, 12).Select(v => 0.3f * v).ToArray()));
        graph.Initializer.Add(RawTensor("one", TinyModels.Int64, [], BitConverter.GetBytes(1L)));
        graph.Node.Add(Node("Add", ["ids", "one"], ["next"], "shift"));
        graph.Node.Add(Node("Gather", ["E", "ids"], ["token"], "embed"));
        graph.Node.Add(Node("Gather", ["E", "next"], ["following"], "embed_next"));
        graph.Node.Add(Node("Add", ["token", "following"], ["h"], "sum"));
        graph.Node.Add(Node("MatMul", ["h", "W"], ["logits"], "head"));
        return OnnxModel.FromProto(BuildModel(graph, opset: 17), "embedded");
    }

    private static OnnxModel Ptq(int bits, bool symmetric, int groupSize) =>
        new WeightOnlyQuantizer(new WeightOnlyOptions { Bits = 4, EmbeddingBits = bits, GroupSize = groupSize, Symmetric = symmetric, Method = "rtn" }).Quantize(Embedded(), null).Model;

    private static float[] Run(OnnxModel model)
    {
        model.Graph.SyncToProto();
        using var session = OrtRunner.Open(model.ToByteArray());
        var ids = RawTensor("ids", TinyModels.Int64, [Ids.Length], MemoryMarshal.AsBytes(Ids.AsSpan()).ToArray());
        var outputs = OrtRunner.Run(session, new Dictionary<string, TensorProto> { ["ids"] = ids });
        return MemoryMarshal.Cast<byte, float>(outputs.Single(o => o.Name == "logits").Bytes).ToArray();
    }



    [Theory]
    [InlineData(4, true, 16)]
    [InlineData(4, false, 32)]
    [InlineData(8, true, 0)]
    [InlineData(8, false, 16)]
    [InlineData(4, true, 0)]
    public void Gather_block_quantized_tables_are_trained_and_exported_into_the_same_codes_and_scales(int bits, bool symmetric, int groupSize)
    {
        var ptq = Ptq(bits, symmetric, groupSize);
        var gathers = ptq.Graph.Nodes.Where(n => n.OpType == "GatherBlockQuantized").ToList();
        Assert.Equal(2, gathers.Count);
        Assert.All(gathers, g => Assert.Equal(bits, g.GetInt("bits", 0)));
        var qat = WeightOnlyQatRewriter.Rewrite(ptq, new WeightOnlyQatOptions { Bits = 4 });
        Assert.Equal(1, qat.EmbeddingTables);
        Assert.Equal(0, qat.FrozenLayers);
        Assert.DoesNotContain(qat.Model.Graph.Nodes, n => n.OpType is "GatherBlockQuantized" or "MatMulNBits" or "DequantizeLinear");
        Assert.Equal(2, qat.Model.Graph.Nodes.Count(n => n.OpType == "Gather"));
        var codes = gathers[0].Inputs[0];
        var table = qat.Parameters.Single(p => qat.Roles[p] == ParameterRole.Weight && qat.Model.Graph.FindInitializer(p)!.Dims.SequenceEqual([50L, 40L]));
        Assert.Contains(qat.Model.Graph.Nodes, n => n.OpType == "Clip" || n.OpType == "Max");

        // Before training the training model computes the PTQ model.
        var before = Run(ptq);
        QatFixtures.AssertClose(before, Run(qat.Model), "PTQ, training model");

        // Exported untrained, it is the PTQ model byte for byte.
        Assert.True(ptq.ToByteArray().SequenceEqual(qat.Export(qat.Model).ToByteArray()), "the untrained export differs from the PTQ model");

        // Exported after moving every value, the written model (still GatherBlockQuantized, same size) computes what the training model computes.
        var trained = QatFixtures.Moved(qat, seed: 7);
        var exported = qat.Export(trained);
        Assert.Equal(ptq.Graph.Nodes.Select(n => (n.Name, n.OpType)), exported.Graph.Nodes.Select(n => (n.Name, n.OpType)));
        Assert.Equal(ptq.ToByteArray().Length, exported.ToByteArray().Length);
        Assert.Equal(ptq.Graph.FindInitializer(codes)!.Dims, exported.Graph.FindInitializer(codes)!.Dims);
        Assert.False(ptq.Graph.FindInitializer(codes)!.RawBytes.SequenceEqual(exported.Graph.FindInitializer(codes)!.RawBytes), $"the codes of table {table} did not change");
        var training = Run(trained);
        QatFixtures.AssertClose(training, Run(exported), "training, exported");
        Assert.True(training.Select((v, i) => Math.Abs(v - before[i])).Max() > 1e-3 * training.Max(Math.Abs), "the moved values changed nothing");
    }

    [Fact]
    public void A_table_whose_gathers_disagree_is_refused_naming_the_nodes()
    {
        var ptq = Ptq(4, symmetric: true, groupSize: 16);
        var second = ptq.Graph.Nodes.Where(n => n.OpType == "GatherBlockQuantized").Last();
        second.SetInt("block_size", 32);
        var error = Assert.Throws<ShrinkException>(() => WeightOnlyQatRewriter.Rewrite(ptq, new WeightOnlyQatOptions { Bits = 4 }));
        Assert.Contains("'embed_next'", error.Message, StringComparison.Ordinal);
        Assert.Contains("GatherBlockQuantized", error.Message, StringComparison.Ordinal);
    }
}
