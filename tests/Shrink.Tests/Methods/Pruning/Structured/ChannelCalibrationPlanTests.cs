using Onnx;
using Shrink.Calibration;
using Shrink.Data;
using Shrink.Methods.Pruning.Dependency;
using Shrink.Methods.Pruning.Importance;
using Shrink.Methods.Pruning.Structured;
using Shrink.Model;
using Shrink.Runtime;
using static Shrink.Tests.TestSupport.TinyModels;

namespace Shrink.Tests.Methods.Pruning.Structured;

public sealed class ChannelCalibrationPlanTests
{
    private const long KiB = 1024;

    // input [batch, 4, 32, 32] (16 KiB a sample) → c1 4→32 → Relu → c2 32→32 → Relu → c3 32→16 → Relu → GlobalAveragePool →
    // Flatten → Gemm 16→10. Every 32-channel activation is 128 KiB a sample, the 16-channel ones 64 KiB.
    private static OnnxModel WideActivations()
    {
        var graph = new GraphProto { Name = "wide_activations" };
        graph.Input.Add(FloatInfo("input", "batch", 4, 32, 32));
        graph.Output.Add(FloatInfo("output", "batch", 10));
        int seed = 40;
        void Conv(string input, string output, int inChannels, int outChannels)
        {
            float scale = 1 / MathF.Sqrt(inChannels * 9);
            graph.Initializer.Add(FloatTensor(output + "_W", [outChannels, inChannels, 3, 3], RandomFloats(outChannels * inChannels * 9, seed++).Select(v => v * scale).ToArray()));
            graph.Initializer.Add(FloatTensor(output + "_B", [outChannels], RandomFloats(outChannels, seed++).Select(v => v * 0.1f).ToArray()));
            var node = Node("Conv", [input, output + "_W", output + "_B"], [output], output + "_conv");
            node.Attribute.Add(Ints("kernel_shape", 3, 3));
            node.Attribute.Add(Ints("pads", 1, 1, 1, 1));
            graph.Node.Add(node);
        }
        Conv("input", "c1", 4, 32);
        graph.Node.Add(Node("Relu", ["c1"], ["r1"], "relu1"));
        Conv("r1", "c2", 32, 32);
        graph.Node.Add(Node("Relu", ["c2"], ["r2"], "relu2"));
        Conv("r2", "c3", 32, 16);
        graph.Node.Add(Node("Relu", ["c3"], ["r3"], "relu3"));
        graph.Node.Add(Node("GlobalAveragePool", ["r3"], ["gap"], "gap"));
        var flatten = Node("Flatten", ["gap"], ["flat"], "flatten");
        flatten.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        graph.Node.Add(flatten);
        graph.Initializer.Add(FloatTensor("fc_W", [10, 16], RandomFloats(160, seed++).Select(v => v * 0.25f).ToArray()));
        graph.Initializer.Add(FloatTensor("fc_B", [10], new float[10]));
        var gemm = Node("Gemm", ["flat", "fc_W", "fc_B"], ["output"], "fc");
        gemm.Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        graph.Node.Add(gemm);
        return OnnxModel.FromProto(BuildModel(graph), "wide_activations");
    }

    private static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    private static Func<IReadOnlyList<ModelInputSpec>, IDataSource> Random(int samples) =>
        inputs => new RandomDataSource(inputs, new Dictionary<string, long[]>(), samples, seed: 3);

    [Fact]
    public void Each_pass_is_planned_from_the_measured_shapes_and_the_most_demanding_sets_the_batch()
    {
        var model = WideActivations();
        var inputs = ModelInputs.Of(model);
        using var data = Random(4)(inputs);
        var sample = data.ReadBatches(1, 1).First();
        var shapes = ValueShapeProbe.Measure(model, sample);
        var dependencies = ChannelDependencyGraph.Build(model, shapes);
        var statistics = dependencies.Groups.Where(g => g.Prunable).SelectMany(ChannelActivationStatistics.ValuesOf).Select(v => v.Value).Distinct().ToArray();
        long budget = 16L << 20, inputs2 = 2 * 16 * KiB;
        ActivationBatchPlan Plan(ChannelCalibrationPlan.Passes passes) => ChannelCalibrationPlan.Choose(model, dependencies, shapes, sample, passes, budget, 64);

        // Statistics: the consumers' inputs r1, r2 (128 KiB each) and flat (64 B), held once; by class, also the output (40 B).
        var stats = Plan(new(statistics, false, false));
        Assert.Equal(inputs2 + 2 * 128 * KiB + 64, stats.BytesPerSample);
        Assert.Equal(inputs2 + 2 * 128 * KiB + 64 + 40, Plan(new(statistics, false, false, Fair: true)).BytesPerSample);
        // Greedy: every consumer's input and output (r1, c2, r2, c3, flat, output), captured beside the runtime's copy.
        var greedy = Plan(new(null, true, false));
        Assert.Equal(inputs2 + 2 * (3 * 128 * KiB + 64 * KiB + 64 + 40), greedy.BytesPerSample);
        // Refit: one layer at a time; c2 (input r1, output c2) is the largest, on two models with copies.
        var refit = Plan(new(null, false, true));
        Assert.Equal(inputs2 + 2 * (2 * 128 * KiB), refit.BytesPerSample);
        foreach (var p in new[] { stats, greedy, refit })
            Assert.Equal((int)Math.Min(64, budget / p.BytesPerSample), p.BatchSize);
        // All three: the greedy pass needs the most and sets the batch.
        var all = Plan(new(statistics, true, true));
        Assert.Equal(greedy.BatchSize, all.BatchSize);
        Assert.True(all.BatchSize < refit.BatchSize && refit.BatchSize < stats.BatchSize);
        // A roomy budget keeps the batch asked for.
        Assert.Equal(64, ChannelCalibrationPlan.Choose(model, dependencies, shapes, sample, new(statistics, true, true), 1L << 30, 64).BatchSize);
        // Under one sample the floor is batch 1 in one pass.
        var floor = ChannelCalibrationPlan.Choose(model, dependencies, shapes, sample, new(null, true, false), 256 * KiB, 64);
        Assert.Equal(1, floor.BatchSize);
        Assert.Single(floor.Groups);
    }

