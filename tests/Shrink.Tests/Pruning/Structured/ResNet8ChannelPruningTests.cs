using Shrink.Data;
using Shrink.Evaluation;
using Shrink.Onnx;
using Shrink.Pruning.Structured;
using Shrink.Tests.TestSupport;
using Xunit.Abstractions;

namespace Shrink.Tests.Pruning.Structured;

public class ResNet8ChannelPruningTests(ITestOutputHelper output)
{
    [SharedFact(needsFashionMnist: true)]
    public void HalfTheMacsWithReconstructionKeepsResNet8Accurate()
    {
        string modelPath = Path.Combine(RepoPaths.SharedModels, "resnet8.onnx");
        var model = OnnxModel.Load(modelPath);
        var preprocessing = Preprocessing.LoadSidecar(modelPath) ?? new();
        var options = new ChannelPruningOptions
        {
            Sparsity = 0.5,
            Criterion = "reconstruction",
            ChannelMultiple = 8,
            Reconstruct = true,
            Samples = 128,
            ReconstructionRows = 8_192,
        };
        var result = new ChannelPruner(options).Prune(model,
            inputs => DataSourceFactory.Open(FashionMnist.TrainImages, new DataOptions { Preprocessing = preprocessing }, inputs));
        foreach (var g in result.Groups) output.WriteLine($"{g.Group}: {g.Channels} -> {g.Kept}");
        Assert.True(result.MacsAfter <= result.MacsBefore * 0.55, $"MACs {result.MacsBefore} -> {result.MacsAfter}");
        Assert.Equal(6, result.Groups.Count); // three residual-tied groups and three block-inner groups
        Assert.Single(result.LeftAlone);      // the classifier's 10 logits

        using var temp = new TempDirectory();
        string pruned = Path.Combine(temp.Path, "resnet8.pruned.onnx");
        result.Model.Save(pruned);
        var evaluation = new ModelEvaluator(new EvaluationOptions { LatencyBatchSizes = [], MaxSamples = 2000 }).Evaluate(pruned, null,
            inputs => DataSourceFactory.Open(FashionMnist.TestImages, new DataOptions { Preprocessing = preprocessing }, inputs));
        output.WriteLine($"accuracy on 2,000 test images: {evaluation.Accuracy:F4}; MACs {result.MacsBefore} -> {result.MacsAfter}; {result.Seconds:F1} s");
        Assert.True(evaluation.Accuracy >= 0.85, $"accuracy {evaluation.Accuracy}");
    }
}
