using Onnx;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Training;

/// <summary>
/// A BERT-style encoder built in code, as Hugging Face exports one: int64 <c>input_ids</c>, <c>attention_mask</c> and
/// <c>token_type_ids</c> [batch, 8]; word, position and token-type embeddings (Gather) summed and layer-normalized; one
/// post-LayerNorm layer of 2-head self-attention whose scores get the additive mask (1 − mask)·−10000 (Unsqueeze, Cast,
/// Sub, Mul), Softmax, and an Erf-GELU feed-forward; output <c>last_hidden_state</c> [batch, 8, 16]. Opset 17.
/// </summary>
internal static class TinyBertEncoder
{
    public const int Sequence = 8, Vocabulary = 32, Hidden = 16, Heads = 2, HeadSize = Hidden / Heads, Intermediate = 32;

    /// <summary>The encoder with weights drawn from <paramref name="seed"/>, plus <paramref name="noise"/> × other random values when given.</summary>
    public static ModelProto Build(int seed = 1, float noise = 0)
    {
        var g = new GraphProto { Name = "tiny_bert" };
        g.Input.Add(TinyModels.TensorInfo("input_ids", TinyModels.Int64, "batch", Sequence));
        g.Input.Add(TinyModels.TensorInfo("attention_mask", TinyModels.Int64, "batch", Sequence));
        g.Input.Add(TinyModels.TensorInfo("token_type_ids", TinyModels.Int64, "batch", Sequence));
        g.Output.Add(TinyModels.FloatInfo("last_hidden_state", "batch", Sequence, Hidden));
        int next = seed * 100;
        string Weight(string name, long[] dims, float scale = 0.3f, float offset = 0)
        {
            int count = (int)dims.Aggregate(1L, (a, b) => a * b);
            var values = TinyModels.RandomFloats(count, next++).Select(v => offset + scale * v).ToArray();
            if (noise > 0)
            {
                var extra = TinyModels.RandomFloats(count, 7919 + next);
                for (int i = 0; i < count; i++) values[i] += noise * scale * extra[i];
            }
            g.Initializer.Add(TinyModels.FloatTensor(name, dims, values));
            return name;
        }
        string Node(string op, string[] inputs, string output, params AttributeProto[] attributes)
        {
            var node = TinyModels.Node(op, inputs, [output], output);
            node.Attribute.AddRange(attributes);
            g.Node.Add(node);
            return output;
        }
        string Ints(string name, params long[] values)
        {
            var bytes = new byte[values.Length * sizeof(long)];
            Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
            g.Initializer.Add(TinyModels.RawTensor(name, TinyModels.Int64, [values.Length], bytes));
            return name;
        }
        string Scalar(string name, float value)
        {
            g.Initializer.Add(TinyModels.FloatTensor(name, [], [value]));
            return name;
        }
        static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };
        static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };
        static AttributeProto Perm(params long[] perm)
        {
            var a = new AttributeProto { Name = "perm", Type = AttributeProto.Types.AttributeType.Ints };
            a.Ints.AddRange(perm);
            return a;
        }
        string LayerNorm(string x, string name) =>
            Node("LayerNormalization", [x, Weight(name + ".gamma", [Hidden], 0.1f, 1), Weight(name + ".beta", [Hidden], 0.1f)], name, Int("axis", -1), Float("epsilon", 1e-12f));
        string Linear(string x, string name, int inFeatures, int outFeatures) =>
            Node("Add", [Node("MatMul", [x, Weight(name + ".weight", [inFeatures, outFeatures])], name + ".matmul"), Weight(name + ".bias", [outFeatures], 0.1f)], name);

        // Embeddings: positions 0..7 as a constant index row, as exporters fold position_ids.
        string word = Node("Gather", [Weight("word_embeddings", [Vocabulary, Hidden]), "input_ids"], "word");
        string position = Node("Gather", [Weight("position_embeddings", [Sequence, Hidden]), Ints("position_ids", [.. Enumerable.Range(0, Sequence).Select(i => (long)i)])], "position");
        string type = Node("Gather", [Weight("token_type_embeddings", [2, Hidden]), "token_type_ids"], "type");
        string h = LayerNorm(Node("Add", [Node("Add", [word, position], "word_position"), type], "embeddings"), "embeddings.ln");

        // The additive mask [batch, 1, 1, 8]: (1 − float(mask)) · −10000.
        string mask = Node("Cast", [Node("Unsqueeze", ["attention_mask", Ints("mask_axes", 1, 2)], "mask_4d")], "mask_float", Int("to", TinyModels.Float));
        string additive = Node("Mul", [Node("Sub", [Scalar("one", 1), mask], "mask_inverted"), Scalar("mask_min", -10000)], "mask_additive");

        string toHeads = Ints("to_heads", 0, 0, Heads, HeadSize);
        string q = Node("Transpose", [Node("Reshape", [Linear(h, "query", Hidden, Hidden), toHeads], "q_heads")], "q", Perm(0, 2, 1, 3));
        string k = Node("Transpose", [Node("Reshape", [Linear(h, "key", Hidden, Hidden), toHeads], "k_heads")], "k", Perm(0, 2, 3, 1));
        string v = Node("Transpose", [Node("Reshape", [Linear(h, "value", Hidden, Hidden), toHeads], "v_heads")], "v", Perm(0, 2, 1, 3));
        string scores = Node("Add", [Node("Div", [Node("MatMul", [q, k], "qk"), Scalar("sqrt_head", MathF.Sqrt(HeadSize))], "scores_scaled"), additive], "scores");
        string probs = Node("Softmax", [scores], "probs", Int("axis", -1));
        string context = Node("Reshape", [Node("Transpose", [Node("MatMul", [probs, v], "context_heads")], "context_t", Perm(0, 2, 1, 3)), Ints("to_hidden", 0, 0, Hidden)], "context");
        string h1 = LayerNorm(Node("Add", [Linear(context, "attention.output", Hidden, Hidden), h], "attention_residual"), "attention.ln");

        string inner = Linear(h1, "intermediate", Hidden, Intermediate);
        string erf = Node("Erf", [Node("Div", [inner, Scalar("sqrt2", MathF.Sqrt(2))], "gelu_div")], "gelu_erf");
        string gelu = Node("Mul", [Node("Mul", [inner, Node("Add", [erf, Scalar("gelu_one", 1)], "gelu_1p")], "gelu_x"), Scalar("half", 0.5f)], "gelu");
        string ffn = Linear(gelu, "output", Intermediate, Hidden);
        var last = TinyModels.Node("LayerNormalization", [Node("Add", [ffn, h1], "ffn_residual"), Weight("output.ln.gamma", [Hidden], 0.1f, 1), Weight("output.ln.beta", [Hidden], 0.1f)],
            ["last_hidden_state"], "output.ln");
        last.Attribute.Add(Int("axis", -1));
        last.Attribute.Add(Float("epsilon", 1e-12f));
        g.Node.Add(last);
        return TinyModels.BuildModel(g, opset: 17, irVersion: 8);
    }

    /// <summary>
    /// <paramref name="count"/> samples as JSON Lines: random token ids, token types 0 then 1 from a random split, and the
    /// last 0–3 positions padded (attention_mask 0).
    /// </summary>
    public static string[] Samples(int count, int seed = 3)
    {
        var random = new Random(seed);
        var lines = new string[count];
        for (int s = 0; s < count; s++)
        {
            int padded = random.Next(4), split = 1 + random.Next(Sequence - 2);
            var ids = Enumerable.Range(0, Sequence).Select(i => i < Sequence - padded ? random.Next(1, Vocabulary) : 0);
            var mask = Enumerable.Range(0, Sequence).Select(i => i < Sequence - padded ? 1 : 0);
            var types = Enumerable.Range(0, Sequence).Select(i => i < split ? 0 : 1);
            lines[s] = $$"""{"input_ids": [{{string.Join(", ", ids)}}], "attention_mask": [{{string.Join(", ", mask)}}], "token_type_ids": [{{string.Join(", ", types)}}]}""";
        }
        return lines;
    }
}
