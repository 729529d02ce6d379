using System.Runtime.InteropServices;
using Shrink.Data;
using Shrink.Methods.Pruning.Structured;
using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods.Pruning.Structured;

public class KvCacheHeadPruningTests
{
    private const int Heads = 2, HeadSize = 4;

    private static ChannelPruningOptions KeepOneHead(bool reconstruct = false) => new()
    {
        Sparsity = 0,
        Reconstruct = reconstruct,
        KeptChannels = new Dictionary<string, int> { [KvCacheAttentionFixtures.QkvNode] = 1 },
    };

    private static IReadOnlyList<OutputTensor> Run(byte[] model, int heads, int past)
    {
        var inputs = KvCacheAttentionFixtures.Inputs(batch: 2, seq: 3, Heads, past, HeadSize);
        if (heads < Heads)
        {
            // The pruned model reads the cache of the kept head (head 1) only.
            foreach (var name in new[] { "past_key", "past_value" })
            {
                var full = MemoryMarshal.Cast<byte, float>(TensorBytes.Raw(inputs[name])).ToArray();
                var kept = new float[2 * past * HeadSize];
                for (int b = 0; b < 2; b++) Array.Copy(full, (b * Heads + 1) * past * HeadSize, kept, b * past * HeadSize, past * HeadSize);
                inputs[name] = TinyModels.FloatTensor(name, [2, 1, past, HeadSize], kept);
            }
        }
        return OrtRunner.RunOnce(model, inputs);
    }

    private static float[] Floats(OutputTensor t) => MemoryMarshal.Cast<byte, float>(t.Bytes).ToArray();

    private static void Close(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4f * (1 + Math.Abs(expected[i])), $"[{i}]: {expected[i]} vs {actual[i]}");
    }

    [Fact]
    public void RemovingAHeadCutsItFromTheCacheAndEqualsZeroingItsOutputProjectionRows()
    {
        var proto = KvCacheAttentionFixtures.Decoder(Heads, HeadSize, weakHead: 0);
        var result = new ChannelPruner(KeepOneHead()).Prune(OnnxModel.FromProto(proto.Clone()));

        var group = Assert.Single(result.Groups, g => g.HeadSize is not null);
        Assert.Equal((Heads, 1), (group.Channels, group.Kept));
        // The cache inputs and outputs declare the head kept; nothing else of the interface changed.
        var graph = result.Model.Graph;
        Assert.Equal(["[batch,seq]", "[batch,1,past_seq,4]", "[batch,1,past_seq,4]"], graph.Inputs.Select(i => i.ShapeText));
        Assert.Equal(["[batch,seq,5]", "[batch,1,total_seq,4]", "[batch,1,total_seq,4]"], graph.Outputs.Select(o => o.ShapeText));
        Assert.Equal(["past_key", "past_value", "present_key", "present_value"], result.ResizedCache.Order(StringComparer.Ordinal));
        Assert.Contains("KV cache interface changed", result.CacheNote, StringComparison.Ordinal);
        // No data: the past length was probed at a few tokens, as the tokens were.
        Assert.Contains($"set to {KvCacheHeads.ProbePastLength} tokens", result.ProbeNote, StringComparison.Ordinal);

        // Head 0 removed = head 0's output-projection rows zeroed, its cache cut: the logits and head 1's cache agree.
        var expected = Run(TinyModels.Bytes(KvCacheAttentionFixtures.WithoutHead(proto, 0, HeadSize)), Heads, past: 3);
        var actual = Run(result.Model.ToByteArray(), 1, past: 3);
        Assert.Equal([2L, 3, KvCacheAttentionFixtures.Vocab], actual[0].Shape);
        Assert.Equal([2L, 1, 6, HeadSize], actual[1].Shape);
        Close(Floats(expected[0]), Floats(actual[0]));
        var presentKey = Floats(expected[1]);
        var keptKey = new float[2 * 6 * HeadSize];
        for (int b = 0; b < 2; b++) Array.Copy(presentKey, (b * Heads + 1) * 6 * HeadSize, keptKey, b * 6 * HeadSize, 6 * HeadSize);
        Close(keptKey, Floats(actual[1]));
    }

    [Fact]
    public void TheRefitReadsTheUnprunedCalibrationCacheThroughItsKeptHeads()
    {
        var proto = KvCacheAttentionFixtures.Decoder(Heads, HeadSize, weakHead: 0);
        var shapes = new Dictionary<string, long[]> { ["input_ids"] = [1, 3], ["past_key"] = [1, Heads, 2, HeadSize], ["past_value"] = [1, Heads, 2, HeadSize] };
        var result = new ChannelPruner(KeepOneHead(reconstruct: true)).Prune(OnnxModel.FromProto(proto.Clone()), inputs => new RandomDataSource(inputs, shapes, 16));

        // The output projection lost the head's rows and is refitted on batches whose caches still have both heads.
        var refit = Assert.Single(result.Refits, r => r.Node.StartsWith("o_matmul", StringComparison.Ordinal));
        Assert.True(refit.Rows > 0 && refit.RelativeErrorAfter <= refit.RelativeErrorBefore, $"{refit.RelativeErrorBefore} -> {refit.RelativeErrorAfter}");
        // The Gather that fed the refit is not in the written model: it reads the kept head's cache directly.
        Assert.DoesNotContain(result.Model.Graph.Nodes, n => n.Outputs[0].Contains("kept_heads", StringComparison.Ordinal));
        Assert.Equal("[batch,1,past_seq,4]", result.Model.Graph.Inputs.Single(i => i.Name == "past_key").ShapeText);
        var logits = Floats(Run(result.Model.ToByteArray(), 1, past: 3)[0]);
        Assert.All(logits, v => Assert.True(float.IsFinite(v)));
    }
}
