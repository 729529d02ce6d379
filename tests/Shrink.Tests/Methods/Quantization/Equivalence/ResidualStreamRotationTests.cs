using Onnx;
using Shrink.Data;
using Shrink.Methods.Quantization.Equivalence;
using Shrink.Model;
using Shrink.Ops;
using Shrink.Tests.TestSupport;
using static Shrink.Tests.TestSupport.TinyModels;
using ModelInputs = Shrink.Runtime.ModelInputs;

namespace Shrink.Tests.Methods.Quantization.Equivalence;

public class ResidualStreamRotationTests
{
    private const int Seq = 4, In = 16, D = 32, Out = 10;

    /// <summary>
    /// A pre-LN block: X [batch,4,16] → MatMul "embed" → x0 → LayerNorm "ln1" → MatMul "attn" + bias → (Relu "relu") →
    /// Add "residual" with x0 → LayerNorm "ln2" → MatMul "head" → logits.
    /// </summary>
    private static OnnxModel PreLnBlock(bool reluOnBranch = false)
    {
        var graph = new GraphProto { Name = "pre_ln" };
        graph.Input.Add(FloatInfo("X", "batch", Seq, In));
        graph.Output.Add(FloatInfo("logits", "batch", Seq, Out));
        graph.Initializer.Add(FloatTensor("W_embed", [In, D], RandomFloats(In * D, 1)));
        graph.Initializer.Add(FloatTensor("W_attn", [D, D], RandomFloats(D * D, 2)));
        graph.Initializer.Add(FloatTensor("b_attn", [D], RandomFloats(D, 3)));
        graph.Initializer.Add(FloatTensor("W_head", [D, Out], RandomFloats(D * Out, 4)));
        graph.Initializer.Add(FloatTensor("gamma1", [D], RandomFloats(D, 5).Select(v => 1 + v).ToArray()));
        graph.Initializer.Add(FloatTensor("beta1", [D], RandomFloats(D, 6)));
        graph.Initializer.Add(FloatTensor("gamma2", [D], RandomFloats(D, 7).Select(v => 1 - v).ToArray()));
        graph.Initializer.Add(FloatTensor("beta2", [D], RandomFloats(D, 8)));
        graph.Node.Add(Node("MatMul", ["X", "W_embed"], ["x0"], "embed"));
        graph.Node.Add(Node("LayerNormalization", ["x0", "gamma1", "beta1"], ["n1"], "ln1"));
        graph.Node.Add(Node("MatMul", ["n1", "W_attn"], ["a"], "attn"));
        graph.Node.Add(Node("Add", ["b_attn", "a"], ["h"], "attn_bias"));
        if (reluOnBranch) graph.Node.Add(Node("Relu", ["h"], ["h_relu"], "relu"));
        graph.Node.Add(Node("Add", ["x0", reluOnBranch ? "h_relu" : "h"], ["x1"], "residual"));
        graph.Node.Add(Node("LayerNormalization", ["x1", "gamma2", "beta2"], ["n2"], "ln2"));
        graph.Node.Add(Node("MatMul", ["n2", "W_head"], ["logits"], "head"));
        return OnnxModel.FromProto(BuildModel(graph, opset: 17, irVersion: 8));
    }

    private static float[] Inputs(int rows, int seed)
    {
        var random = new Random(seed);
        var x = new float[rows * Seq * In];
        for (int i = 0; i < x.Length; i++) x[i] = (float)((random.NextDouble() - 0.5) * (i % In == 2 ? 30 : 2));
        return x;
    }

    private static EquivalenceContext Context(OnnxModel model)
    {
        var x = Inputs(32, 1);
        var samples = Enumerable.Range(0, 32).Select(r =>
            (IReadOnlyDictionary<string, (Array, long[])>)new Dictionary<string, (Array, long[])> { ["X"] = (x.AsSpan(r * Seq * In, Seq * In).ToArray(), [Seq, In]) }).ToList();
        return new EquivalenceContext
        {
            Options = new EquivalenceOptions { Rotate = RotationKind.Hadamard, Seed = 3 },
            Target = new EquivalenceTarget(8, true, true, 0, 4, true),
            Data = DataSources.FromSamples(samples, ModelInputs.Of(model), samples.Count),
            Samples = 32,
            BatchSize = 8,
        };
    }

