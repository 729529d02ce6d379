using System.Diagnostics;
using Onnx;
using Shrink.Calibration;
using Shrink.Evaluation;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;
using Shrink.Passes;
using Shrink.Tests.TestSupport;
using Shrink.Validation;
using Xunit.Abstractions;

namespace Shrink.Tests.Model;

/// <summary>
/// Graph algorithms must cost time in proportion to the graph: before, a 100,000-node chain took minutes (a node list
/// scanned for every removal and insertion, producer and consumer indexes rebuilt after every edit).
/// </summary>
public sealed class LargeGraphTests(ITestOutputHelper output)
{
    // input [1,64] → Identity × n → MatMul(W [64,32]) → output
    private static ModelProto IdentityChain(int n)
    {
        var g = new GraphProto { Name = "chain" };
        g.Input.Add(TinyModels.FloatInfo("x", 1, 64));
        g.Output.Add(TinyModels.FloatInfo("y", 1, 32));
        string previous = "x";
        for (int i = 0; i < n; i++)
        {
            g.Node.Add(TinyModels.Node("Identity", [previous], [$"v{i}"], $"id{i}"));
            previous = $"v{i}";
        }
        g.Initializer.Add(TinyModels.FloatTensor("W", [64, 32], TinyModels.RandomFloats(64 * 32, 3)));
        g.Node.Add(TinyModels.Node("MatMul", [previous, "W"], ["y"], "mm"));
        return TinyModels.BuildModel(g, opset: 17, irVersion: 8);
    }

