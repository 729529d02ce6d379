namespace Shrink.Methods.Pruning.Sparsity;

/// <summary>Typed options of unstructured and N:M sparsity pruning.</summary>
public sealed record SparsityOptions
{
    /// <summary>
    /// Fraction of the pruned layers' weights set to zero, in [0, 1). Unused for N:M granularity, whose rate is fixed
    /// by the pattern (1 − N/M).
    /// </summary>
    public double Sparsity { get; init; } = 0.5;

    /// <summary>Unstructured (default) or N:M semi-structured.</summary>
    public SparsityGranularity Granularity { get; init; } = SparsityGranularity.Unstructured;

    /// <summary>One magnitude ranking over all layers (default) or the same rate per layer; unstructured only.</summary>
    public SparsityScope Scope { get; init; } = SparsityScope.Global;

    /// <summary>
    /// How the global scope splits its budget between layers (<see cref="SparsityCriteria"/>): one ranking of all
    /// weights by <c>magnitude</c> (|w|, data-free, as PyTorch), by <c>lamp</c> (|w| normalized within its layer, data-free,
    /// scale-free) or by <c>energy</c> (w²·E[x²] as a share of the layer's output energy, needs data; much better once
    /// BatchNormalization is folded into the weights). Null picks <c>energy</c> when calibration data is given and
    /// <see cref="SparsityCriteria.DataFreeDefault"/> otherwise. Inside a layer the weights go by
    /// magnitude, or by the SparseGPT saliency with <see cref="Reconstruct"/>. Unused by the layer scope and N:M.
    /// </summary>
    public string? Criterion { get; init; }

    /// <summary>
    /// Update the kept weights to compensate for the pruned ones (SparseGPT: an OBS update with the layer input's
    /// XᵀX, layers in order, each from the already-pruned model's activations, masks chosen adaptively per block by
    /// w²/[H⁻¹]²_cc). Needs calibration data. Without it, plain magnitude pruning (no data needed).
    /// </summary>
    public bool Reconstruct { get; init; }

    /// <summary>
    /// With <see cref="Reconstruct"/>: prune toward what each float layer computes from the unpruned model's inputs
    /// (W* = W·C·H⁻¹, C the cross moment of unpruned and pruned inputs), so each layer also corrects the error the
    /// layers before it left (as GPTAQ does for quantization); false fits each layer to its own dense output on the
    /// pruned model's inputs (plain SparseGPT).
    /// </summary>
    public bool TargetFloatOutputs { get; init; } = true;

    /// <summary>Reconstruction dampening, as a fraction of the mean Hessian diagonal.</summary>
    public double Damp { get; init; } = 0.01;

    /// <summary>Reconstruction: columns per block (the adaptive mask is chosen per block; rounded to a multiple of M for N:M).</summary>
    public int BlockSize { get; init; } = 128;

    /// <summary>Calibration samples.</summary>
    public long Samples { get; init; } = 512;

    /// <summary>Calibration samples on which the sensitivity schedule measures each layer's loss (the first ones).</summary>
    public long SensitivitySamples { get; init; } = 256;

    /// <summary>Batch size while calibrating.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>
    /// Bytes of layer inputs one calibration batch may expose (see <see cref="Measures.HessianBatchPlan"/>): the batch is
    /// lowered to fit, measured on one sample. Null: <see cref="Calibration.MemoryBudget.DefaultBytes"/> (half the
    /// available memory, at most 1 GiB).
    /// </summary>
    public long? MemoryLimitBytes { get; init; }

    /// <summary>Node names (or display names) to leave dense.</summary>
    public IReadOnlySet<string> ExcludeNodes { get; init; } = new HashSet<string>();

    /// <summary>Measure each layer's relative output error on the calibration data when data is given.</summary>
    public bool MeasureLayerErrors { get; init; } = true;

    /// <summary>
    /// Checks the values before any work starts: <see cref="OptionsException"/> for what users set (--sparsity, --damp,
    /// --criterion), <see cref="ShrinkException"/> for the rest, naming the bad one.
    /// </summary>
    public void Validate()
    {
        if (!(Sparsity >= 0 && Sparsity < 1))
            throw new OptionsException(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"--sparsity must be in [0, 1), not {Sparsity}."), ["--sparsity"]);
        ArgumentNullException.ThrowIfNull(Granularity);
        if (Criterion is not null) SparsityCriteria.Create(Criterion);
        if (!Enum.IsDefined(Scope)) throw new ShrinkException($"Unknown sparsity scope {Scope}.");
        if (Scope is SparsityScope.Pqi or SparsityScope.Sensitivity && !Granularity.IsUnstructured)
            throw new OptionsException($"--schedule {Scope.ToString().ToLowerInvariant()} sets per-layer rates of unstructured pruning (--granularity unstructured); {Granularity} fixes its own rate.", ["--schedule", "--granularity"]);
        if (!(Damp > 0)) throw new OptionsException("--damp must be positive.", ["--damp"]);
        if (double.IsInfinity(Damp)) throw new ShrinkException($"The reconstruction dampening must be positive, not {Damp}.");
        if (BlockSize <= 0) throw new ShrinkException($"The reconstruction block size must be positive, not {BlockSize}.");
        if (Samples <= 0 || BatchSize <= 0 || SensitivitySamples <= 0) throw new ShrinkException("Calibration samples and batch size must be positive.");
        if (MemoryLimitBytes is long m && m < Calibration.MemoryBudget.MinimumBytes)
            throw new OptionsException($"--memory-limit must be at least {Calibration.MemoryBudget.Format(Calibration.MemoryBudget.MinimumBytes)}.", ["--memory-limit"]);
    }
}
