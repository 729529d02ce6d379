namespace Shrink.Evaluation;

/// <summary>
/// Fidelity of one output to the reference model's: cosine similarity, SQNR in dB (signal = reference,
/// noise = difference), and arg-max agreement over the last axis. Sums are kept in double, batch by batch.
/// </summary>
public sealed class FidelityAccumulator
{
    private double _refSq, _diffSq, _dot, _outSq;
    private long _rows, _agree;

    /// <summary>Adds a batch of the same output from both models, laid out as rows of <paramref name="lastAxis"/> values.</summary>
    public void Add(ReadOnlySpan<float> output, ReadOnlySpan<float> reference, int lastAxis)
    {
        if (output.Length != reference.Length)
            throw new ShrinkException($"Output sizes differ from the reference ({output.Length} vs {reference.Length} values).");
        for (int i = 0; i < output.Length; i++)
        {
            double r = reference[i], o = output[i], d = r - o;
            _refSq += r * r;
            _outSq += o * o;
            _dot += r * o;
            _diffSq += d * d;
        }
        if (lastAxis <= 0) return;
        for (int start = 0; start + lastAxis <= output.Length; start += lastAxis)
        {
            if (ArgMax(output.Slice(start, lastAxis)) == ArgMax(reference.Slice(start, lastAxis))) _agree++;
            _rows++;
        }
    }

    private static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++) if (row[i] > row[best]) best = i;
        return best;
    }

    /// <summary>Cosine similarity of the flattened outputs (1 when both are all zero).</summary>
    public double Cosine => _refSq == 0 && _outSq == 0 ? 1 : _dot / Math.Sqrt(_refSq * _outSq);

    /// <summary>Signal-to-quantization-noise ratio in dB; +∞ when the outputs are identical.</summary>
    public double SqnrDb => _diffSq == 0 ? double.PositiveInfinity : 10 * Math.Log10(_refSq / _diffSq);

    /// <summary>Share of rows whose arg-max over the last axis matches the reference's.</summary>
    public double ArgMaxAgreement => _rows == 0 ? 0 : (double)_agree / _rows;
}
