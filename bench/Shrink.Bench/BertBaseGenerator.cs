using Shrink.Model;
using static Shrink.Bench.GraphBuilder;

namespace Shrink.Bench;

/// <summary>
/// A BERT-base-shaped encoder (post-LayerNorm, as in the original BERT): 30522x768 word, 512x768 position and
/// 2x768 token-type embeddings, 12 layers of 12-head self-attention and a GELU (Erf) FFN of 3072, and the tanh
/// pooler; about 109.5M random float parameters, opset 17, input <c>input_ids</c> int64 [batch,seq] (seq ≤ 512),
/// outputs <c>last_hidden_state</c> [batch,seq,768] and <c>pooler_output</c> [batch,768].
/// </summary>
internal static class BertBaseGenerator
{
    public const string InputName = "input_ids";
    public const long VocabSize = 30522;
    private const long Hidden = 768, Heads = 12, HeadSize = 64, Intermediate = 3072, Layers = 12, MaxPositions = 512;
    private const float InitStd = 0.02f;

    public static OnnxModel Build(ulong seed = 110)
    {
        var b = new GraphBuilder("bert_base", opset: 17, seed);
        b.Input(InputName, ElementType.Int64, Symbol("batch"), Symbol("seq"));
        // Uniform in [-a, a) has std a/sqrt(3): match BERT's 0.02 initializer.
        float scale = InitStd * MathF.Sqrt(3f);

        // Embeddings: word (Gather) + position (first `seq` rows, by Slice) + token type 0, then LayerNorm.
        string word = b.Op("Gather", "word_emb", [b.RandomWeight("word_embeddings", [VocabSize, Hidden], scale), InputName]);
        string seqLen = b.Op("Shape", "seq_len", [InputName], [Int("start", 1), Int("end", 2)]);
        string zero1d = b.Int64s("zero", [1], [0]);
        string positions = b.Op("Slice", "pos_emb", [b.RandomWeight("position_embeddings", [MaxPositions, Hidden], scale), zero1d, seqLen, zero1d]);
        string tokenType = b.Op("Gather", "type_emb", [b.RandomWeight("token_type_embeddings", [2, Hidden], scale), b.Int64s("type0", [], [0])], [Int("axis", 0)]);
        string h = b.Op("Add", "emb", [b.Op("Add", "emb", [word, positions]), tokenType]);
        h = LayerNorm(b, h);

        var shapes = new Shapes(
            ToHeads: b.Int64s("shape_heads", [4], [0, 0, Heads, HeadSize]),
            FromHeads: b.Int64s("shape_hidden", [3], [0, 0, Hidden]),
            ScoreScale: b.FloatScalar("sqrt_head", MathF.Sqrt(HeadSize)),
            Sqrt2: b.FloatScalar("sqrt2", MathF.Sqrt(2f)),
            One: b.FloatScalar("one", 1f),
            Half: b.FloatScalar("half", 0.5f));

        for (int layer = 0; layer < Layers; layer++)
            h = EncoderLayer(b, h, shapes, scale, layer == Layers - 1 ? "last_hidden_state" : null);
        b.Output("last_hidden_state", ElementType.Float, Symbol("batch"), Symbol("seq"), Fixed(Hidden));

        string first = b.Op("Gather", "cls", [h, b.Int64s("token0", [], [0])], [Int("axis", 1)]);
        string pooled = b.Op("Gemm", "pooler", [first, b.RandomWeight("pooler_w", [Hidden, Hidden], scale), b.FilledWeight("pooler_b", [Hidden], 0f)]);
        b.Op("Tanh", "pooler_tanh", [pooled], output: "pooler_output");
        b.Output("pooler_output", ElementType.Float, Symbol("batch"), Fixed(Hidden));
        return b.Finish();
    }

    private sealed record Shapes(string ToHeads, string FromHeads, string ScoreScale, string Sqrt2, string One, string Half);

    private static string EncoderLayer(GraphBuilder b, string h, Shapes s, float scale, string? output)
    {
        string q = b.Op("Transpose", "q_t", [b.Op("Reshape", "q_r", [Linear(b, h, Hidden, Hidden, scale), s.ToHeads])], [Ints("perm", 0, 2, 1, 3)]);
        string k = b.Op("Transpose", "k_t", [b.Op("Reshape", "k_r", [Linear(b, h, Hidden, Hidden, scale), s.ToHeads])], [Ints("perm", 0, 2, 3, 1)]);
        string v = b.Op("Transpose", "v_t", [b.Op("Reshape", "v_r", [Linear(b, h, Hidden, Hidden, scale), s.ToHeads])], [Ints("perm", 0, 2, 1, 3)]);
        string scores = b.Op("Div", "scores", [b.Op("MatMul", "qk", [q, k]), s.ScoreScale]);
        string probs = b.Op("Softmax", "probs", [scores], [Int("axis", -1)]);
        string context = b.Op("Transpose", "ctx_t", [b.Op("MatMul", "ctx", [probs, v])], [Ints("perm", 0, 2, 1, 3)]);
        context = b.Op("Reshape", "ctx_r", [context, s.FromHeads]);
        string attention = Linear(b, context, Hidden, Hidden, scale);
        string h1 = LayerNorm(b, b.Op("Add", "attn_res", [attention, h]));

        string inner = Linear(b, h1, Hidden, Intermediate, scale);
        // GELU(x) = x * 0.5 * (1 + erf(x / sqrt(2))), in plain ONNX ops.
        string erf = b.Op("Erf", "erf", [b.Op("Div", "gelu_div", [inner, s.Sqrt2])]);
        string gelu = b.Op("Mul", "gelu", [b.Op("Mul", "gelu_x", [inner, b.Op("Add", "gelu_1p", [erf, s.One])]), s.Half]);
        string ffn = Linear(b, gelu, Intermediate, Hidden, scale);
        return LayerNorm(b, b.Op("Add", "ffn_res", [ffn, h1]), output);
    }

    private static string Linear(GraphBuilder b, string x, long inFeatures, long outFeatures, float scale)
    {
        string w = b.RandomWeight("w", [inFeatures, outFeatures], scale);
        string bias = b.FilledWeight("b", [outFeatures], 0f);
        return b.Op("Add", "linear", [b.Op("MatMul", "matmul", [x, w]), bias]);
    }

    private static string LayerNorm(GraphBuilder b, string x, string? output = null)
    {
        string gamma = b.FilledWeight("ln_gamma", [Hidden], 1f);
        string beta = b.FilledWeight("ln_beta", [Hidden], 0f);
        return b.Op("LayerNormalization", "ln", [x, gamma, beta], [Int("axis", -1), Float("epsilon", 1e-12f)], output);
    }
}
