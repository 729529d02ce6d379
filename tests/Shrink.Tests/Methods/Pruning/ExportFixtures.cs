using Onnx;
using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods.Pruning;

/// <summary>
/// The torch.onnx exports under tests/Shrink.Tests/Fixtures/Exports (D = 16, 4 heads of 4, 6 tokens at export) and the
/// helpers that check pruning on them: random inputs, which units a pruned weight kept, and the original with units zeroed.
/// </summary>
internal static class ExportFixtures
{
    public const int D = 16;
    public const int HeadSize = 4;

    public static string PathOf(string name) => Path.Combine(RepoPaths.Exports, name + ".onnx");

    public static OnnxModel Load(string name) => OnnxModel.Load(PathOf(name));

    /// <summary>The export with its Constant-node weights promoted to initializers, as the passes see it after preparation.</summary>
    public static OnnxModel LoadPromoted(string name)
    {
        var model = Load(name);
        new Shrink.Passes.PromoteConstantsToInitializers().Apply(model);
        return model;
    }

    /// <summary>Whether the export left the token axis dynamic (the shape probe then needs a size for it).</summary>
    public static bool DynamicTokens(string name) => name.EndsWith("_dynseq", StringComparison.Ordinal) || name.StartsWith("bert_", StringComparison.Ordinal) || name.StartsWith("bart_", StringComparison.Ordinal)
        || name.StartsWith("gpt2_", StringComparison.Ordinal) || name.StartsWith("nanogpt_", StringComparison.Ordinal) || name.StartsWith("packed_", StringComparison.Ordinal);

    /// <summary>Random inputs for <paramref name="name"/>: x [batch, tokens, D] (and the BERT mask [batch, 1, 1, tokens] masking the last two tokens), or an image [batch, 1, 4, 4].</summary>
    public static Dictionary<string, TensorProto> Input(string name, int batch, int tokens, int seed = 7)
    {
        if (name == "flatten_mlp")
            return new() { ["x"] = TinyModels.FloatTensor("x", [batch, 1, 4, 4], TinyModels.RandomFloats(batch * 16, seed)) };
        var inputs = new Dictionary<string, TensorProto>
        {
            ["x"] = TinyModels.FloatTensor("x", [batch, tokens, D], TinyModels.RandomFloats(batch * tokens * D, seed)),
        };
        if (name == "bert_attention")
        {
            var mask = new float[batch * tokens];
            for (int b = 0; b < batch; b++)
                for (int t = tokens - 2; t < tokens; t++) mask[b * tokens + t] = -10000f;
            inputs["mask"] = TinyModels.FloatTensor("mask", [batch, 1, 1, tokens], mask);
        }
        return inputs;
    }

    /// <summary>The weight (input 1) of node <paramref name="node"/>.</summary>
    public static TensorData WeightOf(OnnxModel model, string node) =>
        model.Graph.FindInitializer(model.Graph.Nodes.Single(n => n.Name == node).Inputs[1])!;

    /// <summary>
    /// Which units of <paramref name="original"/> a pruned copy kept: units are blocks of <paramref name="block"/> slices
    /// along <paramref name="axis"/>, matched by value (the tensors are random, so the match is unique).
    /// </summary>
    public static int[] KeptUnits(TensorData original, TensorData pruned, int axis, int block)
    {
        var a = Units(original, axis, block);
        var b = Units(pruned, axis, block);
        var kept = b.Select(u => Array.FindIndex(a, o => o.SequenceEqual(u))).ToArray();
        Assert.DoesNotContain(-1, kept);
        return kept;
    }

    /// <summary>Zeroes units (blocks of <paramref name="block"/> slices along <paramref name="axis"/>) of an initializer in place.</summary>
    public static void ZeroUnits(TensorData tensor, int axis, int block, IEnumerable<int> units)
    {
        var values = tensor.ToFloatArray();
        var dims = tensor.Dims.ToArray();
        long inner = dims.Skip(axis + 1).Aggregate(1L, (x, y) => x * y);
        long outer = dims.Take(axis).Aggregate(1L, (x, y) => x * y);
        foreach (int u in units)
            for (long o = 0; o < outer; o++)
                for (long i = (long)u * block; i < (long)(u + 1) * block; i++)
                    Array.Clear(values, (int)((o * dims[axis] + i) * inner), (int)inner);
        tensor.SetData<float>(dims, values, ElementType.Float);
    }

    private static float[][] Units(TensorData t, int axis, int block)
    {
        var values = t.ToFloatArray();
        var dims = t.Dims.ToArray();
        long inner = dims.Skip(axis + 1).Aggregate(1L, (x, y) => x * y);
        long outer = dims.Take(axis).Aggregate(1L, (x, y) => x * y);
        int count = (int)(dims[axis] / block);
        return Enumerable.Range(0, count).Select(u =>
        {
            var unit = new List<float>();
            for (long o = 0; o < outer; o++)
                unit.AddRange(values.AsSpan((int)((o * dims[axis] + (long)u * block) * inner), (int)(block * inner)).ToArray());
            return unit.ToArray();
        }).ToArray();
    }
}
