using Onnx;
using Shrink.Data;
using Shrink.Methods.Quantization;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;
using Shrink.Registration;
using static Shrink.Tests.TestSupport.TinyModels;

namespace Shrink.Tests.Methods.Quantization.Qdq;

/// <summary>
/// The LeakyRelu handler (one file, discovered): between two int8 convs, LeakyRelu runs in ORT as QLinearLeakyRelu
/// instead of DQ → float LeakyRelu → Q, and the output stays close to the float model's.
/// </summary>
public sealed class LeakyReluOpHandlerTests
{
    // x [batch, 8, 8, 8] → Conv 8→8 3×3 → LeakyRelu(α = 0.1) → [MaxPool 2×2 →] Conv 8→8 3×3 → out
    private static OnnxModel ConvLeakyReluConv(bool pool = false)
    {
        var graph = new GraphProto { Name = "leaky" };
        graph.Input.Add(FloatInfo("x", "batch", 8, 8, 8));
        graph.Output.Add(pool ? FloatInfo("out", "batch", 8, 1, 1) : FloatInfo("out", "batch", 8, 4, 4));
        graph.Initializer.Add(FloatTensor("W1", [8, 8, 3, 3], RandomFloats(8 * 8 * 9, 1)));
        graph.Initializer.Add(FloatTensor("W2", [8, 8, 3, 3], RandomFloats(8 * 8 * 9, 2)));
        graph.Node.Add(Node("Conv", ["x", "W1"], ["y"], "conv1"));
        var leaky = Node("LeakyRelu", ["y"], ["a"], "leaky");
        leaky.Attribute.Add(new AttributeProto { Name = "alpha", Type = AttributeProto.Types.AttributeType.Float, F = 0.1f });
        graph.Node.Add(leaky);
        if (pool)
        {
            var maxPool = Node("MaxPool", ["a"], ["p"], "pool");
            maxPool.Attribute.Add(new AttributeProto { Name = "kernel_shape", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 2, 2 } });
            maxPool.Attribute.Add(new AttributeProto { Name = "strides", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 2, 2 } });
            graph.Node.Add(maxPool);
        }
        graph.Node.Add(Node("Conv", [pool ? "p" : "a", "W2"], ["out"], "conv2"));
        return OnnxModel.FromProto(BuildModel(graph), "leaky");
    }

    private static QuantizationResult Quantize(QdqOpRegistry registry, bool pool) =>
        new StaticQuantizer(new StaticQuantizationOptions { Samples = 32, AnalysisSamples = 32 }, registry)
            .Quantize(ConvLeakyReluConv(pool), inputs => DataSourceFactory.Open("random:32", new DataOptions { Seed = 3 }, inputs));

    private static QdqOpRegistry WithoutLeakyRelu()
    {
        var handlers = new Registry<IQdqOpHandler>("QDQ op handler");
        foreach (var entry in QdqOpRegistry.Handlers.Entries.Where(e => e.Name != "leaky-relu")) handlers.Add(entry);
        return QdqOpRegistry.Build(handlers);
    }

    [Fact]
    public void It_is_discovered_for_LeakyRelu_only()
    {
        Assert.Contains("leaky-relu", QdqOpRegistry.Handlers.Names);
        Assert.IsType<LeakyReluOpHandler>(QdqOpRegistry.Default.Find("LeakyRelu"));
        Assert.Equal(["LeakyRelu"], QdqOpRegistry.Default.OpTypes.Where(t => QdqOpRegistry.Default.Find(t) is LeakyReluOpHandler));
        Assert.Null(WithoutLeakyRelu().Find("LeakyRelu"));
    }

    // Measured with ORT 1.31 on CPU: before the handler, ORT already fused DQ → LeakyRelu → Q (its neighbours' Q/DQ, or
    // Q moved up past MaxPool) but Shrink reported LeakyRelu as left in float with no handler, and left MaxPool float.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LeakyRelu_after_an_int8_conv_is_quantized_runs_as_QLinearLeakyRelu_and_stays_close_to_float(bool pool)
    {
        var before = Quantize(WithoutLeakyRelu(), pool);
        var after = Quantize(QdqOpRegistry.Default, pool);
        Console.WriteLine($"pool={pool}: integer kernels {before.Fusion!.IntegerKernels} → {after.Fusion!.IntegerKernels}, " +
            $"SQNR {before.Output!.OutputSqnrDb:F2} → {after.Output!.OutputSqnrDb:F2} dB");

        Assert.False(before.QuantizedByOp.ContainsKey("LeakyRelu"));
        Assert.Contains(before.LeftInFloat, l => l.OpType == "LeakyRelu" && l.Reason == "no int8 handler for this op");
        Assert.Equal(1, after.QuantizedByOp["LeakyRelu"]);
        Assert.DoesNotContain(after.LeftInFloat, l => l.OpType == "LeakyRelu");
        Assert.Equal(pool ? 1 : 0, after.QuantizedByOp.GetValueOrDefault("MaxPool"));
        Assert.Equal(0, before.QuantizedByOp.GetValueOrDefault("MaxPool"));
        Assert.Equal(1, after.Fusion.OptimizedOps.GetValueOrDefault("com.microsoft.QLinearLeakyRelu"));
        Assert.False(after.Fusion.OptimizedOps.ContainsKey("LeakyRelu"));
        Assert.Empty(after.Fusion.Unfused);
        Assert.True(after.Fusion.IntegerKernels >= before.Fusion.IntegerKernels);
        double sqnrBefore = before.Output.OutputSqnrDb, sqnrAfter = after.Output!.OutputSqnrDb;
        Assert.True(sqnrAfter >= 30, $"output SQNR {sqnrAfter:F1} dB");
        Assert.True(sqnrAfter >= sqnrBefore - 1, $"SQNR {sqnrBefore:F1} → {sqnrAfter:F1} dB");
    }

    [Fact]
    public void LeakyRelu_on_a_float_input_stays_float_with_the_reason()
    {
        // The first conv excluded: LeakyRelu's input is float, so the int8 boundary moves after it.
        var result = new StaticQuantizer(new StaticQuantizationOptions { Samples = 8, AnalysisSamples = 0, ExcludeNodes = new HashSet<string> { "conv1" } })
            .Quantize(ConvLeakyReluConv(), inputs => DataSourceFactory.Open("random:8", new DataOptions { Seed = 3 }, inputs));

        Assert.False(result.QuantizedByOp.ContainsKey("LeakyRelu"));
        Assert.Contains(result.LeftInFloat, l => l.OpType == "LeakyRelu" && l.Reason.Contains("int8 boundary", StringComparison.Ordinal));
        Assert.Equal(1, result.QuantizedByOp["Conv"]);
    }
}
