using Shrink.Evaluation;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Evaluation;

public class ClassifierFeaturesTests
{
    [SharedFact(needsFashionMnist: true)]
    public void The_features_are_the_heads_input_and_generated_pixels_go_through_the_same_preprocessing()
    {
        using var features = ClassifierFeatures.Open(Path.Combine(RepoPaths.SharedModels, "resnet8.onnx"));
        Assert.Equal("/Flatten_output_0", features.Tensor);
        Assert.Equal(0.353f, features.Preprocessing.Std[0], 4);
        var real = features.Measure(FashionMnist.TestImages, 64, 32);
        Assert.Equal(64, real.Dimension);
        Assert.Equal(64, real.Count);

        // The first 64 test images, given as generated images in [−1, 1], give exactly the same features.
        var images = ReadImages(FashionMnist.TestImages, 64);
        var x = images.Select(p => p / 127.5f - 1f).ToArray();
        FeatureMoments? generated = null;
        features.AddGenerated(x, 64, [1, 28, 28], ref generated);
        Assert.NotNull(generated);
        Assert.Equal(0, FrechetDistance.Compute(real, generated), 4);
        var e = Assert.Throws<ShrinkException>(() => features.AddGenerated(new float[2 * 3 * 8 * 8], 2, [3, 8, 8], ref generated));
        Assert.Contains("does not take the generated images [batch,3,8,8]", e.Message);
    }

    [Fact]
    public void A_model_without_a_gemm_or_matmul_is_refused()
    {
        using var dir = new TempDirectory();
        string path = dir.File("relu.onnx");
        var graph = new Onnx.GraphProto { Name = "g" };
        graph.Input.Add(TinyModels.FloatInfo("x", 1, 4));
        graph.Output.Add(TinyModels.FloatInfo("y", 1, 4));
        graph.Node.Add(TinyModels.Node("Relu", ["x"], ["y"], "relu"));
        File.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(TinyModels.BuildModel(graph)));
        var e = Assert.Throws<ShrinkException>(() => ClassifierFeatures.Open(path));
        Assert.Contains("no Gemm or MatMul", e.Message);
    }

    private static byte[] ReadImages(string path, int count)
    {
        using var stream = new System.IO.Compression.GZipStream(File.OpenRead(path), System.IO.Compression.CompressionMode.Decompress);
        var header = new byte[16];
        stream.ReadExactly(header);
        var pixels = new byte[count * 784];
        stream.ReadExactly(pixels);
        return pixels;
    }
}
