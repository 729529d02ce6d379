namespace Shrink.Methods.Pruning.LowRank;

/// <summary>Typed options of low-rank factorization. Set exactly one of <see cref="Ratio"/> and <see cref="Energy"/>.</summary>
public sealed record LowRankOptions
{
    /// <summary>
    /// A parameter budget, in (0, 1): keep this fraction of the candidate layers' weight parameters, Σ N·K over the
    /// Gemm, MatMul and 1×1 Conv weights that could be factored (not of the whole model: other layers and biases are
    /// neither counted nor changed). Ranks are split across the layers to minimize the summed fraction of each layer's
    /// Σσ² that truncation discards (its relative output error, when whitening), and a layer stays whole where that is
    /// the better use of its parameters. The reached fraction (at most Ratio) is
    /// <see cref="LowRankResult.CandidateParametersAfter"/> / <see cref="LowRankResult.CandidateParametersBefore"/>.
    /// </summary>
    public double? Ratio { get; init; }

    /// <summary>
    /// Smallest rank keeping this fraction of Σσ², in (0, 1] (of W's singular values, or of W·S's when whitening).
    /// A layer is factored only when its rank r saves parameters: r(N + K) &lt; N·K.
    /// </summary>
    public double? Energy { get; init; }

    /// <summary>
    /// Data-aware: truncate the SVD of W·S, S the Cholesky factor of the layer input's XᵀX (dampened), then undo S, so
    /// the factorization minimizes the output error ‖(W − Ŵ)X‖ rather than the weight error (as SVD-LLM / ASVD).
    /// Needs calibration data; the inputs are those of the unfactored model.
    /// </summary>
    public bool Whiten { get; init; }

    /// <summary>Whitening dampening added to XᵀX, as a fraction of its mean diagonal.</summary>
    public double Damp { get; init; } = 0.01;

    /// <summary>Calibration samples.</summary>
    public long Samples { get; init; } = 512;

    /// <summary>Batch size while calibrating.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Node names (or display names) to leave alone.</summary>
    public IReadOnlySet<string> ExcludeNodes { get; init; } = new HashSet<string>();

    /// <summary>Measure each layer's relative output error on the calibration data when data is given.</summary>
    public bool MeasureLayerErrors { get; init; } = true;

    /// <summary>
    /// Checks the values before any work starts: <see cref="OptionsException"/> for what users set (exactly one of
    /// --ratio and --energy, their ranges), <see cref="ShrinkException"/> for the rest, naming the bad one.
    /// </summary>
    public void Validate()
    {
        if (Ratio is null == Energy is null) throw new OptionsException("give exactly one of --ratio R or --energy E.", ["--ratio", "--energy"]);
        if (Ratio is double r && !(r > 0 && r < 1))
            throw new OptionsException(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"--ratio must be in (0, 1), not {r}."), ["--ratio"]);
        if (Energy is double e && !(e > 0 && e <= 1))
            throw new OptionsException(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"--energy must be in (0, 1], not {e}."), ["--energy"]);
        if (!(Damp > 0) || double.IsInfinity(Damp)) throw new ShrinkException($"The whitening dampening must be positive, not {Damp}.");
        if (Samples <= 0 || BatchSize <= 0) throw new ShrinkException("Calibration samples and batch size must be positive.");
    }
}
