using Shrink.Data;
using Shrink.Methods.Pruning.Dependency;
using Shrink.Methods.Pruning.Importance;
using Shrink.Model;

namespace Shrink.Tests.Methods.Pruning.Importance;

public class UtilizationScoreTests
{
    [Fact]
    public void AChannelThatSeparatesClassesOutscoresOneThatDoesNot()
    {
        // Three channels, six samples in classes 0,0,1,1,2,2. Channel 0 follows the class, channel 1 is the same for every
        // class, channel 2 separates class 2 from the others by 10.
        int[] labels = [0, 0, 1, 1, 2, 2];
        double[] means =
        [
            0.0, 5, 0,
            0.1, 6, 0,
            1.0, 5, 0,
            1.1, 6, 0,
            2.0, 5, 10,
            2.1, 6, 10,
        ];
        var scores = UtilizationScore.OfChannels(means, labels, channels: 3, offset: 0, count: 3);
        Assert.Equal(2.0, scores[0], 9); // classes 0 and 2: the largest pair distance
        Assert.Equal(0.0, scores[1], 9);
        Assert.Equal(10.0, scores[2], 9);
        var slice = UtilizationScore.OfChannels(means, labels, channels: 3, offset: 1, count: 2);
        Assert.Equal([scores[1], scores[2]], slice);
    }

    [Fact]
    public void OneClassGivesNoSeparationAndThrows()
    {
        var e = Assert.Throws<ShrinkException>(() => UtilizationScore.OfChannels([1.0, 2.0], [4, 4], channels: 1, offset: 0, count: 1));
        Assert.Contains("one class", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CollectKeepsOneRowOfChannelMeansPerSampleWithThePredictedClassAndLeavesTheModelAlone()
    {
        var f = new ChannelFixtures();
        f.Conv("input", "c1", 2, 4);
        f.Op("Relu", ["c1"], "r1");
        f.Op("GlobalAveragePool", ["r1"], "gap");
        f.Op("Flatten", ["gap"], "flat", ChannelFixtures.Int("axis", 1));
        f.Gemm("flat", "output", 4, 3);
        var model = OnnxModel.FromProto(f.Build("output", "batch", 3));
        var before = model.ToByteArray();
        using var data = new RandomDataSource(ModelInputsOf(model), new Dictionary<string, long[]>(), 10);
        var layout = ChannelLayout.Single(0, 4, 1, 4);
        var stats = ClassConditionalActivations.Collect(model, new Dictionary<string, ChannelLayout> { ["r1"] = layout }, data, samples: 7, batchSize: 4, ClassLabelSource.Predicted);
        Assert.Equal(before, model.ToByteArray());
        Assert.Equal(7, stats.Labels.Count);
        Assert.All(stats.Labels, l => Assert.InRange(l, 0, 2));
        Assert.Equal(7 * 4, stats.Means("r1").Length);
        Assert.All(stats.Means("r1").ToArray(), m => Assert.True(m >= 0)); // means of a ReLU output

        // Classes from the data need labels the random source does not have.
        var e = Assert.Throws<ShrinkException>(() => ClassConditionalActivations.Collect(model, new Dictionary<string, ChannelLayout> { ["r1"] = layout }, data, 7, 4, ClassLabelSource.Data));
        Assert.Contains("labels", e.Message, StringComparison.Ordinal);
    }

    private static IReadOnlyList<ModelInputSpec> ModelInputsOf(OnnxModel model) => Shrink.Runtime.ModelInputs.Of(model);
}
