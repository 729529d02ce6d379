using Shrink.Model;
using Shrink.Tests.TestSupport;
using Shrink.Validation;

namespace Shrink.Tests.Validation;

public sealed class WrittenModelCheckTests
{
    [Fact]
    public void An_unchanged_copy_passes_both_checks()
    {
        var model = OnnxModel.FromProto(TinyModels.MatMulReluAdd());
        WrittenModelCheck.Verify(model, model.Clone(), "tiny.onnx");
        WrittenModelCheck.VerifyPruned(model, model.Clone());
    }

    [Fact]
    public void A_renamed_output_is_a_bug()
    {
        var model = OnnxModel.FromProto(TinyModels.MatMulReluAdd());
        var proto = TinyModels.MatMulReluAdd();
        proto.Graph.Output[0].Name = "renamed";
        proto.Graph.Node.Single(n => n.Name == "add").Output[0] = "renamed";
        var changed = OnnxModel.FromProto(proto);
        var e = Assert.Throws<InvalidOperationException>(() => WrittenModelCheck.Verify(model, changed, "tiny.onnx"));
        Assert.Equal("tiny.onnx: quantization changed the model's interface; this is a bug.", e.Message);
    }

    [Fact]
    public void Pruning_must_also_keep_the_interface_shapes()
    {
        var model = OnnxModel.FromProto(TinyModels.MatMulReluAdd(), "tiny.onnx");
        var narrower = OnnxModel.FromProto(TinyModels.MatMulReluAdd(outFeatures: 2), "tiny.onnx");
        // Names agree, so the quantization check passes; the widths differ, so the pruning check does not.
        WrittenModelCheck.Verify(model, narrower, "tiny.onnx");
        var e = Assert.Throws<InvalidOperationException>(() => WrittenModelCheck.VerifyPruned(model, narrower));
        Assert.Equal("tiny.onnx: channel pruning changed the model's interface; this is a bug.", e.Message);
    }
}
