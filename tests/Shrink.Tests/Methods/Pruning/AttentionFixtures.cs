using Onnx;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods.Pruning;

/// <summary>How the attention fixture's Reshape shapes are given.</summary>
public enum AttentionShapes
{
    /// <summary>Int64 initializers ([0, 0, 3, H, dh] and [0, 0, H·dh]).</summary>
    Constant,

    /// <summary>As PyTorch exports <c>x.reshape(B, T, 3, H, C // H)</c>: Shape/Gather/Unsqueeze pieces and constants joined by a Concat.</summary>
    Computed,

    /// <summary>As Hugging Face writes <c>x.view(x.size()[:-1] + (H, dh))</c>: a Slice of the reshaped value's own Shape and constants.</summary>
    Sliced,
}

/// <summary>
/// One self-attention block built in code, as a ViT exports it: input [batch, T, D] → q,k,v projection (one fused MatMul
/// plus bias, or three) → Reshape into heads → Transpose → q·kᵀ, scale, Softmax, ·v → Transpose → Reshape [batch, T, H·dh]
/// → output projection MatMul + bias → output [batch, T, D].
/// </summary>
internal static class AttentionFixtures
{
    public const int Tokens = 3;

    /// <summary>The output projection's weight, [H·dh, D]; head h reads rows h·dh … (h + 1)·dh − 1.</summary>
    public const string OutputWeight = "o_W";

    /// <summary>The fused q,k,v weight [D, 3·H·dh] (or the q weight [D, H·dh] when separate).</summary>
    public const string QkvWeight = "qkv_W";

    /// <summary>The fused projection node (or the q projection when separate).</summary>
    public const string QkvNode = "qkv_matmul";

