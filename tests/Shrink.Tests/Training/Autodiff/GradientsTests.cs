using Onnx;
using Shrink.Model;
using Shrink.Tests.TestSupport;
using Shrink.Training.Autodiff;

namespace Shrink.Tests.Training.Autodiff;

public sealed class GradientsTests
{
    private static TensorProto Input(string name, long[] dims, int seed) =>
        TinyModels.FloatTensor(name, dims, TinyModels.RandomFloats((int)dims.Aggregate(1L, (a, b) => a * b), seed));

    private static TensorProto Labels(string name, params long[] values) =>
        TinyModels.RawTensor(name, TinyModels.Int64, [values.Length], values.SelectMany(BitConverter.GetBytes).ToArray());

    private static ModelProto TwoLayers()
    {
        // input [batch, 4] → MatMul W1 → Relu → Gemm(W2ᵀ, b2) → logits [batch, 3]
        var graph = new GraphProto { Name = "mlp" };
        graph.Input.Add(TinyModels.FloatInfo("input", "batch", 4));
        graph.Output.Add(TinyModels.FloatInfo("logits", "batch", 3));
        graph.Initializer.Add(TinyModels.FloatTensor("W1", [4, 6], TinyModels.RandomFloats(24, 5)));
        graph.Initializer.Add(TinyModels.FloatTensor("W2", [3, 6], TinyModels.RandomFloats(18, 6)));
        graph.Initializer.Add(TinyModels.FloatTensor("b2", [3], TinyModels.RandomFloats(3, 7)));
        graph.Node.Add(TinyModels.Node("MatMul", ["input", "W1"], ["h"], "fc1"));
        graph.Node.Add(TinyModels.Node("Relu", ["h"], ["a"], "relu"));
        var gemm = TinyModels.Node("Gemm", ["a", "W2", "b2"], ["logits"], "fc2");
        gemm.Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        graph.Node.Add(gemm);
        return TinyModels.BuildModel(graph);
    }

    [Fact]
    public void Cross_entropy_gradients_of_a_two_layer_network_match_finite_differences_and_its_loss_is_the_mean_negative_log_likelihood()
    {
        var model = TwoLayers();
        var inputs = new Dictionary<string, TensorProto> { ["input"] = Input("input", [5, 4], 1), ["labels"] = Labels("labels", 0, 2, 1, 1, 0) };
        GradientCheck.Check(model, ["W1", "W2", "b2"], inputs, LossSpec.CrossEntropy());

        var logits = GradientCheck.Floats(OrtRunner.RunOnce(TinyModels.Bytes(model), new Dictionary<string, TensorProto> { ["input"] = inputs["input"] })[0]);
        long[] labels = [0, 2, 1, 1, 0];
        double expected = 0;
        for (int n = 0; n < 5; n++)
        {
            var row = logits.AsSpan(3 * n, 3).ToArray().Select(v => (double)v).ToArray();
            double logSum = Math.Log(row.Sum(Math.Exp));
            expected += logSum - row[labels[n]];
        }
        expected /= 5;
        var training = Gradients.Build(OnnxModel.FromProto(model.Clone()), LossSpec.CrossEntropy(), ["W1"]);
        var feeds = new Dictionary<string, TensorProto>(inputs) { ["W1"] = training.InitialValues["W1"].Proto };
        double loss = GradientCheck.Floats(OrtRunner.RunOnce(training.Model.ToByteArray(), feeds)[0])[0];
        Assert.Equal(expected, loss, 5);
    }

    [Fact]
    public void Decomposed_layer_norm_is_differentiated_as_one_LayerNormalization_and_matches_finite_differences()
    {
        // torch's nn.LayerNorm below opset 17: ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div · γ + β, every value a parameter.
        var model = Shrink.Tests.Passes.LayerNormalizationFusionTests.Decomposed(opset: 13, inputAsInitializer: true);
        var training = Gradients.Build(OnnxModel.FromProto(model.Clone()), new WeightedSumLoss("y", [2, 5, 8], 3), ["x", "gamma", "beta"]);
        var graph = training.Model.Graph;
        var ln = Assert.Single(graph.Nodes, n => n.OpType == Shrink.Ops.OpTypes.LayerNormalization);
        Assert.Equal(3, ln.Outputs.Count); // Y, and the mean and inverse deviation its backward reads
        Assert.DoesNotContain(graph.Nodes, n => n.OpType is Shrink.Ops.OpTypes.Pow or Shrink.Ops.OpTypes.Sqrt);
        Assert.Equal(17, training.Model.OpsetVersion());
        GradientCheck.Check(model);
    }

