using Onnx;
using Shrink.Data;
using Shrink.Methods.Quantization;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;
using Shrink.Runtime;
using static Shrink.Tests.TestSupport.TinyModels;

namespace Shrink.Tests.Methods.Quantization.Qdq;

/// <summary>
/// Static int8 on a one-head causal attention block built in code (the shape of tiny_gpt's): which MatMuls get integer
/// kernels in ORT's optimized graph, that the residual Add and the LayerNorm stay float (and fused), that Shape reads
/// the float tensor, and that the quantized block runs in ORT close to the float one. No timing here: the speed figures
/// are in bench/RESULTS-int8-transformers.md.
/// </summary>
public sealed class AttentionQuantizationTests
{
    private const int Dim = 32, Seq = 8;

    // x [batch, 8, 32] → LayerNorm → q, k, v (MatMul + bias) → scores q·kᵀ · 1/√32 → Where(causal, scores, −inf) →
    // Softmax → ·v → MatMul Wo + bias → residual Add with x → LayerNorm → MatMul head → out [batch, 8, 16];
    // Shape of the first LayerNorm's output is a second output (as exporters compute reshape targets).
    private static OnnxModel AttentionBlock()
    {
        var graph = new GraphProto { Name = "attention" };
        graph.Input.Add(FloatInfo("x", "batch", Seq, Dim));
        graph.Output.Add(FloatInfo("out", "batch", Seq, 16));
        graph.Output.Add(TensorInfo("ln1_shape", (int)TensorProto.Types.DataType.Int64, 3));
        int seed = 10;
        void Weight(string name, long rows, long cols) => graph.Initializer.Add(FloatTensor(name, [rows, cols], RandomFloats((int)(rows * cols), seed++).Select(v => v * 0.3f).ToArray()));
        void Vector(string name, long n, float scale) => graph.Initializer.Add(FloatTensor(name, [n], RandomFloats((int)n, seed++).Select(v => v * scale).ToArray()));
        foreach (var w in new[] { "Wq", "Wk", "Wv", "Wo" }) Weight(w, Dim, Dim);
        Weight("Wh", Dim, 16);
        foreach (var b in new[] { "bq", "bk", "bv", "bo" }) Vector(b, Dim, 0.1f);
        graph.Initializer.Add(FloatTensor("g1", [Dim], Enumerable.Repeat(1f, Dim).ToArray()));
        graph.Initializer.Add(FloatTensor("b1", [Dim], new float[Dim]));
        graph.Initializer.Add(FloatTensor("scale", [], [1f / MathF.Sqrt(Dim)]));
        graph.Initializer.Add(FloatTensor("neg_inf", [], [float.NegativeInfinity]));
        var causal = new byte[Seq * Seq];
        for (int i = 0; i < Seq; i++) for (int j = 0; j <= i; j++) causal[(i * Seq) + j] = 1;
        graph.Initializer.Add(RawTensor("causal", (int)TensorProto.Types.DataType.Bool, [Seq, Seq], causal));

        graph.Node.Add(Node("LayerNormalization", ["x", "g1", "b1"], ["ln1"], "ln1"));
        graph.Node.Add(Node("Shape", ["ln1"], ["ln1_shape"], "ln1_shape"));
        foreach (var p in new[] { "q", "k", "v" })
        {
            graph.Node.Add(Node("MatMul", ["ln1", "W" + p], [p + "_mm"], p + "_proj"));
            graph.Node.Add(Node("Add", [p + "_mm", "b" + p], [p], p + "_bias"));
        }
        var transpose = Node("Transpose", ["k"], ["kt"], "k_transpose");
        transpose.Attribute.Add(new AttributeProto { Name = "perm", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 0, 2, 1 } });
        graph.Node.Add(transpose);
        graph.Node.Add(Node("MatMul", ["q", "kt"], ["scores"], "scores"));
        graph.Node.Add(Node("Mul", ["scores", "scale"], ["scaled"], "scale"));
        graph.Node.Add(Node("Where", ["causal", "scaled", "neg_inf"], ["masked"], "mask"));
        var softmax = Node("Softmax", ["masked"], ["probs"], "softmax");
        softmax.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = -1 });
        graph.Node.Add(softmax);
        graph.Node.Add(Node("MatMul", ["probs", "v"], ["context"], "context"));
        graph.Node.Add(Node("MatMul", ["context", "Wo"], ["o_mm"], "o_proj"));
        graph.Node.Add(Node("Add", ["o_mm", "bo"], ["o"], "o_bias"));
        graph.Node.Add(Node("Add", ["x", "o"], ["residual"], "residual"));
        graph.Node.Add(Node("LayerNormalization", ["residual", "g1", "b1"], ["ln2"], "ln2"));
        graph.Node.Add(Node("MatMul", ["ln2", "Wh"], ["out"], "head"));
        return OnnxModel.FromProto(BuildModel(graph, opset: 17, irVersion: 8), "attention");
    }

    private static Func<IReadOnlyList<ModelInputSpec>, IDataSource> Data(int seed) =>
        inputs => DataSourceFactory.Open("random:64", new DataOptions { Seed = seed }, inputs);

    private static QuantizationResult Quantize(bool int8Attention) =>
        new StaticQuantizer(new StaticQuantizationOptions { Samples = 64, AnalysisSamples = 0, QuantizeAttentionMatMuls = int8Attention, Calibration = "minmax" })
            .Quantize(AttentionBlock(), Data(1));

    [Fact]
    public void Weight_MatMuls_get_integer_kernels_and_attention_MatMuls_stay_float_by_default()
    {
        var result = Quantize(int8Attention: false);

        var quantized = result.Plan!.Quantized.Select(n => n.Name).ToHashSet();
        Assert.Superset(new HashSet<string> { "q_proj", "k_proj", "v_proj", "o_proj", "head" }, quantized);
        foreach (var name in new[] { "scores", "context" })
            Assert.Contains("two activations", Assert.Single(result.Plan.LeftInFloat, f => f.Node.Name == name).Reason, StringComparison.Ordinal);
        Assert.Contains("residual connection", Assert.Single(result.Plan.LeftInFloat, f => f.Node.Name == "residual").Reason, StringComparison.Ordinal);

        var ops = result.Fusion!.OptimizedOps;
        Assert.Equal(5, ops.GetValueOrDefault("com.microsoft.MatMulIntegerToFloat"));
        // The two attention products, in float (ORT folds q·kᵀ's Transpose and scale into a FusedMatMul).
        Assert.Equal(2, ops.GetValueOrDefault("MatMul") + ops.GetValueOrDefault("com.microsoft.FusedMatMul"));
        Assert.False(ops.ContainsKey("QLinearMatMul"));
        Assert.False(ops.ContainsKey("com.microsoft.QLinearAdd"));
        // Both LayerNorms stay fused float ops (the float residual Add may merge into the second: SkipLayerNormalization).
        Assert.Equal(2, ops.Where(o => o.Key.EndsWith("LayerNormalization", StringComparison.Ordinal)).Sum(o => o.Value));
        Assert.Empty(result.Fusion.Unfused);
    }

    [Fact]
    public void Int8_attention_puts_both_attention_MatMuls_on_QLinearMatMul()
    {
        var result = Quantize(int8Attention: true);

        Assert.Contains(result.Plan!.Quantized, n => n.Name == "scores");
        Assert.Contains(result.Plan.Quantized, n => n.Name == "context");
        var ops = result.Fusion!.OptimizedOps;
        Assert.Equal(2, ops.GetValueOrDefault("QLinearMatMul"));
        Assert.False(ops.ContainsKey("MatMul") || ops.ContainsKey("com.microsoft.FusedMatMul"));
        Assert.Empty(result.Fusion.Unfused);
    }

    [Fact]
    public void Shape_reads_the_8_bit_tensor_not_a_dequantized_copy()
    {
        var graph = Quantize(int8Attention: false).Model.Graph;

        var shape = Assert.Single(graph.Nodes, n => n.OpType == "Shape");
        Assert.Equal("QuantizeLinear", graph.Producer(shape.Inputs[0])?.OpType);
        // The float LayerNorm output keeps its QuantizeLinear as only reader (what ORT's QDQ fusions require).
        Assert.Equal("QuantizeLinear", Assert.Single(graph.Consumers("ln1")).OpType);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_quantized_block_runs_in_ORT_close_to_float(bool int8Attention)
    {
        var reference = AttentionBlock();
        var quantized = Quantize(int8Attention).Model;

        using var data = Data(7)([new ModelInputSpec("x", ElementType.Float, [null, Seq, Dim], ["batch", null, null])]);
        var batch = data.ReadBatches(16, 16).First();
        using var a = ModelSession.Open(reference);
        using var b = ModelSession.Open(quantized);
        var expected = a.Run(batch).First(o => o.Name == "out").Data;
        var actual = b.Run(batch).First(o => o.Name == "out").Data;

        Assert.Equal(expected.Length, actual.Length);
        Assert.All(actual, v => Assert.True(float.IsFinite(v)));
        double dot = 0, ee = 0, aa = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            dot += expected[i] * (double)actual[i];
            ee += expected[i] * (double)expected[i];
            aa += actual[i] * (double)actual[i];
        }
        double cosine = dot / Math.Sqrt(ee * aa);
        Assert.True(cosine > 0.995, $"cosine {cosine}");
        Assert.Equal(b.Run(batch).First(o => o.Name == "ln1_shape").Data, a.Run(batch).First(o => o.Name == "ln1_shape").Data);
    }
}