    /// <summary>
    /// The block with <paramref name="heads"/> heads of <paramref name="headSize"/>; D = heads·headSize. The weights of the heads
    /// in <paramref name="weakHeads"/> are scaled by 0.05 (q, k, v columns and output-projection rows), so that a weight
    /// norm ranks them last.
    /// </summary>
    /// <remarks>With <paramref name="mask"/>, a computed additive mask [batch, 1, 1, T] (from the input) is added to the scores, as BERT-style models do.</remarks>
    public static ModelProto Block(int heads = 2, int headSize = 4, AttentionShapes shapes = AttentionShapes.Constant, bool separate = false,
        int[]? weakHeads = null, bool mask = false)
    {
        int d = heads * headSize;
        var g = new GraphProto { Name = "attention" };
        g.Input.Add(TinyModels.FloatInfo("input", "batch", Tokens, d));
        int seed = 40;
        var weak = weakHeads ?? [];
        float Scale(int column) => weak.Contains(column % d / headSize) ? 0.05f : 1f;

        string Project(string name, int parts)
        {
            int columns = parts * d;
            var w = TinyModels.RandomFloats(d * columns, seed++);
            var b = TinyModels.RandomFloats(columns, seed++);
            for (int r = 0; r < d; r++)
                for (int c = 0; c < columns; c++) w[r * columns + c] *= Scale(c);
            for (int c = 0; c < columns; c++) b[c] *= Scale(c);
            g.Initializer.Add(TinyModels.FloatTensor(name + "_W", [d, columns], w));
            g.Initializer.Add(TinyModels.FloatTensor(name + "_B", [columns], b));
            g.Node.Add(TinyModels.Node("MatMul", ["input", name + "_W"], [name + "_mm"], name + "_matmul"));
            g.Node.Add(TinyModels.Node("Add", [name + "_B", name + "_mm"], [name + "_add"], name + "_bias"));
            return name + "_add";
        }

        string Heads(string input, string name, long[] tail)
        {
            string shape = shapes switch
            {
                AttentionShapes.Constant => Int64(g, name + "_shape", [0, 0, .. tail]),
                AttentionShapes.Sliced => SlicedShape(g, name, input, tail),
                _ => ComputedShape(g, name, tail, computeLast: false),
            };
            g.Node.Add(TinyModels.Node("Reshape", [input, shape], [name], name + "_reshape"));
            return name;
        }

        string q, k, v;
        if (!separate)
        {
            string qkv = Heads(Project("qkv", 3), "heads", [3, heads, headSize]);
            g.Node.Add(Transpose(qkv, "qkv_t", 2, 0, 3, 1, 4)); // [3, B, H, T, dh]
            var split = TinyModels.Node("Split", ["qkv_t", Int64(g, "split_sizes", [1, 1, 1])], ["q5", "k5", "v5"], "split");
            split.Attribute.Add(ChannelFixtures.Int("axis", 0));
            g.Node.Add(split);
            string axes = Int64(g, "squeeze_axes", [0]);
            foreach (var part in new[] { "q", "k", "v" })
                g.Node.Add(TinyModels.Node("Squeeze", [part + "5", axes], [part], part + "_squeeze"));
            (q, k, v) = ("q", "k", "v");
        }
        else
        {
            string Separate(string part)
            {
                string projected = Project(part == "q" ? "qkv" : part, 1);
                string split = Heads(projected, part + "_heads", [heads, headSize]);
                g.Node.Add(Transpose(split, part, 0, 2, 1, 3)); // [B, H, T, dh]
                return part;
            }
            (q, k, v) = (Separate("q"), Separate("k"), Separate("v"));
        }
        g.Node.Add(Transpose(k, "kt", 0, 1, 3, 2));
        g.Node.Add(TinyModels.Node("MatMul", [q, "kt"], ["scores"], "qk_matmul"));
        g.Initializer.Add(TinyModels.FloatTensor("scale", [], [1f / MathF.Sqrt(headSize)]));
        g.Node.Add(TinyModels.Node("Mul", ["scores", "scale"], ["scaled"], "scale_mul"));
        string logits = "scaled";
        if (mask)
        {
            g.Node.Add(TinyModels.Node("ReduceSum", ["input", Int64(g, "mask_axes", [2])], ["mask_sum"], "mask_reducesum")); // [B, T, 1]
            g.Node.Add(Transpose("mask_sum", "mask_row", 0, 2, 1));                                                          // [B, 1, T]
            g.Node.Add(TinyModels.Node("Unsqueeze", ["mask_row", Int64(g, "mask_unsqueeze_axes", [1])], ["mask"], "mask_unsqueeze"));
            g.Node.Add(TinyModels.Node("Add", ["scaled", "mask"], ["masked"], "mask_add"));
            logits = "masked";
        }
        var softmax = TinyModels.Node("Softmax", [logits], ["attn"], "softmax");
        softmax.Attribute.Add(ChannelFixtures.Int("axis", -1));
        g.Node.Add(softmax);
        g.Node.Add(TinyModels.Node("MatMul", ["attn", v], ["context"], "av_matmul"));
        g.Node.Add(Transpose("context", "context_t", 0, 2, 1, 3)); // [B, T, H, dh]
        string merged = shapes switch
        {
            AttentionShapes.Constant => Int64(g, "merge_shape", [0, 0, d]),
            AttentionShapes.Sliced => SlicedShape(g, "merge", "context_t", [d]),
            _ => ComputedShape(g, "merge", [], computeLast: true),
        };
        g.Node.Add(TinyModels.Node("Reshape", ["context_t", merged], ["merged"], "merge_reshape"));
        var wo = TinyModels.RandomFloats(d * d, seed++);
        for (int r = 0; r < d; r++)
            for (int c = 0; c < d; c++) wo[r * d + c] *= Scale(r);
        g.Initializer.Add(TinyModels.FloatTensor(OutputWeight, [d, d], wo));
        g.Initializer.Add(TinyModels.FloatTensor("o_B", [d], TinyModels.RandomFloats(d, seed++)));
        g.Node.Add(TinyModels.Node("MatMul", ["merged", OutputWeight], ["o_mm"], "o_matmul"));
        g.Node.Add(TinyModels.Node("Add", ["o_mm", "o_B"], ["output"], "o_bias"));
        g.Output.Add(TinyModels.FloatInfo("output", "batch", Tokens, d));
        return TinyModels.BuildModel(g);
    }

