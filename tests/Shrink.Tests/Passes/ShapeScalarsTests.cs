using Shrink.Model;
using Shrink.Ops;
using Shrink.Passes;
using Shrink.Tests.Methods.Pruning;

namespace Shrink.Tests.Passes;

/// <summary>
/// Values torch computes from shapes in a packed causal attention export (tests/Shrink.Tests/Fixtures/Exports): the head
/// size C // H and its (C // H) ** -0.5 are known before running, the token count is not.
/// </summary>
public sealed class ShapeScalarsTests
{
    private static (ModelGraph Graph, Dictionary<string, string[]> Shapes) Load()
    {
        var model = ExportFixtures.LoadPromoted("packed_causal_attention");
        var graph = model.Graph;
        var order = graph.TopologicalOrder();
        return (graph, ShapeInference.Infer(graph, order, RankInference.Infer(graph, order)));
    }

    [Fact]
    public void Head_size_and_score_scale_are_computed_with_integer_division()
    {
        var (graph, shapes) = Load();
        var div = graph.Nodes.Single(n => n.OpType == OpTypes.Div);
        var pow = graph.Nodes.Single(n => n.OpType == OpTypes.Pow);
        Assert.Equal(4.0, ShapeScalars.Evaluate(graph, div.Outputs[0], shapes)); // 16 // 4
        Assert.Equal(0.5, ShapeScalars.Evaluate(graph, pow.Outputs[0], shapes)); // 4 ** -0.5
    }

    [Fact]
    public void Dimensions_of_symbolic_axes_are_not_known()
    {
        var (graph, shapes) = Load();
        var gathers = graph.Nodes.Where(n => n.OpType == OpTypes.Gather && graph.Producer(n.Inputs[0])?.OpType == OpTypes.Shape).ToList();
        var byAxis = gathers.ToDictionary(g => graph.FindInitializer(g.Inputs[1])!.AsSpan<long>()[0], g => ShapeScalars.Evaluate(graph, g.Outputs[0], shapes));
        Assert.Null(byAxis[0]); // batch
        Assert.Null(byAxis[1]); // tokens
        Assert.Equal(16.0, byAxis[2]); // channels, fixed by the LayerNorm and qkv weights
    }

    [Fact]
    public void Values_computed_from_data_are_not_known()
    {
        var (graph, shapes) = Load();
        var softmax = graph.Nodes.Single(n => n.OpType == OpTypes.Softmax);
        Assert.Null(ShapeScalars.Evaluate(graph, softmax.Outputs[0], shapes));
    }
}
