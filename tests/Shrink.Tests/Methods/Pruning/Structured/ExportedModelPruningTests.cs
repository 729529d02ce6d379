using Microsoft.ML.OnnxRuntime;
using Shrink.Data;
using Shrink.Methods.Pruning.Structured;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods.Pruning.Structured;

/// <summary>
/// Channel and head pruning on graphs that torch.onnx wrote (tests/Shrink.Tests/Fixtures/Exports): the pruned model loads
/// in ORT with the original interface, removing units equals zeroing them in the original, and the groups left alone
/// name the node that stopped them.
/// </summary>
public class ExportedModelPruningTests
{
    private static ChannelPruningOptions Options(string name, Dictionary<string, int> kept) => new()
    {
        Sparsity = 0,
        ChannelMultiple = 1,
        KeptChannels = kept,
        ShapeOverrides = ProbeShapes(name),
    };

    /// <summary>The probe's sizes for a token axis that the export left dynamic (6 tokens; the tests then run 5).</summary>
    private static Dictionary<string, long[]>? ProbeShapes(string name)
    {
        if (!ExportFixtures.DynamicTokens(name)) return null;
        var shapes = new Dictionary<string, long[]> { ["x"] = [1, 6, ExportFixtures.D] };
        if (name == "bert_attention") shapes["mask"] = [1, 1, 1, 6];
        return shapes;
    }

    private static ChannelPruningResult Prune(string name, ChannelPruningOptions options) =>
        new ChannelPruner(options).Prune(ExportFixtures.Load(name));

    [Theory]
    [InlineData("timm_unbind", "/qkv/MatMul", "/proj/MatMul")]
    [InlineData("timm_unbind_dynseq", "/qkv/MatMul", "/proj/MatMul")]
    [InlineData("timm_index_dynseq", "/qkv/MatMul", "/proj/MatMul")]
    [InlineData("bert_attention", "/query/MatMul", "/dense/MatMul")]
    [InlineData("bart_attention_4d", "/q_proj/MatMul", "/out_proj/MatMul")]
    [InlineData("nanogpt_attention", "/c_attn/MatMul", "/c_proj/MatMul")]
    [InlineData("gpt2_attention", "/c_attn/Gemm", "/c_proj/Gemm")]
    public void RemovingHeadsEqualsZeroingTheirOutputProjectionRows(string name, string qkv, string projection)
    {
        var result = Prune(name, Options(name, new() { [qkv] = 2 }));

        var group = Assert.Single(result.Groups);
        Assert.Equal((4, ExportFixtures.HeadSize, 2), (group.Channels, group.HeadSize, group.Kept));
        var original = ExportFixtures.Load(name);
        int[] kept = ExportFixtures.KeptUnits(ExportFixtures.WeightOf(original, projection), ExportFixtures.WeightOf(result.Model, projection), 0, ExportFixtures.HeadSize);
        Assert.Equal([8, ExportFixtures.D], ExportFixtures.WeightOf(result.Model, projection).Dims.ToArray());
        Assert.Equal(group.Producers.Count == 1 ? 24 : 8, ExportFixtures.WeightOf(result.Model, qkv).Dims[1]);

        ExportFixtures.ZeroUnits(ExportFixtures.WeightOf(original, projection), 0, ExportFixtures.HeadSize, Enumerable.Range(0, 4).Except(kept));
        AssertSameInterfaceAndOutputs(name, original.ToByteArray(), result.Model.ToByteArray());
    }

    [Theory]
    [InlineData("mha_block_opset13")]
    [InlineData("mha_block_opset17")]
    public void MlpChannelsOfAMultiheadAttentionBlockArePrunedAsZeroingTheirFirstLinearColumns(string name)
    {
        var result = Prune(name, Options(name, new() { ["/fc1/MatMul"] = 20 }));

        var group = Assert.Single(result.Groups);
        Assert.Equal((32, 20), (group.Channels, group.Kept));
        var original = ExportFixtures.Load(name);
        var weight = ExportFixtures.WeightOf(original, "/fc1/MatMul");
        int[] kept = ExportFixtures.KeptUnits(weight, ExportFixtures.WeightOf(result.Model, "/fc1/MatMul"), 1, 1);
        var removed = Enumerable.Range(0, 32).Except(kept).ToArray();
        ExportFixtures.ZeroUnits(weight, 1, 1, removed);
        ExportFixtures.ZeroUnits(original.Graph.FindInitializer("fc1.bias")!, 0, 1, removed);
        AssertSameInterfaceAndOutputs(name, original.ToByteArray(), result.Model.ToByteArray());
    }