    private static void AssertSameOutputs(OnnxModel expected, OnnxModel actual)
    {
        var x = new Dictionary<string, TensorProto> { ["X"] = FloatTensor("X", [6, Seq, In], Inputs(6, 42)) };
        var e = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(OrtRunner.RunOnce(expected.ToByteArray(), x)[0].Bytes).ToArray();
        var a = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(OrtRunner.RunOnce(actual.ToByteArray(), x)[0].Bytes).ToArray();
        double scale = e.Max(Math.Abs);
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= 1e-4 * scale, $"element {i}: {a[i]} vs {e[i]}");
    }

    [Fact]
    public void Pre_ln_residual_stream_rotation_is_fused_and_keeps_the_function()
    {
        var original = PreLnBlock();
        var model = original.Clone();
        var result = EquivalenceTransforms.Apply(model, Context(model)).Single();

        Assert.True(result.FunctionChange <= 1e-5, $"function change {result.FunctionChange}");
        foreach (var norm in new[] { "ln1", "ln2" })
        {
            var row = Assert.Single(result.Layers, l => l.Node == norm);
            Assert.Null(row.Skipped);
            Assert.Equal("residual stream, hadamard 32 = 2^5, Householder-fixed ones, fused", row.Setting);
        }
        // Fused: the norms' readers get no inserted MatMul; only the graph input X (16 channels) is rotated online.
        Assert.Equal(["embed/rotate"], result.FloatNodes);
        Assert.Equal("n1", model.Graph.Nodes.Single(n => n.Name == "attn").Inputs[0]);
        Assert.Equal("n2", model.Graph.Nodes.Single(n => n.Name == "head").Inputs[0]);
        // γ became ones (a copy: the original γ is gone), β moved.
        var ln1 = model.Graph.Nodes.Single(n => n.Name == "ln1");
        Assert.All(model.Graph.FindInitializer(ln1.Inputs[1])!.ToFloatArray(), g => Assert.Equal(1f, g));
        Assert.NotEqual("beta1", ln1.Inputs[2]);
        Assert.Contains(result.Notes, n => n.StartsWith("residual stream (32 channels): 0 table(s), 2 projection(s) writing, 2 norm(s) reading", StringComparison.Ordinal));
        AssertSameOutputs(original, model);
    }

    [Fact]
    public void A_non_linear_op_between_writer_and_stream_is_refused_with_the_node_named_and_online_rotations_take_over()
    {
        var original = PreLnBlock(reluOnBranch: true);
        var model = original.Clone();
        var result = EquivalenceTransforms.Apply(model, Context(model)).Single();

        var refused = Assert.Single(result.Layers, l => !l.Applied);
        Assert.Equal("ln1", refused.Node);
        Assert.Contains("'relu' (Relu) writes into the stream and is not a linear writer", refused.Skipped);
        Assert.DoesNotContain(result.Layers, l => l.Setting.Contains("residual stream", StringComparison.Ordinal));
        Assert.Equal(["embed/rotate", "attn/rotate", "head/rotate"], result.FloatNodes);
        Assert.Equal(OpTypes.LayerNormalization, model.Graph.Nodes.Single(n => n.Name == "ln1").OpType);
        Assert.Equal("gamma1", model.Graph.Nodes.Single(n => n.Name == "ln1").Inputs[1]);
        AssertSameOutputs(original, model);
    }

    [Fact]
    public void Householder_fix_keeps_the_ones_direction_and_orthogonality()
    {
        var (r, _, _) = RotationMatrices.RandomizedHadamard(192, 5);
        var q = RotationMatrices.KeepOnes(r, 192);
        for (int i = 0; i < 192; i++)
        {
            double rowSum = 0;
            for (int j = 0; j < 192; j++) rowSum += q[i * 192 + j];
            Assert.Equal(1.0, rowSum, 9); // Q·1 = 1
            for (int k = 0; k < 192; k += 37)
            {
                double dot = 0;
                for (int j = 0; j < 192; j++) dot += q[i * 192 + j] * q[k * 192 + j];
                Assert.Equal(i == k ? 1.0 : 0.0, dot, 9);
            }
        }
    }
}
