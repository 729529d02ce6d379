using Shrink.Data;
using Shrink.Evaluation;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Evaluation;

public class ModelEvaluatorTests
{
    private static readonly string Sample = Path.Combine(RepoPaths.RepoRoot, "samples", "cnn_small.onnx");
    private static readonly string SampleImages = Path.Combine(RepoPaths.RepoRoot, "samples", "fashion-mnist", "t1k-images-idx3-ubyte.gz");

    private static Func<IReadOnlyList<ModelInputSpec>, IDataSource> Open(string data, string model) =>
        inputs => DataSourceFactory.Open(data, new DataOptions { Preprocessing = Preprocessing.LoadSidecar(model) ?? new() }, inputs);

    [SharedFact(needsFashionMnist: true)]
    public void Reproduces_the_stated_fp32_accuracy_on_the_10k_test_set()
    {
        foreach (var name in new[] { "cnn_small.onnx", "resnet8.onnx" })
        {
            string model = Path.Combine(RepoPaths.SharedModels, name);
            var result = new ModelEvaluator(new EvaluationOptions { LatencyBatchSizes = [], EvalBatchSize = 500 })
                .Evaluate(model, null, Open(FashionMnist.TestImages, model));
            Assert.Equal(10_000, result.Samples);
            double stated = SharedModelFacts.StatedAccuracy(name);
            Assert.True(Math.Abs(result.Accuracy!.Value - stated) <= 0.001, $"{name}: measured {result.Accuracy:F4}, stated {stated:F4}");
        }
    }

    [Fact]
    public void Comparing_a_model_with_itself_gives_perfect_fidelity_and_timings_for_both()
    {
        var options = new EvaluationOptions { LatencyBatchSizes = [1, 8], MaxSamples = 200, Latency = new LatencyMeter { Runs = 5, WarmupRuns = 1 } };
        var result = new ModelEvaluator(options).Evaluate(Sample, Sample, Open(SampleImages, Sample));
        Assert.Equal(200, result.Samples);
        Assert.Equal(result.ReferenceAccuracy, result.Accuracy);
        Assert.InRange(result.Accuracy!.Value, 0.85, 1.0);
        Assert.Equal(1.0, result.Top1Agreement);
        var fidelity = Assert.Single(result.Fidelity!);
        Assert.Null(fidelity.SqnrDb); // identical outputs: infinite SQNR
        Assert.Equal(1.0, fidelity.Cosine!.Value, 9);
        Assert.Equal(["1", "8"], result.LatencyMs.Keys.Order());
        Assert.Equal(["1", "8"], result.ReferenceLatencyMs!.Keys.Order());
        Assert.All(result.Speedup!.Values, s => Assert.True(s > 0));
        Assert.All(result.LatencyMs.Values, ms => Assert.True(ms > 0));
        Assert.Equal(new FileInfo(Sample).Length, result.SizeBytes);
        Assert.Equal(result.Params, result.ReferenceParams);
    }

    [Fact]
    public void Parameters_and_macs_follow_the_cnn_layer_shapes()
    {
        var result = new ModelEvaluator(new EvaluationOptions { LatencyBatchSizes = [], MaxSamples = 10 })
            .Evaluate(Sample, null, Open(SampleImages, Sample));
        // cnn_small: Conv 1→32 3x3 (28x28 out), MaxPool, Conv 32→64 3x3 (14x14 out), MaxPool, Gemm 3136→128, Gemm 128→10.
        long parameters = (32 * 9 + 32) + (64 * 32 * 9 + 64) + (3136 * 128 + 128) + (128 * 10 + 10);
        long macs = 28L * 28 * 32 * 9 + 14L * 14 * 64 * 32 * 9 + 3136L * 128 + 128L * 10;
        Assert.Equal(parameters, result.Params);
        Assert.Equal(macs, result.Macs);
    }

    [Fact]
    public void Labels_fewer_than_images_fail_before_any_result()
    {
        using var dir = new TempDirectory();
        // A labels file with 10 labels beside the 1,000 sample images.
        string images = dir.File("x-images-idx3-ubyte.gz");
        File.Copy(SampleImages, images);
        var labels = new byte[8 + 10];
        labels[3] = 0x01; labels[2] = 0x08; labels[7] = 10;
        File.WriteAllBytes(dir.File("x-labels-idx1-ubyte"), labels);
        var e = Assert.Throws<ShrinkException>(() => new ModelEvaluator(new EvaluationOptions { LatencyBatchSizes = [] })
            .Evaluate(Sample, null, inputs => DataSourceFactory.Open(images, new DataOptions { LabelsPath = dir.File("x-labels-idx1-ubyte"), Preprocessing = Preprocessing.LoadSidecar(Sample)! }, inputs)));
        Assert.Contains("x-labels-idx1-ubyte", e.Message);
    }
}