    // Opset 11, n blocks of Constant c; Conv(1×1, 32 channels) → BatchNormalization → Relu → Softmax(axis 1 of a rank
    // the graph does not declare) → Add(c): every pass edits every block (promotion removes the Constants, the upgrade
    // rewrites each Softmax into Flatten/Softmax/Reshape, folding removes each BN), and QDQ insertion adds a pair per Conv.
    private static ModelProto EditHeavyBlocks(int n, int channels = 32)
    {
        var g = new GraphProto { Name = "blocks" };
        g.Input.Add(TinyModels.FloatInfo("x", 1, channels, 1, 1));
        string previous = "x";
        for (int b = 0; b < n; b++)
        {
            g.Node.Add(TinyModels.ConstantNode($"c{b}", TinyModels.FloatTensor("", [1], [0.1f]), $"const{b}"));
            g.Initializer.Add(TinyModels.FloatTensor($"W{b}", [channels, channels, 1, 1], TinyModels.RandomFloats(channels * channels, b)));
            g.Initializer.Add(TinyModels.FloatTensor($"B{b}", [channels], TinyModels.RandomFloats(channels, b + 1)));
            foreach (var p in new[] { "scale", "shift", "mean" })
                g.Initializer.Add(TinyModels.FloatTensor($"{p}{b}", [channels], TinyModels.RandomFloats(channels, b + 2)));
            g.Initializer.Add(TinyModels.FloatTensor($"var{b}", [channels], Enumerable.Repeat(1f, channels).ToArray()));
            g.Node.Add(TinyModels.Node("Conv", [previous, $"W{b}", $"B{b}"], [$"conv{b}"], $"conv_{b}"));
            g.Node.Add(TinyModels.Node("BatchNormalization", [$"conv{b}", $"scale{b}", $"shift{b}", $"mean{b}", $"var{b}"], [$"bn{b}"], $"bn_{b}"));
            g.Node.Add(TinyModels.Node("Relu", [$"bn{b}"], [$"relu{b}"], $"relu_{b}"));
            g.Node.Add(TinyModels.Node("Softmax", [$"relu{b}"], [$"softmax{b}"], $"softmax_{b}"));
            g.Node.Add(TinyModels.Node("Add", [$"softmax{b}", $"c{b}"], [$"add{b}"], $"add_{b}"));
            previous = $"add{b}";
        }
        g.Output.Add(new ValueInfoProto { Name = previous, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = TinyModels.Float } } });
        return TinyModels.BuildModel(g, opset: 11, irVersion: 6);
    }

    private double Step(string what, Stopwatch total, Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        output.WriteLine($"{what}: {clock.Elapsed.TotalSeconds:F2} s (total {total.Elapsed.TotalSeconds:F2} s)");
        return clock.Elapsed.TotalSeconds;
    }

    private static void AssertTopological(IReadOnlyList<Shrink.Model.Node> order)
    {
        var computed = order.SelectMany(n => n.Outputs).ToHashSet(StringComparer.Ordinal);
        var produced = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in order)
        {
            foreach (var input in node.Inputs)
                Assert.True(!computed.Contains(input) || produced.Contains(input), $"{node.DisplayName} reads '{input}' before it is produced");
            produced.UnionWith(node.Outputs);
        }
    }

    [Fact]
    public void Identity_chain_of_100k_nodes_goes_through_inspection_and_quantization_planning_in_seconds()
    {
        const int n = 100_000;
        var bytes = TinyModels.Bytes(IdentityChain(n));
        var total = Stopwatch.StartNew();
        OnnxModel model = null!, prepared = null!;
        Step("load", total, () => model = OnnxModel.Load(new MemoryStream(bytes)));
        var inspection = default(ModelInspection);
        Step("inspect", total, () => inspection = ModelInspection.Of(model, "chain"));
        Step("MAC values", total, () => Assert.Equal(["v99999", "y"], MacCounter.ValuesRead(model.Graph).Order(StringComparer.Ordinal)));
        Step("clone", total, () => prepared = model.Clone());
        Step("preprocess", total, () => PreparationProfile.Compression.Apply(prepared));
        Step("checks", total, () =>
        {
            AlreadyQuantized.Refuse(prepared, "chain");
            FiniteWeights.Ensure(prepared, "chain");
        });
        IReadOnlyList<Shrink.Model.Node> order = [];
        Step("topological order", total, () => order = prepared.Graph.TopologicalOrder());
        var planner = new QdqPlanner(QdqOpRegistry.Default);
        QdqPlan plan = null!;
        Step("plan", total, () => plan = planner.Plan(prepared.Graph, new StaticQuantizationOptions()));
        Step("typed values", total, () => Assert.Equal(["v99999"], planner.TypedValues(prepared.Graph)));
        Step("qdq insert", total, () => QdqInserter.Apply(prepared, plan, plan.CalibratedTensors.ToDictionary(t => t, _ => CalibrationRange.Create(-1, 1)), new StaticQuantizationOptions()));
        Step("sync", total, () => prepared.Graph.SyncToProto());
        total.Stop();

        Assert.Equal(n + 1, order.Count);
        Assert.Equal("id0", order[0].Name);
        Assert.Equal("mm", order[^1].Name);
        Assert.Equal(n, inspection!.Statistics.OpHistogram["Identity"]);
        Assert.Equal(64 * 32, inspection.Statistics.Parameters);
        Assert.Equal(["mm"], plan.Quantized.Select(q => q.Name));
        Assert.Equal(n + 1 + 3, prepared.Graph.Nodes.Count); // Q, DQ on the activation and DQ on the weight
        Assert.True(total.Elapsed.TotalSeconds < 15, $"the library steps took {total.Elapsed.TotalSeconds:F1} s for {n:N0} nodes");
    }

    [Fact]
    public void Passes_and_qdq_insertion_that_edit_every_block_of_a_large_graph_take_seconds()
    {
        const int blocks = 2_000; // 12,000 nodes; the code before took minutes for these edits
        var model = OnnxModel.FromProto(EditHeavyBlocks(blocks));
        var total = Stopwatch.StartNew();
        IReadOnlyList<string> lines = [];
        Step("preprocess", total, () => lines = PreparationProfile.Compression.Apply(model));
        var planner = new QdqPlanner(QdqOpRegistry.Default);
        QdqPlan plan = null!;
        Step("plan", total, () => plan = planner.Plan(model.Graph, new StaticQuantizationOptions()));
        var ranges = plan.CalibratedTensors.ToDictionary(t => t, _ => CalibrationRange.Create(-1, 1));
        Step("qdq insert", total, () => QdqInserter.Apply(model, plan, ranges, new StaticQuantizationOptions()));
        total.Stop();

        Assert.Equal([$"promote-constants: {blocks} change(s)", $"upgrade-opset: {blocks + 1} change(s)", $"fold-batchnorm: {blocks} change(s)"], lines);
        var ops = model.Graph.Nodes.GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count());
        Assert.False(ops.ContainsKey("Constant"));
        Assert.False(ops.ContainsKey("BatchNormalization"));
        Assert.Equal(blocks, ops["Flatten"]);
        Assert.Equal(blocks, ops["Conv"]);
        Assert.Equal(blocks, plan.Quantized.Count(q => q.OpType == "Conv"));
        Assert.True(ops["QuantizeLinear"] >= blocks);
        AssertTopological(model.Graph.Nodes);
        Assert.True(total.Elapsed.TotalSeconds < 15, $"the passes took {total.Elapsed.TotalSeconds:F1} s for {blocks * 6:N0} nodes");
    }

    [Fact]
    public void Asking_for_many_names_from_one_stem_hands_out_consecutive_suffixes()
    {
        var graph = OnnxModel.FromProto(TinyModels.MatMulReluAdd()).Graph;
        var clock = Stopwatch.StartNew();
        var names = Enumerable.Range(0, 50_000).Select(_ => graph.UniqueName("mm")).ToList();
        Assert.Equal("mm_1", names[0]); // "mm" is taken by a value
        Assert.Equal("mm_50000", names[^1]);
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.True(clock.Elapsed.TotalSeconds < 5, $"{clock.Elapsed.TotalSeconds:F1} s for 50,000 names");
    }
}
