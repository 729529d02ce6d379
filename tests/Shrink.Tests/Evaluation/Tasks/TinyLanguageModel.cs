using Onnx;
using static Shrink.Tests.TestSupport.TinyModels;

namespace Shrink.Tests.Evaluation.Tasks;

/// <summary>
/// A language model made in code: input_ids int64 [batch,seq] → Gather(embedding [vocab,dim]) → MatMul(head [dim,vocab])
/// → logits [batch,seq,vocab], and the same arithmetic in double for expected perplexities.
/// </summary>
internal static class TinyLanguageModel
{
    public const int Vocab = 5, Dim = 16;

    public static float[] Embedding => RandomFloats(Vocab * Dim, 11).Select(v => 0.7f * v).ToArray();

    public static float[] Head => RandomFloats(Dim * Vocab, 12).Select(v => 0.7f * v).ToArray();

    /// <summary>The model; <paramref name="seq"/> fixes the sequence length (null: symbolic).</summary>
    public static ModelProto Build(int? seq = null)
    {
        var graph = new GraphProto { Name = "tiny_lm" };
        object length = seq is int s ? s : "seq";
        graph.Input.Add(TensorInfo("input_ids", TestSupport.TinyModels.Int64, "batch", length));
        graph.Output.Add(FloatInfo("logits", "batch", length, Vocab));
        graph.Initializer.Add(FloatTensor("embedding", [Vocab, Dim], Embedding));
        graph.Initializer.Add(FloatTensor("head", [Dim, Vocab], Head));
        graph.Node.Add(Node("Gather", ["embedding", "input_ids"], ["hidden"], "embed"));
        graph.Node.Add(Node("MatMul", ["hidden", "head"], ["logits"], "lm_head"));
        return BuildModel(graph);
    }

    /// <summary>Perplexity of windows (rows of <paramref name="length"/> ids) by teacher forcing, in double.</summary>
    public static double Perplexity(long[] windows, int length)
    {
        var e = Embedding;
        var h = Head;
        double nll = 0;
        int count = 0;
        for (int w = 0; w < windows.Length / length; w++)
        {
            for (int p = 0; p + 1 < length; p++)
            {
                long id = windows[w * length + p];
                var logits = new double[Vocab];
                for (int v = 0; v < Vocab; v++)
                    for (int k = 0; k < Dim; k++) logits[v] += (double)e[id * Dim + k] * h[k * Vocab + v];
                double lse = Math.Log(logits.Sum(Math.Exp));
                nll += lse - logits[windows[w * length + p + 1]];
                count++;
            }
        }
        return Math.Exp(nll / count);
    }

    /// <summary>Deterministic token windows.</summary>
    public static long[] Windows(int count, int length, int seed = 3)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count * length).Select(_ => (long)random.Next(Vocab))];
    }
}
