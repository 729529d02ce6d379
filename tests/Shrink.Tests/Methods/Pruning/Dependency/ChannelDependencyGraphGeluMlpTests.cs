using System.Runtime.InteropServices;
using Onnx;
using Shrink.Data;
using Shrink.Methods.Pruning.Dependency;
using Shrink.Methods.Pruning.Structured;
using Shrink.Model;
using Shrink.Passes;
using Shrink.Runtime;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods.Pruning.Dependency;

/// <summary>
/// A transformer MLP as PyTorch exports it: fc1 (MatMul + bias Add) → GELU written as Div/Erf/Add/Mul/Mul with constants
/// → fc2 (MatMul + bias Add) → the residual Add. The hidden channels are one group: fc1's columns and bias, fc2's rows.
/// </summary>
public class ChannelDependencyGraphGeluMlpTests
{
    private const int Model = 8;
    private const int Hidden = 16;
    private const int Tokens = 3;
    private static readonly int[] Weak = [1, 6, 9, 14];

    // The weak channels have zero fc1 columns and bias, so GELU(0) = 0 and they contribute nothing: removing them
    // leaves the output exactly as it was.
    private static ModelProto Mlp()
    {
        var g = new GraphProto { Name = "mlp" };
        g.Input.Add(TinyModels.FloatInfo("x", "batch", Tokens, Model));
        g.Output.Add(TinyModels.FloatInfo("y", "batch", Tokens, Model));
        var w1 = TinyModels.RandomFloats(Model * Hidden, 11);
        var b1 = TinyModels.RandomFloats(Hidden, 12);
        foreach (int c in Weak)
        {
            b1[c] = 0;
            for (int r = 0; r < Model; r++) w1[r * Hidden + c] = 0;
        }
        g.Initializer.Add(TinyModels.FloatTensor("fc1_w", [Model, Hidden], w1));
        g.Initializer.Add(TinyModels.FloatTensor("fc1_b", [Hidden], b1));
        g.Initializer.Add(TinyModels.FloatTensor("fc2_w", [Hidden, Model], TinyModels.RandomFloats(Hidden * Model, 13)));
        g.Initializer.Add(TinyModels.FloatTensor("fc2_b", [Model], TinyModels.RandomFloats(Model, 14)));
        g.Node.Add(TinyModels.Node("MatMul", ["x", "fc1_w"], ["h0"], "fc1_matmul"));
        g.Node.Add(TinyModels.Node("Add", ["fc1_b", "h0"], ["h"], "fc1_add"));
        g.Node.Add(TinyModels.ConstantNode("sqrt2", TinyModels.FloatTensor("sqrt2", [], [MathF.Sqrt(2)]), "sqrt2_constant"));
        g.Node.Add(TinyModels.ConstantNode("one", TinyModels.FloatTensor("one", [], [1f]), "one_constant"));
        g.Node.Add(TinyModels.ConstantNode("half", TinyModels.FloatTensor("half", [], [0.5f]), "half_constant"));
        g.Node.Add(TinyModels.Node("Div", ["h", "sqrt2"], ["d"], "gelu_div"));
        g.Node.Add(TinyModels.Node("Erf", ["d"], ["e"], "gelu_erf"));
        g.Node.Add(TinyModels.Node("Add", ["e", "one"], ["e1"], "gelu_add"));
        g.Node.Add(TinyModels.Node("Mul", ["h", "e1"], ["m"], "gelu_mul"));
        g.Node.Add(TinyModels.Node("Mul", ["m", "half"], ["a"], "gelu_half"));
        g.Node.Add(TinyModels.Node("MatMul", ["a", "fc2_w"], ["o0"], "fc2_matmul"));
        g.Node.Add(TinyModels.Node("Add", ["o0", "fc2_b"], ["o"], "fc2_add"));
        g.Node.Add(TinyModels.Node("Add", ["x", "o"], ["y"], "residual"));
        return TinyModels.BuildModel(g, opset: 17);
    }

    private static Dictionary<string, TensorProto> Input(int batch) => new()
    {
        ["x"] = TinyModels.FloatTensor("x", [batch, Tokens, Model], TinyModels.RandomFloats(batch * Tokens * Model, 21)),
    };

    [Fact]
    public void TheHiddenChannelsAreOneGroupFromFc1ThroughTheErfGeluToFc2()
    {
        var model = OnnxModel.FromProto(Mlp());
        new PromoteConstantsToInitializers().Apply(model);
        using var data = new RandomDataSource(ModelInputs.Of(model), new Dictionary<string, long[]>(), 1);
        var graph = ChannelDependencyGraph.Build(model, ValueShapeProbe.Measure(model, data.ReadBatches(1, 1).First()));

        var hidden = Assert.Single(graph.Groups, g => g.Producers.Any(p => p.Node.Name == "fc1_matmul"));
        Assert.True(hidden.Prunable, string.Join("; ", hidden.LeftAloneReasons));
        Assert.Equal(Hidden, hidden.Size);
        Assert.Null(hidden.HeadSize);
        Assert.Equal("fc2_matmul", Assert.Single(hidden.Consumers).Node.Name);
        // fc2's outputs meet the untracked graph input at the residual Add: left alone, with the reason.
        var output = Assert.Single(graph.Groups, g => g.Producers.Any(p => p.Node.Name == "fc2_matmul"));
        Assert.False(output.Prunable);
        Assert.Contains(output.LeftAloneReasons, r => r.Contains("residual", StringComparison.Ordinal));
    }

    [Fact]
    public void PruningTheWeakQuarterShrinksFc1AndFc2AndLeavesTheOutputAsItWas()
    {
        var proto = Mlp();
        var options = new ChannelPruningOptions { Sparsity = 0.25, ChannelMultiple = 1 };
        var result = new ChannelPruner(options).Prune(OnnxModel.FromProto(proto.Clone()));
        var decision = Assert.Single(result.Groups);
        Assert.Equal((Hidden, Hidden - Weak.Length), (decision.Channels, decision.Kept));

        var pruned = ModelProto.Parser.ParseFrom(result.Model.ToByteArray());
        var shapes = pruned.Graph.Initializer.ToDictionary(t => t.Name, t => t.Dims.ToArray());
        Assert.Equal([Model, Hidden - Weak.Length], shapes["fc1_w"]);
        Assert.Equal([Hidden - Weak.Length], shapes["fc1_b"]);
        Assert.Equal([Hidden - Weak.Length, Model], shapes["fc2_w"]);
        Assert.Equal([Model], shapes["fc2_b"]);

        var before = Assert.Single(OrtRunner.RunOnce(TinyModels.Bytes(proto), Input(batch: 5)));
        var after = Assert.Single(OrtRunner.RunOnce(result.Model.ToByteArray(), Input(batch: 5)));
        Assert.Equal([5L, Tokens, Model], after.Shape);
        var x = MemoryMarshal.Cast<byte, float>(before.Bytes).ToArray();
        var y = MemoryMarshal.Cast<byte, float>(after.Bytes).ToArray();
        Assert.Equal(x.Length, y.Length);
        for (int k = 0; k < x.Length; k++)
            Assert.True(MathF.Abs(x[k] - y[k]) <= 1e-5f * (1 + MathF.Abs(x[k])), $"element {k}: {x[k]} vs {y[k]}");
    }
}
