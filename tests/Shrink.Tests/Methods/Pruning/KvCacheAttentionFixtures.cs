using Onnx;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods.Pruning;

/// <summary>
/// A one-block decoder with a KV cache built in code, as tiny_gpt_kv exports it: input_ids [batch, seq] → embedding →
/// fused q,k,v MatMul + bias → Reshape [B, T, 3, H, dh] → Transpose → Split → Squeeze; past_key/past_value
/// [batch, H, past_seq, dh] are Concat'ed with k and v along the sequence into the graph outputs present_key/present_value,
/// which the attention reads; → output projection → head → logits [batch, seq, V]. The past length, read by
/// Shape(past_key)[2], shifts the embeddings (as learned positions start at the past length).
/// </summary>
internal static class KvCacheAttentionFixtures
{
    public const int Vocab = 5;

    /// <summary>The output projection's weight [H·dh, D].</summary>
    public const string OutputWeight = AttentionFixtures.OutputWeight;

    /// <summary>The fused q,k,v projection node.</summary>
    public const string QkvNode = "qkv_matmul";

    /// <summary>
    /// The decoder with <paramref name="heads"/> heads of <paramref name="headSize"/>; the weights of <paramref name="weakHead"/>
    /// are scaled by 0.05 so that a weight norm ranks it last. <paramref name="pastLengthIndex"/> is the dim of past_key's
    /// Shape that shifts the embeddings (2, the past length; 1 would read the head count).
    /// </summary>
    public static ModelProto Decoder(int heads = 2, int headSize = 4, int weakHead = 0, long pastLengthIndex = 2)
    {
        int d = heads * headSize;
        var g = new GraphProto { Name = "kv_decoder" };
        g.Input.Add(TinyModels.TensorInfo("input_ids", TinyModels.Int64, "batch", "seq"));
        g.Input.Add(TinyModels.FloatInfo("past_key", "batch", heads, "past_seq", headSize));
        g.Input.Add(TinyModels.FloatInfo("past_value", "batch", heads, "past_seq", headSize));
        float Scale(int column) => column % d / headSize == weakHead ? 0.05f : 1f;

        g.Initializer.Add(TinyModels.FloatTensor("embed", [Vocab, d], TinyModels.RandomFloats(Vocab * d, 1)));
        g.Node.Add(TinyModels.Node("Gather", ["embed", "input_ids"], ["tokens"], "embed_gather"));
        g.Node.Add(TinyModels.Node("Shape", ["past_key"], ["past_shape"], "past_shape"));
        var pick = TinyModels.Node("Gather", ["past_shape", Int64(g, "past_length_index", [pastLengthIndex], scalar: true)], ["past_length"], "past_length_gather");
        pick.Attribute.Add(ChannelFixtures.Int("axis", 0));
        g.Node.Add(pick);
        var cast = TinyModels.Node("Cast", ["past_length"], ["past_length_f"], "past_length_cast");
        cast.Attribute.Add(ChannelFixtures.Int("to", 1));
        g.Node.Add(cast);
        g.Initializer.Add(TinyModels.FloatTensor("position_step", [], [0.01f]));
        g.Node.Add(TinyModels.Node("Mul", ["past_length_f", "position_step"], ["offset"], "offset_mul"));
        g.Node.Add(TinyModels.Node("Add", ["tokens", "offset"], ["x"], "offset_add"));

        var w = TinyModels.RandomFloats(d * 3 * d, 2);
        var b = TinyModels.RandomFloats(3 * d, 3);
        for (int r = 0; r < d; r++)
            for (int c = 0; c < 3 * d; c++) w[r * 3 * d + c] *= Scale(c);
        for (int c = 0; c < 3 * d; c++) b[c] *= Scale(c);
        g.Initializer.Add(TinyModels.FloatTensor("qkv_W", [d, 3 * d], w));
        g.Initializer.Add(TinyModels.FloatTensor("qkv_B", [3 * d], b));
        g.Node.Add(TinyModels.Node("MatMul", ["x", "qkv_W"], ["qkv_mm"], QkvNode));
        g.Node.Add(TinyModels.Node("Add", ["qkv_B", "qkv_mm"], ["qkv"], "qkv_bias"));
        g.Node.Add(TinyModels.Node("Reshape", ["qkv", Int64(g, "heads_shape", [0, 0, 3, heads, headSize])], ["qkv5"], "heads_reshape"));
        g.Node.Add(Transpose("qkv5", "qkv_t", 2, 0, 3, 1, 4)); // [3, B, H, T, dh]
        var split = TinyModels.Node("Split", ["qkv_t", Int64(g, "split_sizes", [1, 1, 1])], ["q5", "k5", "v5"], "split");
        split.Attribute.Add(ChannelFixtures.Int("axis", 0));
        g.Node.Add(split);
        string axes = Int64(g, "squeeze_axes", [0]);
        foreach (var part in new[] { "q", "k", "v" })
            g.Node.Add(TinyModels.Node("Squeeze", [part + "5", axes], [part], part + "_squeeze"));
        foreach (var (past, part, present) in new[] { ("past_key", "k", "present_key"), ("past_value", "v", "present_value") })
        {
            var concat = TinyModels.Node("Concat", [past, part], [present], present + "_concat");
            concat.Attribute.Add(ChannelFixtures.Int("axis", 2));
            g.Node.Add(concat);
        }
        g.Node.Add(Transpose("present_key", "kt", 0, 1, 3, 2));
        g.Node.Add(TinyModels.Node("MatMul", ["q", "kt"], ["scores"], "qk_matmul"));
        g.Initializer.Add(TinyModels.FloatTensor("scale", [], [1f / MathF.Sqrt(headSize)]));
        g.Node.Add(TinyModels.Node("Mul", ["scores", "scale"], ["scaled"], "scale_mul"));
        var softmax = TinyModels.Node("Softmax", ["scaled"], ["attn"], "softmax");
        softmax.Attribute.Add(ChannelFixtures.Int("axis", -1));
        g.Node.Add(softmax);
        g.Node.Add(TinyModels.Node("MatMul", ["attn", "present_value"], ["context"], "av_matmul"));
        g.Node.Add(Transpose("context", "context_t", 0, 2, 1, 3)); // [B, T, H, dh]
        g.Node.Add(TinyModels.Node("Reshape", ["context_t", Int64(g, "merge_shape", [0, 0, d])], ["merged"], "merge_reshape"));
        var wo = TinyModels.RandomFloats(d * d, 4);
        for (int r = 0; r < d; r++)
            for (int c = 0; c < d; c++) wo[r * d + c] *= Scale(r);
        g.Initializer.Add(TinyModels.FloatTensor(OutputWeight, [d, d], wo));
        g.Initializer.Add(TinyModels.FloatTensor("o_B", [d], TinyModels.RandomFloats(d, 5)));
        g.Node.Add(TinyModels.Node("MatMul", ["merged", OutputWeight], ["o_mm"], "o_matmul"));
        g.Node.Add(TinyModels.Node("Add", ["o_mm", "o_B"], ["hidden"], "o_bias"));
        g.Initializer.Add(TinyModels.FloatTensor("head_W", [d, Vocab], TinyModels.RandomFloats(d * Vocab, 6)));
        g.Node.Add(TinyModels.Node("MatMul", ["hidden", "head_W"], ["logits"], "head_matmul"));

        g.Output.Add(TinyModels.FloatInfo("logits", "batch", "seq", Vocab));
        g.Output.Add(TinyModels.FloatInfo("present_key", "batch", heads, "total_seq", headSize));
        g.Output.Add(TinyModels.FloatInfo("present_value", "batch", heads, "total_seq", headSize));
        return TinyModels.BuildModel(g);
    }

