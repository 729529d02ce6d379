using Onnx;
using Shrink.Methods.Pruning.Dependency;
using Shrink.Methods.Pruning.Importance;
using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods.Pruning.Importance;

public class GeometricMedianImportanceTests
{
    // One Gemm whose weight is [channels, in] with transB (axis 0) or [in, channels] without (axis 1); the group is its
    // output channels.
    private static (ChannelGroup Group, ImportanceContext Context) Group(long[] dims, float[] weight, int axis = 0)
    {
        var graph = new GraphProto { Name = "g" };
        graph.Input.Add(TinyModels.FloatInfo("x", 1, dims[1 - axis]));
        graph.Output.Add(TinyModels.FloatInfo("y", 1, dims[axis]));
        graph.Initializer.Add(TinyModels.FloatTensor("W", dims, weight));
        var node = TinyModels.Node("Gemm", ["x", "W"], ["y"], "gemm");
        node.Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 - axis });
        graph.Node.Add(node);
        var model = OnnxModel.FromProto(TinyModels.BuildModel(graph));
        var producer = new ChannelProducer(model.Graph.Nodes[0], "W", axis, "y");
        var group = new ChannelGroup(0, (int)dims[axis], [producer], [], [], []);
        return (group, new ImportanceContext(model.Graph));
    }

    [Fact]
    public void A_near_duplicate_filter_ranks_lowest_although_its_norm_is_large()
    {
        // A is small (L1 prunes it first); B and C are almost the same filter, so one of them is redundant.
        float[] w =
        [
            1, 0, 0,    // A
            8, 8, 0,    // B
            8, 8, 0.5f, // C
            0, 8, 8,    // D
            8, 0, 8,    // E
        ];
        var (group, context) = Group([5, 3], w);
        var fpgm = ChannelImportances.Create("fpgm").Score(group, context);
        var l1 = ChannelImportances.Create("l1").Score(group, context);

        Assert.Equal(0, Array.IndexOf(l1, l1.Min()));
        int lowest = Array.IndexOf(fpgm, fpgm.Min());
        Assert.Contains(lowest, new[] { 1, 2 });
        Assert.True(fpgm[0] > fpgm[1] && fpgm[0] > fpgm[2], $"A scored {fpgm[0]}, B {fpgm[1]}, C {fpgm[2]}");
    }

    [Fact]
    public void Scores_are_the_sums_of_euclidean_distances_between_whole_filters()
    {
        // A [18, 6] weight with the channels on axis 1: each channel's filter is a strided column of 18 values.
        const int channels = 6, length = 18;
        var w = TinyModels.RandomFloats(channels * length, seed: 7);
        var (group, context) = Group([length, channels], w, axis: 1);
        var scores = new GeometricMedianImportance().Score(group, context);

        for (int i = 0; i < channels; i++)
        {
            double expected = 0;
            for (int j = 0; j < channels; j++)
            {
                double sum = 0;
                for (int k = 0; k < length; k++)
                {
                    double d = w[k * channels + i] - w[k * channels + j];
                    sum += d * d;
                }
                expected += Math.Sqrt(sum);
            }
            Assert.Equal(expected, scores[i], 4);
        }
    }

    [Fact]
    public void The_criterion_is_registered_data_free_and_offered_by_prune()
    {
        Assert.Contains("fpgm", ChannelImportances.Names);
        Assert.False(ChannelImportances.Create("fpgm").NeedsData);
        var criterion = global::Shrink.Cli.Cli.CreateRoot().Subcommands.Single(c => c.Name == "prune").Options.Single(o => o.Name == "--criterion");
        Assert.Contains("fpgm", criterion.Description, StringComparison.Ordinal);
        Assert.Empty(global::Shrink.Cli.Cli.CreateRoot().Parse(["prune", "m.onnx", "-o", "p.onnx", "--sparsity", "0.5", "--criterion", "fpgm"]).Errors);
    }
}
