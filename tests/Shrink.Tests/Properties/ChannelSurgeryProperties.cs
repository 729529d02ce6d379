using CsCheck;
using Onnx;
using Shrink.Data;
using Shrink.Methods.Pruning.Dependency;
using Shrink.Methods.Pruning.Structured;
using Shrink.Model;
using Shrink.Runtime;
using Shrink.Tests.Methods.Pruning;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Properties;

/// <summary>
/// Property-based check (CsCheck, fixed seed) of the dependency graph and <see cref="ChannelSurgery"/> on random small
/// Conv/BatchNormalization/Relu/Add chains: removing any channels of the prunable groups gives the same ONNX Runtime
/// output as zeroing those channels in every tensor the dependency graph ties to them.
/// </summary>
public class ChannelSurgeryProperties
{
    /// <summary>One block of the chain: its width, whether a BatchNormalization and a Relu follow the Conv, and whether a residual branch is added.</summary>
    public sealed record Block(int Channels, bool BatchNorm, bool Relu, bool Residual, int Kernel);

    private static readonly Gen<Block> BlockGen = Gen.Select(Gen.Int[1, 5], Gen.Bool, Gen.Bool, Gen.Bool, Gen.OneOf(1, 3))
        .Select((c, bn, relu, residual, k) => new Block(c, bn, relu, residual, k));

    /// <summary>Blocks and a seed for the choice of channels kept.</summary>
    private static readonly Gen<(Block[] Blocks, int KeepSeed)> Chains = Gen.Select(BlockGen.Array[1, 4], Gen.Int[0, int.MaxValue]);

    public static ModelProto Build(IReadOnlyList<Block> blocks)
    {
        var f = new ChannelFixtures();
        string x = "input";
        int channels = 2, seed = 100;
        for (int b = 0; b < blocks.Count; b++)
        {
            var block = blocks[b];
            string y = f.Conv(x, $"b{b}_conv", channels, block.Channels, kernel: block.Kernel);
            if (block.BatchNorm)
            {
                string p = $"b{b}_bn";
                f.Initializer(p + "_scale", [block.Channels], TinyModels.RandomFloats(block.Channels, seed++));
                f.Initializer(p + "_bias", [block.Channels], TinyModels.RandomFloats(block.Channels, seed++));
                f.Initializer(p + "_mean", [block.Channels], TinyModels.RandomFloats(block.Channels, seed++));
                f.Initializer(p + "_var", [block.Channels], TinyModels.RandomFloats(block.Channels, seed++).Select(v => MathF.Abs(v) + 0.5f).ToArray());
                y = f.Op("BatchNormalization", [y, p + "_scale", p + "_bias", p + "_mean", p + "_var"], p);
            }
            if (block.Relu) y = f.Op("Relu", [y], $"b{b}_relu");
            if (block.Residual)
            {
                string side = f.Conv(x, $"b{b}_side", channels, block.Channels, kernel: 1);
                y = f.Op("Add", [y, side], $"b{b}_add");
            }
            x = y;
            channels = block.Channels;
        }
        f.Conv(x, "output", channels, 3);
        return f.Build("output", "batch", 3, 6, 6);
    }

    [Fact]
    public void RemovingChannelsEqualsZeroingThem()
    {
        int checkedGroups = 0;
        Chains.Sample((blocks, keepSeed) =>
        {
            var proto = Build(blocks);
            var model = OnnxModel.FromProto(proto.Clone());
            using var data = new RandomDataSource(ModelInputs.Of(model), new Dictionary<string, long[]>(), 1);
            var dependencies = ChannelDependencyGraph.Build(model, ValueShapeProbe.Measure(model, data.ReadBatches(1, 1).First()));
            var random = new Random(keepSeed);
            var keep = dependencies.Groups.Select(g => g.Prunable
                ? Enumerable.Range(0, g.Size).Where(_ => random.Next(2) == 0).DefaultIfEmpty(random.Next(g.Size)).Order().ToArray()
                : Enumerable.Range(0, g.Size).ToArray()).ToArray();
            checkedGroups += dependencies.Groups.Count(g => g.Prunable);

            var pruned = model.Clone();
            ChannelSurgery.Apply(pruned.Graph, dependencies, keep);
            var zeroed = model.Clone();
            foreach (var slice in dependencies.Slices)
            {
                var positions = slice.Layout.KeptPositions(keep);
                if (positions is null) continue;
                var tensor = zeroed.Graph.FindInitializer(slice.Tensor)!;
                zeroed.Graph.SetInitializer(ZeroAllBut(tensor, slice.Axis, positions));
            }

            var inputs = PruningAssert.RandomInput(seed: keepSeed % 1000);
            var expected = OrtRunner.RunOnce(zeroed.ToByteArray(), inputs);
            var actual = OrtRunner.RunOnce(pruned.ToByteArray(), inputs);
            var e = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(Assert.Single(expected).Bytes);
            var a = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(Assert.Single(actual).Bytes);
            Assert.Equal(e.Length, a.Length);
            for (int k = 0; k < e.Length; k++)
                Assert.True(MathF.Abs(e[k] - a[k]) <= 1e-4f * (1 + MathF.Abs(e[k])),
                    $"blocks [{string.Join(", ", blocks.Select(b => b.ToString()))}], keep [{string.Join(" | ", keep.Select(k => string.Join(",", k)))}]: output[{k}] {a[k]} after removal, {e[k]} after zeroing");
        }, seed: "0N0XIzNsQ0Q1", iter: 60, threads: 1);
        Assert.True(checkedGroups > 30, $"only {checkedGroups} prunable groups were exercised");
    }

    /// <summary>A copy of <paramref name="tensor"/> with every index along <paramref name="axis"/> except <paramref name="positions"/> set to 0.</summary>
    private static TensorData ZeroAllBut(TensorData tensor, int axis, IReadOnlyList<int> positions)
    {
        var values = tensor.ToFloatArray();
        var dims = tensor.Dims.ToArray();
        long inner = 1;
        for (int i = axis + 1; i < dims.Length; i++) inner *= dims[i];
        long extent = dims[axis];
        var kept = new HashSet<int>(positions);
        for (long i = 0; i < values.Length; i++)
            if (!kept.Contains((int)(i / inner % extent))) values[i] = 0;
        return TensorData.FromFloats(tensor.Name, dims, values);
    }
}