    /// <summary>A copy of <paramref name="model"/> with the output-projection rows of <paramref name="head"/> set to zero.</summary>
    public static ModelProto WithoutHead(ModelProto model, int head, int headSize)
    {
        var copy = model.Clone();
        var w = copy.Graph.Initializer.Single(t => t.Name == OutputWeight);
        int columns = (int)w.Dims[1];
        var values = w.FloatData.Count > 0 ? w.FloatData.ToArray() : System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(w.RawData.Span).ToArray();
        Array.Clear(values, head * headSize * columns, headSize * columns);
        copy.Graph.Initializer.Remove(w);
        copy.Graph.Initializer.Add(TinyModels.FloatTensor(OutputWeight, w.Dims.ToArray(), values));
        return copy;
    }

    /// <summary>A random input [batch, T, D].</summary>
    public static Dictionary<string, TensorProto> Input(int d, int batch = 2, int seed = 5) => new()
    {
        ["input"] = TinyModels.FloatTensor("input", [batch, Tokens, d], TinyModels.RandomFloats(batch * Tokens * d, seed)),
    };

    private static NodeProto Transpose(string input, string output, params long[] perm)
    {
        var node = TinyModels.Node("Transpose", [input], [output], output + "_transpose");
        node.Attribute.Add(ChannelFixtures.Ints("perm", perm));
        return node;
    }

    private static string Int64(GraphProto g, string name, long[] values)
    {
        var bytes = new byte[values.Length * sizeof(long)];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        g.Initializer.Add(TinyModels.RawTensor(name, TinyModels.Int64, [values.Length], bytes));
        return name;
    }

    /// <summary>
    /// Concat(Unsqueeze(Gather(Shape(input), 0)), Unsqueeze(Gather(Shape(input), 1)), tail constants…, and with
    /// <paramref name="computeLast"/> Unsqueeze(Gather(Shape(input), 2)) = D): the shape a PyTorch export computes.
    /// </summary>
    private static string ComputedShape(GraphProto g, string name, long[] tail, bool computeLast)
    {
        g.Node.Add(TinyModels.Node("Shape", ["input"], [name + "_shape_of"], name + "_shape"));
        string unsqueezeAxes = Int64(g, name + "_unsqueeze_axes", [0]);
        string Dim(int index)
        {
            var gather = TinyModels.Node("Gather", [name + "_shape_of", ScalarInt64(g, $"{name}_index{index}", index)], [$"{name}_dim{index}"], $"{name}_gather{index}");
            gather.Attribute.Add(ChannelFixtures.Int("axis", 0));
            g.Node.Add(gather);
            g.Node.Add(TinyModels.Node("Unsqueeze", [$"{name}_dim{index}", unsqueezeAxes], [$"{name}_piece{index}"], $"{name}_unsqueeze{index}"));
            return $"{name}_piece{index}";
        }
        var pieces = new List<string> { Dim(0), Dim(1) };
        for (int i = 0; i < tail.Length; i++) pieces.Add(Int64(g, $"{name}_const{i}", [tail[i]]));
        if (computeLast) pieces.Add(Dim(2));
        var concat = TinyModels.Node("Concat", pieces.ToArray(), [name + "_shape_value"], name + "_concat");
        concat.Attribute.Add(ChannelFixtures.Int("axis", 0));
        g.Node.Add(concat);
        return name + "_shape_value";
    }

    /// <summary>Concat(Slice(Shape(<paramref name="source"/>), 0, 2), tail constants): [B, T, tail…].</summary>
    private static string SlicedShape(GraphProto g, string name, string source, long[] tail)
    {
        g.Node.Add(TinyModels.Node("Shape", [source], [name + "_shape_of"], name + "_shape"));
        g.Node.Add(TinyModels.Node("Slice", [name + "_shape_of", Int64(g, name + "_starts", [0]), Int64(g, name + "_ends", [2])], [name + "_bt"], name + "_slice"));
        var concat = TinyModels.Node("Concat", [name + "_bt", Int64(g, name + "_tail", tail)], [name + "_shape_value"], name + "_concat");
        concat.Attribute.Add(ChannelFixtures.Int("axis", 0));
        g.Node.Add(concat);
        return name + "_shape_value";
    }

    private static string ScalarInt64(GraphProto g, string name, long value)
    {
        g.Initializer.Add(TinyModels.RawTensor(name, TinyModels.Int64, [], BitConverter.GetBytes(value)));
        return name;
    }
}
