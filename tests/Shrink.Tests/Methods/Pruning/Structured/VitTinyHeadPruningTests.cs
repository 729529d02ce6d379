using Shrink.Data;
using Shrink.Evaluation;
using Shrink.Methods.Pruning.Structured;
using Shrink.Model;
using Shrink.Tests.TestSupport;
using Xunit.Abstractions;

namespace Shrink.Tests.Methods.Pruning.Structured;

public class VitTinyHeadPruningTests(ITestOutputHelper output)
{
    [SharedFact(needsFashionMnist: true)]
    public void QkvGroupsArePrunedInWholeHeadsAndTheResultLoads()
    {
        string modelPath = Path.Combine(RepoPaths.SharedModels, "vit_tiny.onnx");
        var preprocessing = Preprocessing.LoadSidecar(modelPath) ?? new();
        var options = new ChannelPruningOptions { Sparsity = 0.3, Reconstruct = true, Samples = 128, ReconstructionRows = 8_192 };
        var result = new ChannelPruner(options).Prune(OnnxModel.Load(modelPath),
            inputs => DataSourceFactory.Open(FashionMnist.TrainImages, new DataOptions { Preprocessing = preprocessing }, inputs));
        foreach (var g in result.Groups) output.WriteLine($"{g.Group}: {g.Unit} -> {g.KeptUnit}");

        // Four blocks: the fused qkv projection's 4 heads × 16 and the MLP's 128 hidden channels each.
        var heads = result.Groups.Where(g => g.HeadSize is not null).ToList();
        Assert.Equal(4, heads.Count);
        Assert.All(heads, g => Assert.Equal((4, 16), (g.Channels, g.HeadSize!.Value)));
        Assert.Contains(heads, g => g.Kept < g.Channels);
        Assert.DoesNotContain(result.LeftAlone, g => g.Reasons.Any(r => r.Contains("/a/Reshape", StringComparison.Ordinal)));
        Assert.True(result.MacsAfter <= result.MacsBefore * 0.75, $"MACs {result.MacsBefore} -> {result.MacsAfter}");

        using var temp = new TempDirectory();
        string pruned = Path.Combine(temp.Path, "vit_tiny.pruned.onnx");
        result.Model.Save(pruned);
        var evaluation = new ModelEvaluator(new EvaluationOptions { LatencyBatchSizes = [], MaxSamples = 2000 }).Evaluate(pruned, null,
            inputs => DataSourceFactory.Open(FashionMnist.TestImages, new DataOptions { Preprocessing = preprocessing }, inputs));
        output.WriteLine($"accuracy on 2,000 test images: {evaluation.Accuracy:F4}; MACs {result.MacsBefore} -> {result.MacsAfter}");
        // Measured 0.8666 on the full 10k test set with 256 calibration samples (fp32: 0.8768); 2k images, 128 samples here.
        Assert.True(evaluation.Accuracy >= 0.83, $"accuracy {evaluation.Accuracy}");
    }
}
