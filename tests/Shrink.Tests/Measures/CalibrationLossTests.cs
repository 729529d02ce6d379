using Shrink.Data;
using Shrink.Measures;
using Shrink.Model;

namespace Shrink.Tests.Measures;

/// <summary>The calibration loss of a language model: KL per position over the vocabulary, not over the whole sequence.</summary>
public sealed class CalibrationLossTests
{
    private static DataBatch Tokens(int samples, int seq) =>
        new([new BatchTensor("input_ids", ElementType.Int64, [samples, seq], new long[samples * seq])], samples, null);

    [Fact]
    public void Token_loss_is_unchanged_by_a_constant_added_to_one_position_logits()
    {
        // [1 sample, 2 positions, 3 tokens]: the model's second position is the float one plus 5 everywhere. A softmax
        // per position is the same distribution (KL 0); a softmax over all 6 values would move mass to position 2.
        float[] reference = [1f, 0f, -1f, 0.5f, 2f, 0f];
        float[] shifted = [1f, 0f, -1f, 5.5f, 7f, 5f];
        var batches = new[] { Tokens(1, 2) };

        var token = CalibrationLoss.ForTokens(batches, [reference], vocabulary: 3);
        var whole = CalibrationLoss.Create(batches, [reference], useLabels: false);

        Assert.Equal("kl-token", token.Name);
        Assert.Equal(0, token.BatchSum(0, shifted), 12);
        Assert.True(whole.BatchSum(0, shifted) > 0.1, "the sequence-wide softmax sees the shift");
    }

    [Fact]
    public void Token_loss_is_the_mean_over_positions_of_the_next_token_KL()
    {
        float[] reference = [1f, 0f, -1f, 0.5f, 2f, 0f, 0f, 0f, 0f, 3f, -2f, 1f];   // 2 samples × 2 positions × 3 tokens
        float[] model = [0f, 1f, -1f, 0.5f, 2f, 0f, 1f, 0f, 0f, 3f, -1f, 1f];
        var loss = CalibrationLoss.ForTokens([Tokens(2, 2)], [reference], vocabulary: 3);

        double expected = 0;
        for (int row = 0; row < 4; row++) expected += Kl(reference.AsSpan(row * 3, 3), model.AsSpan(row * 3, 3));
        Assert.Equal(expected / 2, loss.BatchSum(0, model), 10);   // per sample: the mean of its 2 positions; summed over 2 samples
    }

    [Fact]
    public void Token_loss_refuses_logits_that_are_not_rows_of_the_vocabulary()
    {
        var e = Assert.Throws<ShrinkException>(() => CalibrationLoss.ForTokens([Tokens(2, 2)], [new float[10]], vocabulary: 3));
        Assert.Contains("rows of 3", e.Message);
    }

    private static double Kl(ReadOnlySpan<float> p, ReadOnlySpan<float> q)
    {
        double Lse(ReadOnlySpan<float> x)
        {
            double m = double.NegativeInfinity, z = 0;
            foreach (float v in x) m = Math.Max(m, v);
            foreach (float v in x) z += Math.Exp(v - m);
            return m + Math.Log(z);
        }
        double lp = Lse(p), lq = Lse(q), sum = 0;
        for (int i = 0; i < p.Length; i++) sum += Math.Exp(p[i] - lp) * ((p[i] - lp) - (q[i] - lq));
        return sum;
    }
}
