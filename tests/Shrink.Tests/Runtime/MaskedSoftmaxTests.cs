using Onnx;
using Shrink.Model;
using Shrink.Runtime;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Runtime;

public sealed class MaskedSoftmaxTests
{
    // x [1, 4, 4] → (Where(mask, fill, x) | Add(x, bias) | Add(x, Where(mask, fill, 0)) | nothing) → Softmax → y
    internal static OnnxModel Model(string masking, float fill)
    {
        var graph = new GraphProto { Name = "masked" };
        graph.Input.Add(TinyModels.FloatInfo("x", 1, 4, 4));
        graph.Output.Add(TinyModels.FloatInfo("y", 1, 4, 4));
        string scores = "x";
        if (masking == "where")
        {
            var causal = new byte[16];
            for (int i = 0; i < 4; i++) for (int j = i + 1; j < 4; j++) causal[i * 4 + j] = 1;
            graph.Initializer.Add(TinyModels.RawTensor("mask", (int)TensorProto.Types.DataType.Bool, [4, 4], causal));
            graph.Initializer.Add(TinyModels.FloatTensor("fill", [], [fill]));
            graph.Node.Add(TinyModels.Node("Where", ["mask", "fill", "x"], ["masked"], "where"));
            scores = "masked";
        }
        else if (masking == "where-bias")
        {
            var causal = new byte[16];
            for (int i = 0; i < 4; i++) for (int j = i + 1; j < 4; j++) causal[i * 4 + j] = 1;
            graph.Initializer.Add(TinyModels.RawTensor("mask", (int)TensorProto.Types.DataType.Bool, [4, 4], causal));
            graph.Initializer.Add(TinyModels.FloatTensor("fill", [], [fill]));
            graph.Initializer.Add(TinyModels.FloatTensor("zero", [], [0f]));
            graph.Node.Add(TinyModels.Node("Where", ["mask", "fill", "zero"], ["bias"], "where"));
            graph.Node.Add(TinyModels.Node("Add", ["x", "bias"], ["masked"], "add"));
            scores = "masked";
        }
        else if (masking == "add")
        {
            var bias = new float[16];
            for (int i = 0; i < 4; i++) for (int j = i + 1; j < 4; j++) bias[i * 4 + j] = fill;
            graph.Initializer.Add(TinyModels.FloatTensor("bias", [4, 4], bias));
            graph.Node.Add(TinyModels.Node("Add", ["x", "bias"], ["masked"], "add"));
            scores = "masked";
        }
        graph.Node.Add(TinyModels.Node("Softmax", [scores], ["y"], "softmax"));
        return OnnxModel.FromProto(TinyModels.BuildModel(graph), "masked");
    }

    [Theory]
    [InlineData("where", float.NegativeInfinity, 1)]
    [InlineData("where", -1e9f, 1)]
    [InlineData("where-bias", float.NegativeInfinity, 1)]
    [InlineData("where-bias", -5f, 0)]
    [InlineData("add", -10000f, 1)]
    [InlineData("add", -5f, 0)]
    [InlineData("none", 0f, 0)]
    public void Counts_softmaxes_whose_input_is_masked_with_a_huge_negative_fill(string masking, float fill, int expected) =>
        Assert.Equal(expected, MaskedSoftmax.Count(Model(masking, fill)));
}
