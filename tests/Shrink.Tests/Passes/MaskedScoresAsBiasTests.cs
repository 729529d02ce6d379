using Shrink.Model;
using Shrink.Ops;
using Shrink.Passes;
using Shrink.Tests.Methods.Pruning;

namespace Shrink.Tests.Passes;

/// <summary>
/// The causal mask torch exports as <c>Where(mask, -inf, scores)</c> becomes <c>scores + Where(mask, -inf, 0)</c> with the
/// same outputs in ONNX Runtime; finite fills and data-dependent masks are left alone.
/// </summary>
public sealed class MaskedScoresAsBiasTests
{
    [Theory]
    [InlineData("packed_causal_attention")]
    [InlineData("nanogpt_attention")]
    public void Causal_mask_becomes_an_added_bias_with_the_same_outputs(string name)
    {
        var model = ExportFixtures.LoadPromoted(name);
        var x = ExportFixtures.Input(name, batch: 2, tokens: 7)["x"];
        var masked = model.Graph.Nodes.Single(n => n.OpType == OpTypes.Where);
        string scores = masked.Inputs.Skip(1).Single(i => model.Graph.FindInitializer(i) is null);
        var result = PassTestKit.ApplyAndCompare(new MaskedScoresAsBias(), model, 1e-6, x);

        Assert.Equal(1, result.Changes);
        var graph = model.Graph;
        var softmax = graph.Nodes.Single(n => n.OpType == OpTypes.Softmax);
        var add = graph.Producer(softmax.Inputs[0])!;
        Assert.Equal(OpTypes.Add, add.OpType);
        // The scores are added to; the Where reads only the mask and two scalars.
        Assert.Equal(scores, add.Inputs[0]);
        var where = graph.Producer(add.Inputs[1])!;
        Assert.Equal(OpTypes.Where, where.OpType);
        Assert.All(where.Inputs.Skip(1), i => Assert.Equal(1, graph.FindInitializer(i)!.ElementCount));
    }

    [Fact]
    public void Finite_fill_is_left_alone()
    {
        var model = ExportFixtures.LoadPromoted("packed_causal_attention");
        var graph = model.Graph;
        var where = graph.Nodes.Single(n => n.OpType == OpTypes.Where);
        var fill = TensorData.FromFloats(graph.UniqueName("finite_fill"), [], [-1e4f]);
        graph.SetInitializer(fill);
        graph.SetInput(where, 1, fill.Name);
        Assert.Equal(0, new MaskedScoresAsBias().Apply(model).Changes);
    }

    [Fact]
    public void Mask_from_a_model_input_is_left_alone()
    {
        // A padding mask computed from an input (here: the mask's Not reads a new boolean input) has the data's batch.
        var model = ExportFixtures.LoadPromoted("packed_causal_attention");
        var graph = model.Graph;
        var not = graph.Nodes.Single(n => n.OpType == OpTypes.Not);
        graph.AddGraphInput(new ValueInfo("keep", ElementType.Bool, [new Dimension(null, "batch"), new Dimension(1, null), new Dimension(1, null), new Dimension(null, "tokens")]));
        graph.SetInput(not, 0, "keep");
        Assert.Equal(0, new MaskedScoresAsBias().Apply(model).Changes);
    }
}
