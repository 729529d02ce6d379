namespace Shrink.Methods.Pruning.LowRank;

/// <summary>
/// A candidate layer as rank decisions see it: its weight's shape [N × K] and the singular values truncation discards
/// from (of W, or of W·S when whitening, so that Σσ² = ‖W·S‖² is the layer's output energy on the calibration inputs).
/// </summary>
internal sealed class LayerSpectrum
{
    private readonly double[] _tails; // _tails[r] = Σ_{j ≥ r} σⱼ² / Σ σⱼ²

    /// <summary>A layer with weight [<paramref name="rows"/> × <paramref name="cols"/>] and singular values σ, descending.</summary>
    public LayerSpectrum(string name, int rows, int cols, IReadOnlyList<double> singularValues)
    {
        Name = name;
        Rows = rows;
        Cols = cols;
        Rank = singularValues.Count;
        // Summed from the smallest σ up, so that small tails keep their precision.
        _tails = new double[Rank + 1];
        for (int j = Rank - 1; j >= 0; j--) _tails[j] = _tails[j + 1] + singularValues[j] * singularValues[j];
        double total = _tails[0];
        if (total > 0)
            for (int j = 0; j < _tails.Length; j++) _tails[j] = _tails[j] / total < Negligible ? 0 : _tails[j] / total;
    }

    /// <summary>
    /// Discarded fractions below this count as 0: σ below ~1e-6 of the largest is float round-off of the weight (and
    /// loses its precision in the Gram-matrix SVD), so ranks past it would buy nothing.
    /// </summary>
    public const double Negligible = 1e-12;

    /// <summary>The node's display name.</summary>
    public string Name { get; }

    /// <summary>Output channels (N).</summary>
    public int Rows { get; }

    /// <summary>Reduction length (K).</summary>
    public int Cols { get; }

    /// <summary>How many singular values there are: min(N, K).</summary>
    public int Rank { get; }

    /// <summary>Parameters of the unfactored weight: N·K.</summary>
    public long FullParameters => (long)Rows * Cols;

    /// <summary>Parameters of the two factors at <paramref name="rank"/>: r·(N + K).</summary>
    public long ParametersAt(int rank) => (long)rank * (Rows + Cols);

    /// <summary>The largest rank that saves parameters, r·(N + K) &lt; N·K (0 when none does, e.g. N = 1).</summary>
    public int MaxSavingRank => (int)Math.Min(Rank, (FullParameters - 1) / (Rows + Cols));

    /// <summary>
    /// Fraction of Σσ² that truncating to <paramref name="rank"/> discards, Σ_{j ≥ rank} σⱼ² / Σ σⱼ² (0 for a zero
    /// weight, and below <see cref="Negligible"/>). With whitening this is the layer's relative output error ‖(W − Ŵ)X‖²/‖WX‖² (up to the dampening).
    /// </summary>
    public double DiscardedAt(int rank) => _tails[Math.Clamp(rank, 0, Rank)];
}
