using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;
using Shrink.Data;
using Shrink.Methods.Pruning.Dependency;
using Shrink.Methods.Pruning.Structured;
using Shrink.Model;
using Shrink.Runtime;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods.Pruning.Dependency;

/// <summary>
/// A Resize given constant <c>sizes</c> instead of scales: the channels pass through when the channel entry keeps the
/// count (it is rewritten to the kept count) or when <c>axes</c> (opset 18) leaves the channel axis out.
/// </summary>
public class ChannelDependencyGraphResizeSizesTests
{
    // input [batch,2,6,6] → Conv a 2→4 → Resize (nearest, sizes) → Conv y 4→3 → out [batch,3,12,12].
    private static ModelProto Build(long[] sizes, long[]? axes = null, int opset = 13, int[]? zeroA = null, bool computed = false, int yInputs = 4)
    {
        var f = new ChannelFixtures();
        f.Conv("input", "a", 2, 4, zeroFilters: zeroA);
        f.Int64Initializer("sizes", sizes);
        string sizesInput = computed ? f.Op("Identity", ["sizes"], "sizes_computed") : "sizes";
        var mode = new AttributeProto { Name = "mode", Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8("nearest") };
        if (axes is null) f.Op("Resize", ["a", "", "", sizesInput], "up", mode);
        else f.Op("Resize", ["a", "", "", sizesInput], "up", mode, ChannelFixtures.Ints("axes", axes));
        f.Conv("up", "y", yInputs, 3);
        var proto = f.Build("y", "batch", 3, 12, 12);
        proto.OpsetImport.Single(o => o.Domain.Length == 0).Version = opset;
        if (opset >= 18) proto.IrVersion = 8;
        return proto;
    }

    private static (OnnxModel Model, ChannelDependencyGraph Graph) Prepared(ModelProto proto, int batch)
    {
        var model = OnnxModel.FromProto(proto);
        using var data = new RandomDataSource(ModelInputs.Of(model), new Dictionary<string, long[]> { ["input"] = [batch, 2, 6, 6] }, batch);
        return (model, ChannelDependencyGraph.Build(model, ValueShapeProbe.Measure(model, data.ReadBatches(batch, batch).First())));
    }

    private static ChannelGroup GroupOf(ChannelDependencyGraph graph, string conv) => Assert.Single(graph.Groups, g => g.Producers.Any(p => p.Node.Name == conv));

    private static float[] Run(byte[] model, int batch)
    {
        var x = TinyModels.FloatTensor("input", [batch, 2, 6, 6], TinyModels.RandomFloats(batch * 72, 5));
        return MemoryMarshal.Cast<byte, float>(Assert.Single(OrtRunner.RunOnce(model, new Dictionary<string, TensorProto> { ["input"] = x })).Bytes).ToArray();
    }

    [Theory]
    [InlineData(false)] // opset 13, sizes [1, 4, 12, 12]: the channel entry becomes 2
    [InlineData(true)]  // opset 18, axes [2, 3], sizes [12, 12]: nothing to rewrite, any batch
    public void Removing_channels_before_a_resize_by_sizes_equals_the_model_with_them_zeroed(bool spatialAxes)
    {
        long[] sizes = spatialAxes ? [12, 12] : [1, 4, 12, 12];
        long[]? axes = spatialAxes ? [2, 3] : null;
        int opset = spatialAxes ? 18 : 13, batch = spatialAxes ? 3 : 1;
        var (model, graph) = Prepared(Build(sizes, axes, opset), batch);
        var a = GroupOf(graph, "a_conv");
        Assert.True(a.Prunable, string.Join("; ", a.LeftAloneReasons));
        Assert.Contains(a.Consumers, c => c.Node.Name == "y_conv");

        var keep = graph.Groups.Select(g => Enumerable.Range(0, g.Size).ToArray()).ToArray();
        keep[a.Id] = [0, 2];
        ChannelSurgery.Apply(model.Graph, graph, keep);
        model.Graph.RemoveUnusedInitializers();

        var expected = Run(TinyModels.Bytes(Build(sizes, axes, opset, zeroA: [1, 3])), batch);
        var actual = Run(model.ToByteArray(), batch);
        Assert.Equal(batch * 3 * 144, actual.Length);
        for (int k = 0; k < expected.Length; k++)
            Assert.True(MathF.Abs(expected[k] - actual[k]) <= 1e-5f * (1 + MathF.Abs(expected[k])), $"element {k}: {expected[k]} vs {actual[k]}");
        var resize = model.Graph.Nodes.Single(n => n.OpType == "Resize");
        long[] written = spatialAxes ? [12, 12] : [1, 2, 12, 12];
        Assert.Equal(written, model.Graph.FindInitializer(resize.Inputs[3])!.AsSpan<long>().ToArray());
    }

    [Fact]
    public void Sizes_that_resize_the_channel_axis_or_are_computed_leave_the_channels_alone_with_the_reason()
    {
        var (_, resized) = Prepared(Build([1, 8, 12, 12], yInputs: 8), 1);
        Assert.Contains(GroupOf(resized, "a_conv").LeftAloneReasons, r => r.Contains("resizes the channel axis (sizes[1] = 8 for 4 channels", StringComparison.Ordinal));
        var (_, computed) = Prepared(Build([1, 4, 12, 12], computed: true), 1);
        Assert.Contains(GroupOf(computed, "a_conv").LeftAloneReasons, r => r.Contains("computed scales or sizes", StringComparison.Ordinal));
    }
}