    [Theory]
    [InlineData("mha_block_opset13")]
    [InlineData("bert_attention")]
    public void Torch_exports_below_opset_17_have_their_LayerNorms_fused_and_match_finite_differences(string name)
    {
        // torch.onnx exports made for other tests (weights in Constant nodes, promoted as preparation does): every
        // spelled-out LayerNorm becomes one LayerNormalization in the training graph, and the gradients still check.
        var model = Shrink.Tests.Methods.Pruning.ExportFixtures.LoadPromoted(name);
        int norms = model.Graph.Nodes.Count(n => n.OpType == Shrink.Ops.OpTypes.Sqrt);
        var parameters = model.Graph.Initializers.Where(kv => kv.Value.Type == ElementType.Float && kv.Value.ElementCount > 1).Select(kv => kv.Key).ToArray();
        var loss = new WeightedSumLoss(model.Graph.Outputs[0].Name, [2, 6, Shrink.Tests.Methods.Pruning.ExportFixtures.D], 3);
        var training = Gradients.Build(model, loss, parameters);
        Assert.True(norms > 0);
        Assert.Equal(norms, training.Model.Graph.Nodes.Count(n => n.OpType == Shrink.Ops.OpTypes.LayerNormalization));
        GradientCheck.Check(ModelProto.Parser.ParseFrom(model.ToByteArray()), parameters, Shrink.Tests.Methods.Pruning.ExportFixtures.Input(name, batch: 2, tokens: 6), loss);
    }

    [Fact]
    public void Kl_distillation_gradients_match_finite_differences_and_vanish_when_the_teacher_agrees()
    {
        var model = TwoLayers();
        var input = Input("input", [4, 4], 2);
        var inputs = new Dictionary<string, TensorProto> { ["input"] = input, ["teacher_logits"] = Input("teacher_logits", [4, 3], 9) };
        GradientCheck.Check(model, ["W1", "W2", "b2"], inputs, LossSpec.KlDivergence(temperature: 2));

        var own = OrtRunner.RunOnce(TinyModels.Bytes(model), new Dictionary<string, TensorProto> { ["input"] = input })[0];
        var training = Gradients.Build(OnnxModel.FromProto(model.Clone()), LossSpec.KlDivergence(temperature: 2), ["W2"]);
        var feeds = new Dictionary<string, TensorProto>
        {
            ["input"] = input,
            ["teacher_logits"] = TinyModels.RawTensor("teacher_logits", TinyModels.Float, own.Shape, own.Bytes),
            ["W2"] = training.InitialValues["W2"].Proto,
        };
        var outputs = OrtRunner.RunOnce(training.Model.ToByteArray(), feeds);
        Assert.True(Math.Abs(GradientCheck.Floats(outputs[0])[0]) < 1e-6);
        Assert.All(GradientCheck.Floats(outputs[1]), g => Assert.True(Math.Abs(g) < 1e-6, $"gradient {g}"));
    }

    [Fact]
    public void Mean_squared_error_to_an_intermediate_tensor_matches_finite_differences()
    {
        var inputs = new Dictionary<string, TensorProto> { ["input"] = Input("input", [3, 4], 3), ["target"] = Input("target", [3, 6], 4) };
        GradientCheck.Check(TwoLayers(), ["W1"], inputs, LossSpec.MeanSquaredError("a"));
    }

    [Fact]
    public void Gradients_from_several_consumers_are_summed()
    {
        // a = Tanh(w); y = a·a + a: a's gradient arrives twice from Mul and once from Add.
        var graph = new GraphProto { Name = "fanout" };
        graph.Initializer.Add(TinyModels.FloatTensor("w", [2, 3], TinyModels.RandomFloats(6, 8)));
        graph.Node.Add(TinyModels.Node("Tanh", ["w"], ["a"], "tanh"));
        graph.Node.Add(TinyModels.Node("Mul", ["a", "a"], ["b"], "square"));
        graph.Node.Add(TinyModels.Node("Add", ["b", "a"], ["y0"], "add"));
        graph.Output.Add(TinyModels.FloatInfo("y0", 2, 3));
        GradientCheck.Check(TinyModels.BuildModel(graph));
    }

    [Fact]
    public void The_training_graph_runs_for_any_batch_size_and_names_its_inputs_and_outputs()
    {
        var training = Gradients.Build(OnnxModel.FromProto(TwoLayers()), LossSpec.CrossEntropy(), ["W2", "W1"]);
        Assert.Equal(["input"], training.Inputs);
        Assert.Equal(["W2", "W1"], training.Parameters);
        Assert.Equal(["labels"], training.LossInputs.Select(i => i.Name));
        Assert.Equal(["grad.W2", "grad.W1"], training.GradientOutputs);
        Assert.Equal([training.Loss, "grad.W2", "grad.W1"], training.Model.Graph.Outputs.Select(o => o.Name));
        foreach (int batch in new[] { 1, 7 })
        {
            var feeds = new Dictionary<string, TensorProto>
            {
                ["input"] = Input("input", [batch, 4], batch),
                ["labels"] = Labels("labels", Enumerable.Range(0, batch).Select(i => (long)(i % 3)).ToArray()),
                ["W1"] = training.InitialValues["W1"].Proto,
                ["W2"] = training.InitialValues["W2"].Proto,
            };
            var outputs = OrtRunner.RunOnce(training.Model.ToByteArray(), feeds);
            Assert.Equal([], outputs[0].Shape);
            Assert.Equal([3L, 6], outputs[1].Shape);
            Assert.Equal([4L, 6], outputs[2].Shape);
        }
    }

