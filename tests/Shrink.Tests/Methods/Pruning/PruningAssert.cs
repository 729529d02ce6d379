using Onnx;
using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods.Pruning;

/// <summary>Checks shared by the channel-pruning tests.</summary>
internal static class PruningAssert
{
    public static Dictionary<string, TensorProto> RandomInput(int batch = 2, int seed = 3) => new()
    {
        ["input"] = TinyModels.FloatTensor("input", [batch, 2, 6, 6], TinyModels.RandomFloats(batch * 2 * 36, seed)),
    };

    /// <summary>ORT loads the pruned model, its interface is the original's, and (when <paramref name="identical"/>) its outputs match.</summary>
    public static void LoadsWithSameInterface(ModelProto original, OnnxModel pruned, bool identical)
    {
        var before = OnnxModel.FromProto(original.Clone());
        Assert.Equal(Describe(before), Describe(pruned));
        var inputs = RandomInput();
        var expected = OrtRunner.RunOnce(TinyModels.Bytes(original), inputs);
        var actual = OrtRunner.RunOnce(pruned.ToByteArray(), inputs);
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].ShapeText, actual[i].ShapeText);
            if (!identical) continue;
            var e = Floats(expected[i].Bytes);
            var a = Floats(actual[i].Bytes);
            for (int k = 0; k < e.Length; k++) Assert.True(Math.Abs(e[k] - a[k]) <= 1e-4f * (1 + Math.Abs(e[k])), $"output {i}[{k}]: {e[k]} vs {a[k]}");
        }
    }

    private static string Describe(OnnxModel m) =>
        string.Join(";", m.Graph.Inputs.Concat(m.Graph.Outputs).Select(v => $"{v.Name}:{v.Type}{v.ShapeText}"));

    private static float[] Floats(byte[] bytes) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray();

    public static long[] Dims(OnnxModel model, string initializer) => model.Graph.FindInitializer(initializer)!.Dims.ToArray();
}
