using Shrink.Model;
using Shrink.Tests.TestSupport;
using Shrink.Validation;

namespace Shrink.Tests.Validation;

public sealed class AlreadyQuantizedTests
{
    [Fact]
    public void A_float_model_passes()
    {
        AlreadyQuantized.Refuse(OnnxModel.FromProto(TinyModels.MatMulReluAdd()), "tiny.onnx", "prune");
    }

    [Theory]
    [InlineData("DequantizeLinear", "quantize")]
    [InlineData("MatMulNBits", "prune")]
    [InlineData("DynamicQuantizeMatMul", "factor")]
    public void A_quantized_node_is_refused_naming_the_node_and_what_to_do_instead(string opType, string action)
    {
        var model = OnnxModel.FromProto(TinyModels.MatMulReluAdd());
        model.Graph.AddNode(opType, ["output"], ["q"], "q1");
        var e = Assert.Throws<ShrinkException>(() => AlreadyQuantized.Refuse(model, "tiny.onnx", action));
        Assert.Equal($"tiny.onnx: the model is already quantized (node 'q1' is {opType}); {action} the float model instead.", e.Message);
    }
}