    [Fact]
    public void The_source_model_is_not_edited()
    {
        var model = OnnxModel.FromProto(TwoLayers());
        byte[] before = model.ToByteArray();
        _ = Gradients.Build(model, LossSpec.CrossEntropy(), ["W1", "W2", "b2"]);
        Assert.Equal(before, model.ToByteArray());
    }

    [Fact]
    public void A_node_on_the_path_without_a_rule_is_refused_naming_the_op_the_node_and_the_rules_that_exist()
    {
        var model = TwoLayers();
        model.Graph.Node[1].OpType = "Softsign";
        var error = Assert.Throws<ShrinkException>(() => Gradients.Build(OnnxModel.FromProto(model), LossSpec.CrossEntropy(), ["W1"]));
        Assert.Contains("no backward rule for op Softsign (node 'relu')", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("rules exist for: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("Conv", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nodes_off_the_path_from_a_parameter_to_the_loss_need_no_rule()
    {
        // Softsign (no rule) sits between the input and fc1; only W2 is trained, so nothing before fc2 is differentiated.
        var model = TwoLayers();
        model.Graph.Node[1].OpType = "Softsign";
        var inputs = new Dictionary<string, TensorProto> { ["input"] = Input("input", [3, 4], 1), ["labels"] = Labels("labels", 2, 0, 1) };
        GradientCheck.Check(model, ["W2", "b2"], inputs, LossSpec.CrossEntropy());
    }

    [Fact]
    public void A_parameter_the_loss_does_not_depend_on_gets_a_zero_gradient()
    {
        var model = TwoLayers();
        model.Graph.Initializer.Add(TinyModels.FloatTensor("unused", [2], [1, 2]));
        var training = Gradients.Build(OnnxModel.FromProto(model), LossSpec.CrossEntropy(), ["unused"]);
        var feeds = new Dictionary<string, TensorProto>
        {
            ["input"] = Input("input", [2, 4], 1),
            ["labels"] = Labels("labels", 0, 1),
            ["unused"] = training.InitialValues["unused"].Proto,
        };
        var outputs = OrtRunner.RunOnce(training.Model.ToByteArray(), feeds);
        Assert.Equal([0f, 0f], GradientCheck.Floats(outputs[1]));
    }

    [Fact]
    public void Bad_parameters_losses_and_opsets_are_refused_by_name()
    {
        var model = OnnxModel.FromProto(TwoLayers());
        Assert.Contains("'nope' is not an initializer", Assert.Throws<ShrinkException>(() => Gradients.Build(model, LossSpec.CrossEntropy(), ["nope"])).Message, StringComparison.Ordinal);
        Assert.Contains("no parameters", Assert.Throws<ShrinkException>(() => Gradients.Build(model, LossSpec.CrossEntropy(), [])).Message, StringComparison.Ordinal);
        Assert.Contains("named twice", Assert.Throws<ShrinkException>(() => Gradients.Build(model, LossSpec.CrossEntropy(), ["W1", "W1"])).Message, StringComparison.Ordinal);
        Assert.Contains("'missing'", Assert.Throws<ShrinkException>(() => Gradients.Build(model, LossSpec.MeanSquaredError("missing"), ["W1"])).Message, StringComparison.Ordinal);
        Assert.Contains("'input' is already a name", Assert.Throws<ShrinkException>(() => Gradients.Build(model, LossSpec.CrossEntropy(labelsInput: "input"), ["W1"])).Message, StringComparison.Ordinal);
        Assert.Contains("temperature", Assert.Throws<ShrinkException>(() => Gradients.Build(model, LossSpec.KlDivergence(temperature: 0), ["W1"])).Message, StringComparison.Ordinal);

        var withInt = TwoLayers();
        withInt.Graph.Initializer.Add(TinyModels.RawTensor("steps", TinyModels.Int64, [1], BitConverter.GetBytes(1L)));
        Assert.Contains("only float initializers", Assert.Throws<ShrinkException>(() => Gradients.Build(OnnxModel.FromProto(withInt), LossSpec.CrossEntropy(), ["steps"])).Message, StringComparison.Ordinal);

        var old = TwoLayers();
        old.OpsetImport[0].Version = 12;
        Assert.Contains("opset 13", Assert.Throws<ShrinkException>(() => Gradients.Build(OnnxModel.FromProto(old), LossSpec.CrossEntropy(), ["W1"])).Message, StringComparison.Ordinal);
    }
}