    [Fact]
    public void FlattenedConvChannelsAndHiddenChannelsArePrunedAsZeroingThem()
    {
        const string name = "flatten_mlp";
        var result = Prune(name, Options(name, new() { ["/conv/Conv"] = 2, ["/fc1/Gemm"] = 16 }));

        Assert.Equal([(4, 2), (24, 16)], result.Groups.Select(g => (g.Channels, g.Kept)).Order().ToArray());
        var original = ExportFixtures.Load(name);
        foreach (var (node, count) in new[] { ("/conv/Conv", 4), ("/fc1/Gemm", 24) })
        {
            // Matched by bias: fc1's rows also lost the columns of the removed conv channels.
            var bias = original.Graph.FindInitializer(original.Graph.Nodes.Single(n => n.Name == node).Inputs[2])!;
            int[] kept = ExportFixtures.KeptUnits(bias, result.Model.Graph.FindInitializer(bias.Name)!, 0, 1);
            var removed = Enumerable.Range(0, count).Except(kept).ToArray();
            ExportFixtures.ZeroUnits(ExportFixtures.WeightOf(original, node), 0, 1, removed);
            ExportFixtures.ZeroUnits(bias, 0, 1, removed);
        }
        // fc1's columns that read a removed conv channel's 4 × 4 positions went with it.
        Assert.Equal([16, 2 * 16], ExportFixtures.WeightOf(result.Model, "/fc1/Gemm").Dims.ToArray());
        AssertSameInterfaceAndOutputs(name, original.ToByteArray(), result.Model.ToByteArray());
    }

    [Theory]
    // The packed q,k,v projection's chunk(3) is followed (a run group), but the heads are folded into the batch.
    [InlineData("mha_block_opset13", "/attn/MatMul", "Reshape /attn/Reshape mixes channels (shape unknown or channel axis split)")]
    [InlineData("mha_block_opset17", "/attn/MatMul", "Reshape /attn/Reshape mixes channels (shape unknown or channel axis split)")]
    [InlineData("mha_block_opset17", "/attn/Gemm", "Add /Add mixes the channels with 'x', whose channels are not tracked")]
    [InlineData("timm_unbind", "/proj/MatMul", "Add /Add mixes the channels with 'x', whose channels are not tracked")]
    [InlineData("bert_attention", "/dense/MatMul", "Add /Add_1 mixes the channels with 'x', whose channels are not tracked")]
    [InlineData("flatten_mlp", "/fc2/Gemm", "its channels reach graph output 'y'")]
    [InlineData("bart_attention", "/q_proj/MatMul", "Reshape /Reshape_3 may fold a size-1 axis before the channels (the batch, measured at 1) into the channel axis")]
    [InlineData("bart_attention", "/v_proj/MatMul", "Reshape /Reshape_5 may fold a size-1 axis before the channels (the batch, measured at 1) into the channel axis")]
    [InlineData("bart_attention", "/out_proj/MatMul", "Add /Add mixes the channels with 'x', whose channels are not tracked")]
    [InlineData("gpt2_attention", "/c_proj/Gemm", "Add /Add mixes the channels with 'x', whose channels are not tracked")]
    public void GroupsLeftAloneNameTheNodeThatStoppedThem(string name, string group, string reason)
    {
        var result = Prune(name, Options(name, []));
        var alone = Assert.Single(result.LeftAlone, g => g.Group == group);
        Assert.Contains(reason, alone.Reasons);
        Assert.DoesNotContain(result.Groups, g => g.Group == group);
        if (name == "bart_attention" && group != "/out_proj/MatMul") Assert.Equal("4 heads × 4", alone.Unit);
    }

