using Onnx;
using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Model;

public sealed class ValueInfoTests
{
    [Fact]
    public void Symbolic_and_fixed_dims_are_read_from_graph_inputs()
    {
        var graph = OnnxModel.FromProto(TinyModels.MatMulReluAdd(inFeatures: 4)).Graph;

        var input = Assert.Single(graph.Inputs);
        Assert.Equal("input", input.Name);
        Assert.Equal(ElementType.Float, input.Type);
        Assert.NotNull(input.Shape);
        Assert.Equal(2, input.Shape.Count);
        Assert.False(input.Shape[0].IsFixed);
        Assert.Equal("batch", input.Shape[0].Symbol);
        Assert.Null(input.Shape[0].Value);
        Assert.True(input.Shape[1].IsFixed);
        Assert.Equal(4, input.Shape[1].Value);
        Assert.Equal("[batch,4]", input.ShapeText);
    }

    [Fact]
    public void Symbolic_dims_of_a_real_exported_model_are_read()
    {
        var model = OnnxModel.Load(RepoPaths.CnnSmall);
        var input = Assert.Single(model.Graph.Inputs);
        // The shared models README documents input float32 [batch,1,28,28].
        Assert.Equal("input", input.Name);
        Assert.Equal(ElementType.Float, input.Type);
        Assert.Equal("[batch,1,28,28]", input.ShapeText);
    }

    [Fact]
    public void Value_info_and_initializers_describe_intermediate_values_and_weights()
    {
        var graph = OnnxModel.FromProto(TinyModels.MatMulReluAdd(inFeatures: 4, outFeatures: 3)).Graph;

        Assert.Equal("[batch,3]", graph.FindValueInfo("mm")!.ShapeText);
        var w = graph.FindValueInfo("W")!;
        Assert.Equal(ElementType.Float, w.Type);
        Assert.Equal("[4,3]", w.ShapeText);
        Assert.Equal("[batch,3]", graph.FindValueInfo("output")!.ShapeText);
        Assert.Null(graph.FindValueInfo("act"));
    }

    [Fact]
    public void Unknown_dims_missing_shapes_and_non_tensor_types_are_represented()
    {
        var unknownDim = TinyModels.FloatInfo("u", 3);
        unknownDim.Type.TensorType.Shape.Dim.Add(new TensorShapeProto.Types.Dimension());
        var info = ValueInfo.FromProto(unknownDim);
        Assert.Equal("[3,?]", info.ShapeText);
        Assert.False(info.Shape![1].IsFixed);
        Assert.Null(info.Shape[1].Symbol);

        var noShape = new ValueInfoProto { Name = "n", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = TinyModels.Int64 } } };
        var n = ValueInfo.FromProto(noShape);
        Assert.Equal(ElementType.Int64, n.Type);
        Assert.Null(n.Shape);
        Assert.Equal("[?]", n.ShapeText);

        var sequence = new ValueInfoProto { Name = "seq", Type = new TypeProto { SequenceType = new TypeProto.Types.Sequence() } };
        Assert.Equal(ElementType.Undefined, ValueInfo.FromProto(sequence).Type);

        var scalar = ValueInfo.FromProto(TinyModels.FloatInfo("s"));
        Assert.Equal("[]", scalar.ShapeText);
        Assert.Empty(scalar.Shape!);
    }

    [Fact]
    public void To_proto_writes_back_what_from_proto_read()
    {
        var original = TinyModels.FloatInfo("x", "batch", 3, 224L);
        original.Type.TensorType.Shape.Dim.Add(new TensorShapeProto.Types.Dimension());
        Assert.Equal(original, ValueInfo.FromProto(original).ToProto());

        var built = new ValueInfo("y", ElementType.Float16, [new Dimension(null, "n"), new Dimension(8, null)]);
        var proto = built.ToProto();
        Assert.Equal((int)TensorProto.Types.DataType.Float16, proto.Type.TensorType.ElemType);
        Assert.Equal("n", proto.Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Equal(8, proto.Type.TensorType.Shape.Dim[1].DimValue);
        Assert.Equal(built.ShapeText, ValueInfo.FromProto(proto).ShapeText);
    }

    [Fact]
    public void Set_value_info_adds_or_replaces_an_entry()
    {
        var model = OnnxModel.FromProto(TinyModels.MatMulReluAdd());
        model.Graph.SetValueInfo(new ValueInfo("act", ElementType.Float, [new Dimension(null, "batch"), new Dimension(3, null)]));
        model.Graph.SetValueInfo(new ValueInfo("mm", ElementType.Float, [new Dimension(7, null), new Dimension(3, null)]));
        Assert.Equal("[batch,3]", model.Graph.FindValueInfo("act")!.ShapeText);
        Assert.Equal("[7,3]", model.Graph.FindValueInfo("mm")!.ShapeText);
        Assert.Equal(2, model.Proto.Graph.ValueInfo.Count);
    }
}
