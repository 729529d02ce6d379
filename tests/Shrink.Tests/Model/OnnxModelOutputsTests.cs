using Shrink.Model;
using Shrink.Runtime;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Model;

public class OnnxModelOutputsTests
{
    // input → MatMul "mm" → Relu "act" → Add "output"
    private static OnnxModel Tiny() => OnnxModel.FromProto(TinyModels.MatMulReluAdd(), "tiny");

    [Fact]
    public void With_outputs_adds_values_once_to_a_copy_and_leaves_the_model_alone()
    {
        var model = Tiny();
        var before = TinyModels.Bytes(model.Proto);

        var exposed = model.WithOutputs(["mm", "output", "mm"]);

        Assert.Equal(new[] { "output", "mm" }, exposed.Proto.Graph.Output.Select(o => o.Name));
        Assert.Equal(3, exposed.Proto.Graph.Node.Count);
        Assert.Equal(before, TinyModels.Bytes(model.Proto));
        Assert.Equal(new[] { "output" }, model.Graph.Outputs.Select(o => o.Name));
    }

    [Fact]
    public void With_only_outputs_keeps_just_the_nodes_the_values_need()
    {
        var model = Tiny();
        var before = TinyModels.Bytes(model.Proto);

        var cut = model.WithOnlyOutputs(["act"]);

        Assert.Equal(new[] { "act" }, cut.Proto.Graph.Output.Select(o => o.Name));
        Assert.Equal(new[] { "MatMul", "Relu" }, cut.Proto.Graph.Node.Select(n => n.OpType));
        Assert.Equal(before, TinyModels.Bytes(model.Proto));
        using var session = ModelSession.Open(cut);
        Assert.Equal(new[] { "act" }, session.OutputNames);
    }
}
