using Onnx;
using Shrink.Data;
using Shrink.Methods.Pruning.Dependency;
using Shrink.Methods.Pruning.Structured;
using Shrink.Model;
using Shrink.Runtime;

namespace Shrink.Tests.Methods.Pruning.Structured;

public class LatencyCostModelTests
{
    // Two 64-channel groups; the middle 3×3 conv (64×64) carries most of the time.
    private static ModelProto WideConvs()
    {
        var f = new ChannelFixtures();
        f.Conv("input", "c1", 2, 64);
        f.Op("Relu", ["c1"], "r1");
        f.Conv("r1", "c2", 64, 64);
        f.Op("Relu", ["c2"], "r2");
        f.Conv("r2", "output", 64, 4);
        return f.Build("output", "batch", 4, 6, 6);
    }

    [Fact]
    public void FewerChannelsMeasureFasterAndRepeatedConfigurationsAreNotTimedAgain()
    {
        var model = OnnxModel.FromProto(WideConvs());
        using var data = new RandomDataSource(ModelInputs.Of(model), new Dictionary<string, long[]>(), 1);
        var shapes = ValueShapeProbe.Measure(model, data.ReadBatches(1, 1).First());
        var dependencies = ChannelDependencyGraph.Build(model, shapes);
        var before = model.ToByteArray();
        using var cost = LatencyCostModel.Create(model, dependencies, batchSize: 64, secondsPerTiming: 0.1);

        double full = cost.Total;
        var quarter = dependencies.Groups.Select(g => g.Prunable ? g.Size / 4 : g.Size).ToArray();
        double cut = cost.Evaluate(quarter);

        Assert.True(full > 0);
        // The middle conv does 16× fewer MACs with a quarter of each side's channels: far more than timing noise.
        Assert.True(cut < 0.6 * full, $"a quarter of the channels measured {cut:F3} ms against {full:F3} ms");
        Assert.Equal(2, cost.Measurements);
        Assert.Equal(cut, cost.Evaluate(quarter));
        Assert.Equal(full, cost.Total);
        Assert.Equal(2, cost.Measurements);
        Assert.Equal(before, model.ToByteArray());
    }

    [Fact]
    public void LatencyTargetReachesTheMeasuredTimeAndReportsIt()
    {
        var model = OnnxModel.FromProto(WideConvs());
        var options = new ChannelPruningOptions { Sparsity = 0.4, Target = PruningTarget.Latency, LatencyBatchSize = 64 };
        var result = new ChannelPruner(options).Prune(model);

        var latency = Assert.IsType<LatencyPrediction>(result.Latency);
        Assert.Equal(64, latency.BatchSize);
        Assert.True(latency.Measurements >= 2);
        // The schedule stops at the first configuration timed at or under 60 % of the unpruned time.
        Assert.True(latency.AfterMs <= latency.BeforeMs * 0.6 + 1e-9, $"{latency.AfterMs:F3} ms against {latency.BeforeMs:F3} ms");
        Assert.Contains(result.Groups, g => g.Kept < g.Channels);
        Assert.Contains("latency", result.Method, StringComparison.Ordinal);
        PruningAssert.LoadsWithSameInterface(WideConvs(), result.Model, identical: false);
    }
}
