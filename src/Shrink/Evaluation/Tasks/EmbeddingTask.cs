using System.Globalization;
using Shrink.Data;
using Shrink.Registration;
using Shrink.Runtime;

namespace Shrink.Evaluation.Tasks;

/// <summary>
/// Embeddings compared with the reference's: the first output, mean-pooled over the sequence when it is [batch,seq,d]
/// (weighted by attention_mask when the data has one), gives one vector per sample; per sample the cosine between the
/// model's and the reference's vector (mean and minimum), and retrieval agreement: the share of samples whose nearest
/// neighbour by cosine (among the first <see cref="RetrievalSamples"/> samples) is the same under both models.
/// </summary>
[Registered("embedding", "embeddings: per-sample cosine with the reference's (mean, min; [batch,seq,d] mean-pooled with attention_mask) and nearest-neighbour agreement", Order = 2)]
public sealed class EmbeddingTask : EvaluationTask
{
    /// <summary>Samples kept for the nearest-neighbour comparison (the search is quadratic).</summary>
    public const int RetrievalSamples = 2000;

    private readonly List<float[]> _model = [], _reference = [];
    private double _cosineSum, _cosineMin = double.PositiveInfinity;
    private long _count;
    private string? _output;

    /// <inheritdoc />
    public override string Name => "embedding";

    /// <inheritdoc />
    public override void Add(TaskBatch batch)
    {
        if (batch.ReferenceOutputs is not { } reference) return;
        var mask = batch.Data.Inputs.FirstOrDefault(t => t.Name == "attention_mask" && t.Shape.Length == 2);
        var model = Pool(batch.Outputs[0], batch.Data.Count, mask, batch.Model);
        var refs = Pool(reference[0], batch.Data.Count, mask, batch.Reference ?? "the reference");
        _output ??= batch.Outputs[0].Name;
        for (int s = 0; s < model.Length; s++)
        {
            double c = Cosine(model[s], refs[s]);
            _cosineSum += c;
            _cosineMin = Math.Min(_cosineMin, c);
            _count++;
            if (_model.Count < RetrievalSamples)
            {
                _model.Add(model[s]);
                _reference.Add(refs[s]);
            }
        }
    }

    /// <summary>
    /// One vector per sample: rows of a [batch,d] output as they are, a [batch,seq,d] output averaged over seq (over the
    /// positions with a non-zero <paramref name="mask"/> when given), any other shape flattened per sample.
    /// </summary>
    public static float[][] Pool(OutputTensor output, int count, BatchTensor? mask, string model)
    {
        if (count == 0) return [];
        if (output.Shape.Length == 0 || output.Shape[0] != count || output.Data.Length % count != 0)
            throw new ShrinkException($"{model}: output '{output.Name}' [{string.Join(",", output.Shape)}] does not hold one embedding per sample ({count} samples).");
        int per = output.Data.Length / count;
        var result = new float[count][];
        if (output.Shape.Length == 3)
        {
            int seq = (int)output.Shape[1], d = (int)output.Shape[2];
            bool masked = mask is not null && mask.Shape[1] == seq;
            for (int s = 0; s < count; s++)
            {
                var sum = new double[d];
                double weight = 0;
                for (int t = 0; t < seq; t++)
                {
                    if (masked && NextTokenWindows.Token(mask!, s, t) == 0) continue;
                    var row = output.Data.AsSpan((s * seq + t) * d, d);
                    for (int k = 0; k < d; k++) sum[k] += row[k];
                    weight++;
                }
                result[s] = new float[d];
                if (weight > 0) for (int k = 0; k < d; k++) result[s][k] = (float)(sum[k] / weight);
            }
            return result;
        }
        for (int s = 0; s < count; s++) result[s] = output.Data.AsSpan(s * per, per).ToArray();
        return result;
    }

    /// <summary>Cosine similarity in double (1 when both vectors are zero, 0 when one is).</summary>
    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            aa += (double)a[i] * a[i];
            bb += (double)b[i] * b[i];
        }
        return aa == 0 && bb == 0 ? 1 : aa == 0 || bb == 0 ? 0 : dot / Math.Sqrt(aa * bb);
    }

    /// <summary>Share of samples whose nearest other sample by cosine is the same in both sets of vectors (null under 2 samples).</summary>
    public static double? NeighbourAgreement(IReadOnlyList<float[]> model, IReadOnlyList<float[]> reference)
    {
        if (model.Count < 2) return null;
        var a = Nearest(model);
        var b = Nearest(reference);
        int same = 0;
        for (int i = 0; i < a.Length; i++) if (a[i] == b[i]) same++;
        return (double)same / a.Length;
    }

    private static int[] Nearest(IReadOnlyList<float[]> vectors)
    {
        int n = vectors.Count;
        var norms = vectors.Select(v => { double s = 0; foreach (float x in v) s += (double)x * x; return Math.Sqrt(s); }).ToArray();
        var nearest = new int[n];
        for (int i = 0; i < n; i++)
        {
            double best = double.NegativeInfinity;
            for (int j = 0; j < n; j++)
            {
                if (j == i) continue;
                double dot = 0;
                var u = vectors[i];
                var v = vectors[j];
                for (int k = 0; k < u.Length; k++) dot += (double)u[k] * v[k];
                double c = norms[i] * norms[j] == 0 ? 0 : dot / (norms[i] * norms[j]);
                if (c > best) { best = c; nearest[i] = j; }
            }
        }
        return nearest;
    }

    /// <inheritdoc />
    public override IReadOnlyList<TaskMetric> Metrics()
    {
        if (_count == 0) return [];
        var metrics = new List<TaskMetric>
        {
            new("embedding_cosine_mean", _cosineSum / _count, null, LowerIsBetter: false),
            new("embedding_cosine_min", _cosineMin, null, LowerIsBetter: false),
        };
        if (NeighbourAgreement(_model, _reference) is double agreement)
            metrics.Add(new("neighbour_agreement", agreement, null, LowerIsBetter: false, IsFraction: true));
        return metrics;
    }

    /// <inheritdoc />
    public override IReadOnlyList<string> Notes() => _count == 0
        ? ["embedding: the metrics compare the model's embeddings with a reference model's; give --reference."]
        : [string.Create(CultureInfo.InvariantCulture, $"embedding: output '{_output}' per sample (mean-pooled over the sequence when [batch,seq,d]); cosine with the reference's over {_count:N0} samples; nearest-neighbour agreement among the first {Math.Min(_count, RetrievalSamples):N0}.")];
}
