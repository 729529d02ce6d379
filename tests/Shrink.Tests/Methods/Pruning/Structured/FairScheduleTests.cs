using Onnx;
using Shrink.Data;
using Shrink.Methods.Pruning.Dependency;
using Shrink.Methods.Pruning.Structured;
using Shrink.Model;
using Shrink.Runtime;

namespace Shrink.Tests.Methods.Pruning.Structured;

public class FairScheduleTests
{
    private static readonly double[] Ascending = [0, 1, 2, 3, 4, 5, 6, 7];

    /// <summary>input → c1 (8) → Relu → c2 (8) → Relu → Flatten → Gemm (4 scores; random inputs spread over the classes).</summary>
    private static ModelProto TwoConvs()
    {
        var f = new ChannelFixtures();
        f.Conv("input", "c1", 2, 8);
        f.Op("Relu", ["c1"], "r1");
        f.Conv("r1", "c2", 8, 8);
        f.Op("Relu", ["c2"], "r2");
        f.Op("Flatten", ["r2"], "flat", ChannelFixtures.Int("axis", 1));
        f.Gemm("flat", "output", 8 * 36, 4);
        return f.Build("output", "batch", 4);
    }

    private sealed record Setup(IReadOnlyList<ChannelGroup> Groups, PruningCostModel Cost, int First, int Second);

    private static Setup Build()
    {
        var model = OnnxModel.FromProto(TwoConvs());
        using var data = new RandomDataSource(ModelInputs.Of(model), new Dictionary<string, long[]>(), 1);
        var shapes = ValueShapeProbe.Measure(model, data.ReadBatches(1, 1).First());
        var dependencies = ChannelDependencyGraph.Build(model, shapes);
        var groups = dependencies.Groups;
        int Of(string node) => groups.Single(g => g.Prunable && g.Producers.Any(p => p.Node.Name == node)).Id;
        return new Setup(groups, PruningCostModel.Build(model.Graph, dependencies, shapes, PruningTarget.Macs), Of("c1_conv"), Of("c2_conv"));
    }

    /// <summary>The first group's two scores agree (low utilization = low reconstruction), the second's are opposed.</summary>
    private static (double[]?[] Utilization, double[]?[] Reconstruction) Scores(Setup s)
    {
        var utilization = new double[]?[s.Groups.Count];
        var reconstruction = new double[]?[s.Groups.Count];
        utilization[s.First] = Ascending;
        reconstruction[s.First] = Ascending;
        utilization[s.Second] = Ascending;
        reconstruction[s.Second] = [.. Ascending.Reverse()];
        return (utilization, reconstruction);
    }

    private static int[] Kept(Setup s, int first, int second)
    {
        var kept = s.Groups.Select(g => g.Size).ToArray();
        kept[s.First] = first;
        kept[s.Second] = second;
        return kept;
    }

    [Fact]
    public void TheSearchFindsTheSmallestToleranceThatReachesTheTargetAndCutsWhereTheScoresAgree()
    {
        var s = Build();
        var (u, r) = Scores(s);
        var options = new ChannelPruningOptions { ChannelMultiple = 1 };
        // Keeping 3 of the first group's 8 needs k = 5 there: ToD(5) = 2/5 on agreeing scores; the opposed group stays whole.
        double target = s.Cost.Evaluate(Kept(s, 3, 8));
        var (kept, result) = FairSchedule.Allocate(s.Groups, u, r, s.Cost, target, options);
        Assert.True(s.Cost.Evaluate(kept) <= target);
        Assert.Equal(0.4, result.Alpha, 9);
        Assert.Equal(1, result.Scale);
        Assert.Equal(3, kept[s.First]);
        Assert.Equal(8, kept[s.Second]);
        var first = Assert.Single(result.Groups, g => g.Kept == 3);
        Assert.Equal(5, first.TodCount);
        Assert.Equal(0.4, first.Tod, 12);
    }