    [Fact]
    public void AModelWithNothingToPruneSaysWhyInsteadOfMissingTheTarget()
    {
        var options = new ChannelPruningOptions { Sparsity = 0.3, ShapeOverrides = ProbeShapes("bart_attention") };
        var error = Assert.Throws<ShrinkException>(() => new ChannelPruner(options).Prune(ExportFixtures.Load("bart_attention")));
        Assert.Contains("no group can be pruned safely (/q_proj/MatMul: Reshape /Reshape_3 may fold", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mha_block_opset13")]
    [InlineData("mha_block_opset17")]
    [InlineData("timm_unbind")]
    [InlineData("timm_unbind_dynseq")]
    [InlineData("timm_index_dynseq")]
    [InlineData("bert_attention")]
    [InlineData("bart_attention_4d")]
    [InlineData("nanogpt_attention")]
    [InlineData("gpt2_attention")]
    [InlineData("flatten_mlp")]
    public void PrunedWithReconstructionLoadsWithTheSameInterface(string name)
    {
        var options = new ChannelPruningOptions
        {
            Sparsity = 0.2,
            ChannelMultiple = 1,
            Reconstruct = true,
            Samples = 32,
            BatchSize = 8,
            ShapeOverrides = ProbeShapes(name),
        };
        var overrides = ProbeShapes(name) ?? new Dictionary<string, long[]>();
        var result = new ChannelPruner(options).Prune(ExportFixtures.Load(name), inputs => new RandomDataSource(inputs, overrides, 32));
        Assert.NotEmpty(result.Groups);
        Assert.True(result.MacsAfter < result.MacsBefore, $"MACs {result.MacsBefore} -> {result.MacsAfter}");
        AssertSameInterface(File.ReadAllBytes(ExportFixtures.PathOf(name)), result.Model.ToByteArray(), name);
    }

    /// <summary>
    /// The same inputs and outputs (names, types, dims, symbolic dims) in ORT, and the same output shapes at batch 3 (and
    /// 5 tokens where the token axis is dynamic: the probe measured 1 and 6).
    /// </summary>
    private static (IReadOnlyList<OutputTensor> Expected, IReadOnlyList<OutputTensor> Actual) AssertSameInterface(byte[] original, byte[] pruned, string name)
    {
        using var before = OrtRunner.Open(original);
        using var after = OrtRunner.Open(pruned);
        Assert.Equal(Describe(before.InputMetadata), Describe(after.InputMetadata));
        Assert.Equal(Describe(before.OutputMetadata), Describe(after.OutputMetadata));
        var inputs = ExportFixtures.Input(name, batch: 3, tokens: ExportFixtures.DynamicTokens(name) ? 5 : 6);
        var expected = OrtRunner.Run(before, inputs);
        var actual = OrtRunner.Run(after, inputs);
        Assert.Equal(expected.Select(e => (e.Name, e.ShapeText)), actual.Select(a => (a.Name, a.ShapeText)));
        return (expected, actual);
    }

    private static void AssertSameInterfaceAndOutputs(string name, byte[] reference, byte[] pruned)
    {
        AssertSameInterface(File.ReadAllBytes(ExportFixtures.PathOf(name)), pruned, name);
        var (expected, actual) = AssertSameInterface(reference, pruned, name);
        for (int o = 0; o < expected.Count; o++)
        {
            var e = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(expected[o].Bytes).ToArray();
            var a = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(actual[o].Bytes).ToArray();
            Assert.Equal(e.Length, a.Length);
            for (int i = 0; i < e.Length; i++)
                Assert.True(Math.Abs(e[i] - a[i]) <= 1e-4f * (1 + Math.Abs(e[i])), $"{expected[o].Name}[{i}]: {e[i]} vs {a[i]}");
        }
    }

    private static string[] Describe(IReadOnlyDictionary<string, NodeMetadata> metadata) =>
        metadata.OrderBy(m => m.Key, StringComparer.Ordinal)
            .Select(m => $"{m.Key}:{m.Value.ElementDataType}[{string.Join(",", m.Value.Dimensions.Select((d, i) => d >= 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : m.Value.SymbolicDimensions[i]))}]")
            .ToArray();
}
