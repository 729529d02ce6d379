namespace Shrink.Evaluation;

/// <summary>
/// Fidelity of one output to the reference model's: cosine similarity, SQNR in dB (signal = reference,
/// noise = difference), and arg-max agreement over the last axis. Sums are kept in double, batch by batch.
/// </summary>
public sealed class FidelityAccumulator
{
    private double _refSq, _diffSq, _dot, _outSq, _refSum;
    private long _rows, _agree, _values;

    /// <summary>Adds a batch of the same output from both models, laid out as rows of <paramref name="lastAxis"/> values.</summary>
    public void Add(ReadOnlySpan<float> output, ReadOnlySpan<float> reference, int lastAxis)
    {
        if (output.Length != reference.Length)
            throw new ShrinkException($"Output sizes differ from the reference ({output.Length} vs {reference.Length} values).");
        for (int i = 0; i < output.Length; i++)
        {
            double r = reference[i], o = output[i], d = r - o;
            _refSq += r * r;
            _refSum += r;
            _outSq += o * o;
            _dot += r * o;
            _diffSq += d * d;
        }
        _values += output.Length;
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

    /// <summary>Mean of the reference's values.</summary>
    public double ReferenceMean => _values == 0 ? 0 : _refSum / _values;

    /// <summary>Standard deviation of the reference's values (over every value of every sample).</summary>
    public double ReferenceStd => _values == 0 ? 0 : Math.Sqrt(Math.Max(0, _refSq / _values - ReferenceMean * ReferenceMean));

    /// <summary>
    /// True when the reference's values are (nearly) constant on the data: std below 1e-6 · max(1, |mean|), all zeros
    /// included. Cosine and SQNR against a constant say nothing about fidelity (an output that ignores the data, or data
    /// that never exercises it).
    /// </summary>
    public bool ReferenceIsConstant => _values > 0 && ReferenceStd < 1e-6 * Math.Max(1, Math.Abs(ReferenceMean));

    /// <summary>
    /// The fidelity of output <paramref name="output"/>: null cosine and SQNR with a note when the reference is
    /// constant (<see cref="ReferenceIsConstant"/>), a null SQNR when the outputs are identical.
    /// </summary>
    public OutputFidelity Result(string output) => ReferenceIsConstant
        ? new OutputFidelity(output, null, null, ArgMaxAgreement,
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"fidelity of output '{output}' is not meaningful: the reference's values are constant on this data (mean {ReferenceMean:G4}, std {ReferenceStd:G3})"))
        : new OutputFidelity(output, Cosine, double.IsFinite(SqnrDb) ? SqnrDb : null, ArgMaxAgreement);
}