    /// <summary>A copy of <paramref name="model"/> with the output-projection rows of <paramref name="head"/> set to zero: what it computes without that head (the same projection name as <see cref="AttentionFixtures"/>).</summary>
    public static ModelProto WithoutHead(ModelProto model, int head, int headSize) => AttentionFixtures.WithoutHead(model, head, headSize);

    /// <summary>Tokens [batch, seq] and a random cache [batch, heads, past, dh] of each kind.</summary>
    public static Dictionary<string, TensorProto> Inputs(int batch, int seq, int heads, int past, int headSize, int seed = 7)
    {
        var ids = new long[batch * seq];
        for (int k = 0; k < ids.Length; k++) ids[k] = (k * 3 + seed) % Vocab;
        return new Dictionary<string, TensorProto>
        {
            ["input_ids"] = TinyModels.RawTensor("input_ids", TinyModels.Int64, [batch, seq], ids.SelectMany(BitConverter.GetBytes).ToArray()),
            ["past_key"] = TinyModels.FloatTensor("past_key", [batch, heads, past, headSize], TinyModels.RandomFloats(batch * heads * past * headSize, seed + 1)),
            ["past_value"] = TinyModels.FloatTensor("past_value", [batch, heads, past, headSize], TinyModels.RandomFloats(batch * heads * past * headSize, seed + 2)),
        };
    }

    private static NodeProto Transpose(string input, string output, params long[] perm)
    {
        var node = TinyModels.Node("Transpose", [input], [output], output + "_transpose");
        node.Attribute.Add(ChannelFixtures.Ints("perm", perm));
        return node;
    }

    private static string Int64(GraphProto g, string name, long[] values, bool scalar = false)
    {
        var bytes = new byte[values.Length * sizeof(long)];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        g.Initializer.Add(TinyModels.RawTensor(name, TinyModels.Int64, scalar ? [] : [values.Length], bytes));
        return name;
    }
}
