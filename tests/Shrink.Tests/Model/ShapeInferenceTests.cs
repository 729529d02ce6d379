using Onnx;
using Shrink.Model;
using Shrink.Tests.Ops.Backward;
using Shrink.Tests.TestSupport;
using Shrink.Tests.Training.Autodiff;
using Shrink.Training.Autodiff;

namespace Shrink.Tests.Model;

public sealed class ShapeInferenceTests
{
    // x [batch, 3, 4] (an input) · w [3, 1], then · x again: the broadcast of w is known before running when w's shape reaches
    // the Mul as it is, and not when it goes through Tile (which the shape inference does not follow).
    private static ModelProto Model(bool throughTile)
    {
        var graph = new GraphProto { Name = "broadcast" };
        graph.Input.Add(TinyModels.FloatInfo("x", "batch", 3, 4));
        graph.Output.Add(TinyModels.FloatInfo("y", "batch", 3, 4));
        graph.Initializer.Add(TinyModels.FloatTensor("w", [3, 1], TinyModels.RandomFloats(3, 4)));
        string operand = "w";
        if (throughTile)
        {
            graph.Initializer.Add(BackwardTestModels.Int64s("repeats", 1, 1));
            graph.Node.Add(TinyModels.Node("Tile", ["w", "repeats"], ["tiled"], "tile"));
            operand = "tiled";
        }
        graph.Node.Add(TinyModels.Node("Mul", ["x", operand], ["scaled"], "scale"));
        graph.Node.Add(TinyModels.Node("Mul", ["scaled", "x"], ["y"], "square"));
        return TinyModels.BuildModel(graph);
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 1)]
    public void Broadcast_reductions_are_found_at_run_time_only_where_the_shapes_are_not_known_before(bool throughTile, int runTimeReductions)
    {
        var model = Model(throughTile);
        var inputs = new Dictionary<string, TensorProto> { ["x"] = TinyModels.FloatTensor("x", [2, 3, 4], TinyModels.RandomFloats(24, 9)) };
        GradientCheck.Check(model, ["w"], inputs, null, samples: 3);

        var training = Gradients.Build(OnnxModel.FromProto(model.Clone(), "broadcast"), LossSpec.MeanSquaredError("y"), ["w"]);
        Assert.Equal(runTimeReductions, training.Model.Graph.Nodes.Count(n => n.OpType == "NonZero"));
        // Known: w [3, 1] against [batch, 3, 4] is a ReduceSum over constant axes (the batch and the last), then a Squeeze of the batch.
        if (!throughTile) Assert.Contains(training.Model.Graph.Nodes, n => n.OpType == "Squeeze");
    }
}
