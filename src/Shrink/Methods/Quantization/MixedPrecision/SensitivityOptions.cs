namespace Shrink.Methods.Quantization.MixedPrecision;

/// <summary>Typed options of per-layer quantization sensitivity analysis.</summary>
public sealed record SensitivityOptions
{
    /// <summary>The bit widths to score each layer at (each 2, 3, 4 or 8).</summary>
    public IReadOnlyList<int> Bits { get; init; } = [2, 3, 4, 8];

    /// <summary>The metric: <c>hutchinson</c> (Hessian trace × quantization error, HAWQ-V2/V3) or <c>perturbation</c> (measured loss change).</summary>
    public string Method { get; init; } = "hutchinson";

    /// <summary>Calibration samples.</summary>
    public long Samples { get; init; } = 256;

    /// <summary>Batch size of the calibration passes.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Columns per scale group of the round-to-nearest reference quantizer (0: one group per output channel).</summary>
    public int GroupSize { get; init; } = 32;

    /// <summary>Symmetric grid for the round-to-nearest reference quantizer.</summary>
    public bool Symmetric { get; init; } = true;

    /// <summary>
    /// The loss: null picks cross-entropy when the data has labels and KL divergence from the float model's outputs
    /// otherwise; <c>kl</c> forces the label-free loss.
    /// </summary>
    public string? Loss { get; init; }

    /// <summary>
    /// The task of the model: <c>lm</c> scores the logits [batch, seq, vocab] by the KL divergence from the float model's
    /// next-token distribution at every position (<c>kl-token</c>); null: <c>lm</c> when the model looks like a language
    /// model (<see cref="Evaluation.Tasks.EvaluationTasks.Detect"/>), else the classifier loss.
    /// </summary>
    public string? Task { get; init; }

    /// <summary>Hutchinson: stop probing a layer once the standard error of its trace estimate falls below this fraction of the estimate.</summary>
    public double Tolerance { get; init; } = 0.05;

    /// <summary>Hutchinson: probes per layer before the tolerance is checked.</summary>
    public int MinProbes { get; init; } = 8;

    /// <summary>Hutchinson: the most probes per layer.</summary>
    public int MaxProbes { get; init; } = 64;

    /// <summary>
    /// Hutchinson: the time the whole analysis may take, in seconds, split evenly over the layers still to probe (time a
    /// layer leaves unused goes to the next ones). A layer stops probing when its share is spent (after at least two
    /// probes), and reports the relative standard error it reached. Infinity: no limit.
    /// </summary>
    public double TimeBudgetSeconds { get; init; } = 120;

    /// <summary>
    /// Hutchinson: the finite-difference step, as a fraction of the layer weights' root mean square (‖w‖/√n). The
    /// second difference (L(w+εv) − 2L(w) + L(w−εv))/ε² has truncation error O(ε²) and float32 rounding error O(1/ε²).
    /// </summary>
    public double RelativeStep { get; init; } = 3e-3;

    /// <summary>Seed of the Rademacher probes.</summary>
    public int Seed { get; init; }

    /// <summary>Node names (or display names) to leave out (they keep their precision).</summary>
    public IReadOnlySet<string> ExcludeNodes { get; init; } = new HashSet<string>();

    /// <summary>Op types to leave out.</summary>
    public IReadOnlySet<string> ExcludeOps { get; init; } = new HashSet<string>();

    /// <summary>Checks the values; throws <see cref="ShrinkException"/> naming the bad one.</summary>
    public void Validate()
    {
        if (Bits.Count == 0) throw new ShrinkException("Give at least one bit width.");
        foreach (int b in Bits)
            if (b is not (2 or 3 or 4 or 8)) throw new ShrinkException($"Bit widths must be 2, 3, 4 or 8, not {b}.");
        if (Method is not ("hutchinson" or "perturbation")) throw new ShrinkException($"Sensitivity method must be hutchinson or perturbation, not '{Method}'.");
        if (Loss is not (null or "kl" or "ce")) throw new ShrinkException($"Loss must be kl or ce, not '{Loss}'.");
        if (Samples <= 0 || BatchSize <= 0) throw new ShrinkException("Calibration samples and batch size must be positive.");
        if (GroupSize < 0) throw new ShrinkException($"The group size must be 0 or positive, not {GroupSize}.");
        if (!(Tolerance > 0)) throw new ShrinkException($"The tolerance must be positive, not {Tolerance}.");
        if (MinProbes < 2 || MaxProbes < MinProbes) throw new ShrinkException($"Probes: need 2 ≤ min ({MinProbes}) ≤ max ({MaxProbes}).");
        if (!(TimeBudgetSeconds > 0)) throw new ShrinkException($"The time budget must be positive, not {TimeBudgetSeconds} s.");
        if (!(RelativeStep > 0 && RelativeStep < 1)) throw new ShrinkException($"The relative step must be in (0, 1), not {RelativeStep}.");
    }

    /// <summary>A text that identifies every setting that changes the result (for the cache key).</summary>
    public string Fingerprint() =>
        FormattableString.Invariant($"method={Method};bits={string.Join(",", Bits)};samples={Samples};group={GroupSize};sym={Symmetric};loss={Loss};tol={Tolerance};probes={MinProbes}-{MaxProbes};time={TimeBudgetSeconds};step={RelativeStep};seed={Seed};exclude={string.Join(",", ExcludeNodes.Order())};ops={string.Join(",", ExcludeOps.Order())}{(Task is null ? "" : ";task=" + Task)}");
}
