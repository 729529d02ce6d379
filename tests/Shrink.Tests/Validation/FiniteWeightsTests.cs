using Shrink.Model;
using Shrink.Tests.TestSupport;
using Shrink.Validation;

namespace Shrink.Tests.Validation;

public sealed class FiniteWeightsTests
{
    [Fact]
    public void Parameters_are_the_weights_and_biases_of_weighted_layers_each_once()
    {
        var model = OnnxModel.FromProto(TinyModels.MatMulReluAdd());
        var parameters = FiniteWeights.Parameters(model.Graph).Select(p => (p.Tensor.Name, p.Reader.Name)).ToList();
        // The Add's b is not a layer parameter: MatMul has no bias input.
        Assert.Equal([("W", "matmul")], parameters);
    }

    [Fact]
    public void A_nan_weight_is_refused_naming_tensor_node_and_element()
    {
        var proto = TinyModels.MatMulReluAdd();
        var w = proto.Graph.Initializer.Single(t => t.Name == "W");
        var values = TinyModels.RandomFloats(12, 1);
        values[7] = float.NaN;
        proto.Graph.Initializer.Remove(w);
        proto.Graph.Initializer.Add(TinyModels.FloatTensor("W", [4, 3], values));
        var e = Assert.Throws<ShrinkException>(() => FiniteWeights.Ensure(OnnxModel.FromProto(proto), "tiny.onnx"));
        Assert.Equal("tiny.onnx: initializer 'W' (read by node 'matmul', MatMul) holds NaN or Inf at element 7; fix the model before quantizing.", e.Message);
    }

    [Fact]
    public void Infinity_outside_layer_parameters_is_allowed()
    {
        var proto = TinyModels.MatMulReluAdd();
        var b = proto.Graph.Initializer.Single(t => t.Name == "b");
        proto.Graph.Initializer.Remove(b);
        proto.Graph.Initializer.Add(TinyModels.FloatTensor("b", [3], [float.NegativeInfinity, 0, 1]));
        FiniteWeights.Ensure(OnnxModel.FromProto(proto), "tiny.onnx");
    }
}