    [Fact]
    public void WhenZeroToleranceAlreadyOvershootsItsCountsAreScaledToTheTarget()
    {
        var s = Build();
        var (u, r) = Scores(s);
        var options = new ChannelPruningOptions { ChannelMultiple = 1 };
        // α = 0 lets the first group lose 4; the target needs only 2 of them.
        var (kept, result) = FairSchedule.Allocate(s.Groups, u, r, s.Cost, s.Cost.Evaluate(Kept(s, 6, 8)), options);
        Assert.Equal(0, result.Alpha);
        Assert.Equal(0.5, result.Scale, 6);
        Assert.Equal(6, kept[s.First]);
        Assert.Equal(8, kept[s.Second]);
        // Nothing to remove: nothing removed.
        var (whole, none) = FairSchedule.Allocate(s.Groups, u, r, s.Cost, s.Cost.Total, options);
        Assert.Equal(s.Groups.Select(g => g.Size), whole);
        Assert.Equal(0, none.Scale);
    }

    [Fact]
    public void CountsRespectTheChannelMultipleAndTheFloor()
    {
        var s = Build();
        var (u, r) = Scores(s);
        // Multiples of 4: the first group keeps 8 or 4; the floor (25 %, rounded up to 4) stops every group at 4.
        var options = new ChannelPruningOptions { ChannelMultiple = 4 };
        var (kept, _) = FairSchedule.Allocate(s.Groups, u, r, s.Cost, s.Cost.Evaluate(Kept(s, 5, 8)), options);
        Assert.Equal(4, kept[s.First]);
        Assert.Equal(8, kept[s.Second]);
        var (deepest, result) = FairSchedule.Allocate(s.Groups, u, r, s.Cost, s.Cost.Evaluate(Kept(s, 4, 4)), options);
        Assert.Equal(4, deepest[s.First]);
        Assert.Equal(4, deepest[s.Second]);
        Assert.Equal(1, result.Alpha, 9); // the opposed group gives way only at full tolerance
        var e = Assert.Throws<ShrinkException>(() => FairSchedule.Allocate(s.Groups, u, r, s.Cost, s.Cost.Evaluate(Kept(s, 3, 4)), options));
        Assert.Contains("floor", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FairPruningOfATinyConvModelKeepsItsInterfaceInOnnxRuntime()
    {
        var proto = TwoConvs();
        var model = OnnxModel.FromProto(proto.Clone());
        var before = model.ToByteArray();
        var options = new ChannelPruningOptions { Sparsity = 0.4, Schedule = PruningSchedule.Fair, ChannelMultiple = 1, Reconstruct = true, Samples = 64, BatchSize = 16 };
        var result = new ChannelPruner(options).Prune(model, inputs => new RandomDataSource(inputs, new Dictionary<string, long[]>(), 64));
        Assert.Equal(before, model.ToByteArray());
        Assert.NotNull(result.Fair);
        Assert.InRange(result.Fair.Alpha, 0, 1);
        Assert.Equal(2, result.Fair.Groups.Count);
        Assert.True(result.MacsAfter <= 0.6 * result.MacsBefore + 1, $"MACs {result.MacsBefore} -> {result.MacsAfter}");
        Assert.Equal(result.Groups.Select(g => g.Kept), result.Fair.Groups.Select(g => g.Kept));
        Assert.Contains("fair schedule", result.Method, StringComparison.Ordinal);
        PruningAssert.LoadsWithSameInterface(proto, result.Model, identical: false);
    }

    [Fact]
    public void FairPruningNeedsData()
    {
        var e = Assert.Throws<ShrinkException>(() => new ChannelPruner(new ChannelPruningOptions { Schedule = PruningSchedule.Fair })
            .Prune(OnnxModel.FromProto(TwoConvs())));
        Assert.Contains("fair schedule needs calibration data", e.Message, StringComparison.Ordinal);
    }
}
