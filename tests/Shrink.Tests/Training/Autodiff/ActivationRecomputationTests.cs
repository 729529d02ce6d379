using Onnx;
using Shrink.Model;
using Shrink.Tests.TestSupport;
using Shrink.Training.Autodiff;

namespace Shrink.Tests.Training.Autodiff;

/// <summary><see cref="Gradients.Build"/> with recompute: cheap forward values are computed again where the backward pass reads them.</summary>
public sealed class ActivationRecomputationTests
{
    // input x [4, 8] → MatMul W1 [8, 16] → Add b1 → GELU as exported: h·0.5·(1 + Erf(h / √2)) → MatMul W2 [16, 3] → y
    private static ModelProto Mlp()
    {
        var graph = new GraphProto { Name = "mlp" };
        graph.Input.Add(TinyModels.FloatInfo("x", 4, 8));
        graph.Initializer.Add(TinyModels.FloatTensor("W1", [8, 16], TinyModels.RandomFloats(8 * 16, 1)));
        graph.Initializer.Add(TinyModels.FloatTensor("b1", [16], TinyModels.RandomFloats(16, 2)));
        graph.Initializer.Add(TinyModels.FloatTensor("W2", [16, 3], TinyModels.RandomFloats(16 * 3, 3)));
        graph.Initializer.Add(TinyModels.FloatTensor("sqrt2", [], [MathF.Sqrt(2)]));
        graph.Initializer.Add(TinyModels.FloatTensor("one", [], [1f]));
        graph.Initializer.Add(TinyModels.FloatTensor("half", [], [0.5f]));
        graph.Node.Add(TinyModels.Node("MatMul", ["x", "W1"], ["m"], "fc1"));
        graph.Node.Add(TinyModels.Node("Add", ["m", "b1"], ["h"], "bias1"));
        graph.Node.Add(TinyModels.Node("Div", ["h", "sqrt2"], ["d"], "div"));
        graph.Node.Add(TinyModels.Node("Erf", ["d"], ["e"], "erf"));
        graph.Node.Add(TinyModels.Node("Add", ["e", "one"], ["a"], "add1"));
        graph.Node.Add(TinyModels.Node("Mul", ["h", "a"], ["g"], "mul"));
        graph.Node.Add(TinyModels.Node("Mul", ["g", "half"], ["gelu"], "half"));
        graph.Node.Add(TinyModels.Node("MatMul", ["gelu", "W2"], ["y"], "fc2"));
        graph.Output.Add(TinyModels.FloatInfo("y", 4, 3));
        return TinyModels.BuildModel(graph);
    }

    private static (TrainingGraph Graph, IReadOnlyList<float[]> Outputs) Run(bool recompute)
    {
        string[] parameters = ["W1", "b1", "W2"];
        var training = Gradients.Build(OnnxModel.FromProto(Mlp(), "mlp"), new WeightedSumLoss("y", [4, 3], 9), parameters, recompute: recompute);
        var feeds = parameters.ToDictionary(p => p, p => training.InitialValues[p].Proto);
        feeds["x"] = TinyModels.FloatTensor("x", [4, 8], TinyModels.RandomFloats(32, 5));
        var outputs = OrtRunner.RunOnce(training.Model.ToByteArray(), feeds);
        return (training, outputs.Select(GradientCheck.Floats).ToList());
    }

    [Fact]
    public void The_gelu_chain_is_recomputed_in_the_backward_pass_with_the_same_loss_and_gradients()
    {
        var (plain, expected) = Run(recompute: false);
        var (recomputed, actual) = Run(recompute: true);
        Assert.Empty(plain.Recomputed);
        // Read by the backward pass: Erf's input d, the Mul's factor a and fc2's input gelu; e and g only feed the
        // recomputation of a and gelu.
        Assert.Equal(["d", "e", "a", "g", "gelu"], recomputed.Recomputed);
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i], actual[i]);

        // Only forward nodes read the original values now; the backward pass reads the copies.
        var graph = recomputed.Model.Graph;
        var forward = new HashSet<string>(OnnxModel.FromProto(Mlp(), "mlp").Graph.Nodes.Select(n => n.Name), StringComparer.Ordinal);
        foreach (var value in new[] { "d", "a", "gelu" })
            Assert.All(graph.Consumers(value), n => Assert.Contains(n.Name, forward));
        Assert.Equal(5, graph.Nodes.Count(n => n.Name.EndsWith("/recompute", StringComparison.Ordinal)));
        // h stays alive for the backward pass anyway (the Mul's gradient reads it), so it is not recomputed.
        Assert.DoesNotContain("h", recomputed.Recomputed);
    }
}
