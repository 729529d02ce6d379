using System.Runtime.InteropServices;
using Onnx;
using Shrink.Onnx;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Graph.Passes;

/// <summary>Runs a model before and after a pass in ONNX Runtime and compares the first output.</summary>
internal static class PassTestKit
{
    public static float[] Run(OnnxModel model, string input, long[] shape, int seed = 3)
    {
        int n = (int)shape.Aggregate(1L, (a, b) => a * b);
        var x = TinyModels.FloatTensor(input, shape, TinyModels.RandomFloats(n, seed));
        var output = OrtRunner.RunOnce(model.ToByteArray(), new Dictionary<string, TensorProto> { [input] = x })[0];
        return MemoryMarshal.Cast<byte, float>(output.Bytes).ToArray();
    }

    public static void AssertClose(float[] expected, float[] actual, float tolerance = 1e-4f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * (1 + Math.Abs(expected[i])), $"element {i}: {expected[i]} vs {actual[i]}");
    }

    public static AttributeProto Ints(string name, params long[] values) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Ints, Ints = { values } };

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };
}
