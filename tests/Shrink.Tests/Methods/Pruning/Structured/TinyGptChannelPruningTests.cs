using Shrink.Methods.Pruning.Structured;
using Shrink.Model;
using Shrink.Tests.TestSupport;
using Xunit.Abstractions;

namespace Shrink.Tests.Methods.Pruning.Structured;

public class TinyGptChannelPruningTests(ITestOutputHelper output)
{
    [SharedFact]
    public void FindsEachBlocksHeadsAndMlpChannelsAndThePrunedModelRunsOnAnySequenceLength()
    {
        string modelPath = Path.Combine(RepoPaths.SharedModels, "tiny_gpt.onnx");
        // No data: the random probe sizes the symbolic sequence; a uniform quarter of every group.
        var options = new ChannelPruningOptions { Sparsity = 0.25, Schedule = PruningSchedule.Uniform };
        var result = new ChannelPruner(options).Prune(OnnxModel.Load(modelPath));
        foreach (var g in result.Groups) output.WriteLine($"{g.Group}: {g.Unit} -> {g.KeptUnit}");

        // Four blocks: the fused qkv projection's 4 heads × 48 (Split, Reshape, Transpose) and fc1's 768 channels (Erf GELU).
        var heads = result.Groups.Where(g => g.HeadSize is not null).ToList();
        Assert.Equal(4, heads.Count);
        Assert.All(heads, g => Assert.Equal((4, 48, 3), (g.Channels, g.HeadSize!.Value, g.Kept)));
        var mlp = result.Groups.Where(g => g.Producers.Any(p => p.Contains("fc1", StringComparison.Ordinal))).ToList();
        Assert.Equal(4, mlp.Count);
        Assert.All(mlp, g => Assert.Equal(768, g.Channels));
        Assert.All(mlp, g => Assert.True(g.Kept <= 576 && g.Kept >= 512 && g.Kept % 16 == 0, $"{g.Group}: kept {g.Kept}"));
        Assert.Contains("16 tokens", result.ProbeNote, StringComparison.Ordinal);

        var ids = new long[2 * 37];
        for (int k = 0; k < ids.Length; k++) ids[k] = k * 7 % 99;
        var input = new Dictionary<string, Onnx.TensorProto> { ["input_ids"] = TinyModels.RawTensor("input_ids", 7, [2, 37], ids.SelectMany(BitConverter.GetBytes).ToArray()) };
        var logits = Assert.Single(OrtRunner.RunOnce(result.Model.ToByteArray(), input));
        Assert.Equal([2L, 37, 99], logits.Shape);
    }
}
