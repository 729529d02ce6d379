using Google.Protobuf;
using Onnx;
using Shrink.Data;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods.Quantization.WeightOnly;

/// <summary>Weight-only quantization rewrites Conv/Gemm/MatMul inside If branches, Loop and Scan bodies in place; the result runs in ORT close to the original.</summary>
public sealed class WeightOnlyQuantizerSubgraphTests
{
    private static Func<IReadOnlyList<ModelInputSpec>, IDataSource> Random(int samples) =>
        inputs => DataSourceFactory.Open($"random:{samples}", new DataOptions { Seed = 4 }, inputs);

    [Theory]
    [InlineData("if_inner", 4, 2, 12)]
    [InlineData("if_outer", 4, 2, 12)]
    [InlineData("if_conv", 4, 2, 12)]
    [InlineData("loop", 4, 1, 12)]
    [InlineData("scan", 4, 1, 12)]
    [InlineData("if_inner", 8, 2, 30)]
    [InlineData("if_conv", 8, 2, 30)]
    public void Rtn_rewrites_the_layers_inside_subgraphs_with_their_codes_in_the_subgraph(string fixture, int bits, int layers, double minSqnr)
    {
        var proto = SubgraphModels.Named(fixture);
        var result = new WeightOnlyQuantizer(new WeightOnlyOptions { Method = "rtn", Bits = bits, GroupSize = 16 }).Quantize(OnnxModel.FromProto(proto.Clone()), null);
        Assert.Equal(layers, result.Layers.Count);
        Assert.All(result.Layers, l => Assert.Contains(" (in ", l.Name, StringComparison.Ordinal));
        Assert.All(result.Layers, l => Assert.Equal("rtn", l.Method));
        Assert.True(result.QuantizedWeightBytes < result.FloatWeightBytes);

        var written = result.Model.Proto;
        // No original float weight is left anywhere but W_shared (read by both branches: left in float, see below).
        var originals = SubgraphModels.AllGraphs(proto.Graph).SelectMany(g => g.Initializer).Where(t => t.Dims.Count >= 2 && t.Name != "W_shared").Select(t => t.Name).ToHashSet();
        Assert.NotEmpty(originals);
        Assert.DoesNotContain(SubgraphModels.AllGraphs(written.Graph).SelectMany(g => g.Initializer), t => originals.Contains(t.Name));
        // The codes live in the subgraphs, not in the main graph.
        Assert.DoesNotContain(written.Graph.Initializer, t => t.DataType != (int)TensorProto.Types.DataType.Float && t.DataType != (int)TensorProto.Types.DataType.Int64);
        Assert.Empty(SubgraphModels.DuplicateNames(written));

        foreach (bool flag in new[] { true, false })
        {
            double sqnr = SubgraphModels.WorstSqnr(proto.ToByteArray(), written.ToByteArray(), SubgraphModels.Inputs(proto, flag));
            Assert.True(sqnr > minSqnr, $"{fixture} at {bits} bits, flag {flag}: SQNR {sqnr:F1} dB");
        }
    }

    [Fact]
    public void Gptq_rounds_the_main_graph_with_data_and_falls_back_to_rtn_inside_a_branch_saying_why()
    {
        var proto = SubgraphModels.IfReadingMainGraphChannels();
        var result = new WeightOnlyQuantizer(new WeightOnlyOptions { Method = "gptq", Bits = 4, GroupSize = 16, Samples = 32 }).Quantize(OnnxModel.FromProto(proto.Clone()), Random(32));
        Assert.Equal("gptq", Assert.Single(result.Layers, l => l.Name == "gemm0").Method);
        var inside = Assert.Single(result.Layers, l => l.Name == "mm_then (in If 'branch' then_branch)");
        Assert.Equal("rtn (inside If 'branch' then_branch: a subgraph's inputs cannot be tapped for a Hessian)", inside.Method);
        Assert.Null(inside.MethodError);
        foreach (bool flag in new[] { true, false })
        {
            double sqnr = SubgraphModels.WorstSqnr(proto.ToByteArray(), result.Model.ToByteArray(), SubgraphModels.Inputs(proto, flag));
            Assert.True(sqnr > 10, $"flag {flag}: SQNR {sqnr:F1} dB");
        }
    }

    [Fact]
    public void A_shared_outer_weight_stays_float_with_the_layers_named()
    {
        var result = new WeightOnlyQuantizer(new WeightOnlyOptions { Method = "rtn", Bits = 4, GroupSize = 16 }).Quantize(OnnxModel.FromProto(SubgraphModels.IfWithOuterWeights()), null);
        Assert.Equal(2, result.Layers.Count);
        Assert.Contains(result.LeftInFloat, l => l.Name == "shared_then (in If 'branch' then_branch)" && l.Reason.Contains("'W_shared'", StringComparison.Ordinal));
        Assert.NotNull(result.Model.Graph.FindInitializer("W_shared"));
    }
}