    [Fact]
    public void A_small_memory_limit_lowers_the_batch_says_so_and_the_pruned_model_differs_only_by_float_noise()
    {
        var options = new ChannelPruningOptions
        {
            Sparsity = 0.5,
            Criterion = "activation",
            ChannelMultiple = 1,
            Reconstruct = true,
            Samples = 64,
            BatchSize = 64,
            ReconstructionRows = 4096,
        };
        var roomy = new ChannelPruner(options with { MemoryLimitBytes = 1L << 30 }).Prune(WideActivations(), Random(64));
        var tight = new ChannelPruner(options with { MemoryLimitBytes = 16L << 20 }).Prune(WideActivations(), Random(64));
        Assert.Equal("64 samples (activation statistics, greedy selection, least-squares refit), batch 64", roomy.Calibration);
        // The greedy pass: 32 KiB of inputs and 2 × 448.1 KiB of activations a sample; 16 MiB holds 17.
        Assert.Contains("memory limit 16 MB: batch 17 instead of 64", tight.Calibration, StringComparison.Ordinal);
        Assert.Equal(roomy.Groups.Select(g => g.Kept), tight.Groups.Select(g => g.Kept));
        Assert.True(roomy.Groups.Sum(g => g.Channels - g.Kept) > 0, "nothing was pruned");
        Assert.Equal(roomy.Refits.Count, tight.Refits.Count);
        // The same initializers, of the same shapes; the refits (sums in another order) end at the same error.
        Assert.Equal(roomy.Model.Graph.Initializers.Select(p => (p.Key, string.Join(',', p.Value.Dims))),
            tight.Model.Graph.Initializers.Select(p => (p.Key, string.Join(',', p.Value.Dims))));
        // Layers the refit leaves alone are the same channels, bit for bit (the greedy selection chose the same ones).
        foreach (var name in new[] { "c1_W", "c2_W" })
            Assert.Equal(roomy.Model.Graph.FindInitializer(name)!.ToFloatArray(), tight.Model.Graph.FindInitializer(name)!.ToFloatArray());
        foreach (var (p, q) in roomy.Refits.Zip(tight.Refits))
        {
            Assert.Equal(p.Rows, q.Rows);
            Assert.Equal(p.RelativeErrorAfter, q.RelativeErrorAfter, 1e-3 * p.RelativeErrorAfter);
        }
        // The outputs agree to float noise. (The fc refit has 64 rows for 17 unknowns: its weights may move by 1e-3 along
        // directions the data does not see, the outputs do not.)
        using var data = Random(64)(ModelInputs.Of(roomy.Model));
        var batch = data.ReadBatches(64, 64).First();
        using var roomySession = ModelSession.Open(roomy.Model);
        using var tightSession = ModelSession.Open(tight.Model);
        var x = roomySession.Run(batch)[0].Data;
        var y = tightSession.Run(batch)[0].Data;
        double diff = 0, norm = 0;
        for (int i = 0; i < x.Length; i++)
        {
            diff += (double)(x[i] - y[i]) * (x[i] - y[i]);
            norm += (double)x[i] * x[i];
        }
        Assert.True(diff <= 1e-10 * norm, $"outputs: relative change {Math.Sqrt(diff / norm):E2}");
    }

    [Fact]
    public void Without_a_pass_that_reads_data_there_is_no_calibration_line_and_a_limit_under_the_minimum_is_refused()
    {
        var options = new ChannelPruningOptions { Sparsity = 0.3, ChannelMultiple = 1, GreedySelection = false, Samples = 8 };
        var result = new ChannelPruner(options).Prune(WideActivations(), Random(8));
        Assert.Null(result.Calibration);
        var error = Assert.Throws<OptionsException>(() => new ChannelPruner(options with { MemoryLimitBytes = 1 << 20 }).Prune(WideActivations(), Random(8)));
        Assert.Contains("--memory-limit must be at least 16 MB", error.Message, StringComparison.Ordinal);
    }
}
