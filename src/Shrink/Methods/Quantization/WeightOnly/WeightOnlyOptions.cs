namespace Shrink.Methods.Quantization.WeightOnly;

/// <summary>Typed options of weight-only low-bit quantization.</summary>
public sealed record WeightOnlyOptions
{
    /// <summary>Bits per weight: 2, 3, 4 or 8.</summary>
    public int Bits { get; init; } = 4;

    /// <summary>Columns per group along the reduction axis; 0 for one group per output channel.</summary>
    public int GroupSize { get; init; } = 32;

    /// <summary>
    /// Per-layer bit widths by node name (or display name), overriding <see cref="Bits"/> (mixed precision); 0 keeps that
    /// layer in float.
    /// </summary>
    public IReadOnlyDictionary<string, int> LayerBits { get; init; } = new Dictionary<string, int>();

    /// <summary>The bit width of <paramref name="node"/>: its <see cref="LayerBits"/> entry, else <see cref="Bits"/>.</summary>
    public int BitsFor(Model.Node node) =>
        LayerBits.TryGetValue(node.Name, out int b) || LayerBits.TryGetValue(node.DisplayName, out b) ? b : Bits;

    /// <summary>Rounding method name: <c>rtn</c> (no data needed) or <c>gptq</c> (needs calibration data).</summary>
    public string Method { get; init; } = "gptq";

    /// <summary>Symmetric grid (zero point in the middle, none stored) or asymmetric (a zero point per group).</summary>
    public bool Symmetric { get; init; } = true;

    /// <summary>GPTQ: quantize columns by decreasing Hessian diagonal.</summary>
    public bool ActOrder { get; init; } = true;

    /// <summary>GPTQ dampening, as a fraction of the mean Hessian diagonal.</summary>
    public double Damp { get; init; } = 0.01;

    /// <summary>
    /// Clipping ranges tried per group (1 keeps the plain abs-max range). Null picks per method: 1 for <c>rtn</c>, so it
    /// reproduces reference round-to-nearest, and 20 for <c>gptq</c>, where the search weighs errors by the Hessian diagonal.
    /// </summary>
    public int? ClipSteps { get; init; }

    /// <summary>
    /// GPTQ: quantize the layers in order, each from the inputs the already-quantized layers produce (default), or all
    /// from the float model's inputs in one calibration pass (faster, usually a little less accurate).
    /// </summary>
    public bool Sequential { get; init; } = true;

    /// <summary>
    /// Sequential GPTQ: round each layer toward what the float model computes at that layer from its own inputs, not
    /// toward the float weight on the quantized model's inputs, so each layer absorbs part of the error the layers before
    /// it left (GPTAQ-style asymmetric calibration). Costs a second model run per layer group.
    /// </summary>
    public bool TargetFloatOutputs { get; init; } = true;

    /// <summary>GPTQ: columns per lazy block.</summary>
    public int BlockSize { get; init; } = 128;

    /// <summary>Calibration samples.</summary>
    public long Samples { get; init; } = 256;

    /// <summary>Batch size while calibrating.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>
    /// Bytes of layer inputs one calibration batch may expose (see <see cref="Measures.HessianBatchPlan"/>): the batch is
    /// lowered to fit, measured on one sample. Null: <see cref="Calibration.MemoryBudget.DefaultBytes"/> (half the
    /// available memory, at most 1 GiB).
    /// </summary>
    public long? MemoryLimitBytes { get; init; }

    /// <summary>Node names (or display names) to leave in float.</summary>
    public IReadOnlySet<string> ExcludeNodes { get; init; } = new HashSet<string>();

    /// <summary>Op types to leave in float (Conv, Gemm, MatMul).</summary>
    public IReadOnlySet<string> ExcludeOps { get; init; } = new HashSet<string>();

    /// <summary>
    /// Gather tables (embeddings) as com.microsoft GatherBlockQuantized: null (auto) quantizes the tables of at least
    /// <see cref="EmbeddingMinElements"/> values to 8 bits, whatever <see cref="Bits"/> is; 4 or 8 quantizes every table
    /// a Gather reads to that width; 0 keeps them in float. Round-to-nearest, in groups of <see cref="GroupSize"/> along
    /// each row, symmetric or not as the weights. Auto stays at 8 bits because a looked-up row's error goes straight into
    /// the residual stream instead of averaging out over a dot product: on tiny_gpt 8-bit embeddings alone kept the
    /// logits at 57 dB SQNR, 4-bit ones alone cost as much as 4-bit weights everywhere else (32 dB); 8 bits already take a
    /// float table to about 0.28 of its bytes.
    /// </summary>
    public int? EmbeddingBits { get; init; }

    /// <summary>The smallest table (rows × columns) auto mode quantizes: 65,536 values (256 KiB in float).</summary>
    public long EmbeddingMinElements { get; init; } = DefaultEmbeddingMinElements;

    /// <summary>The default <see cref="EmbeddingMinElements"/>.</summary>
    public const long DefaultEmbeddingMinElements = 1 << 16;

    /// <summary>The width a Gather table of <paramref name="elements"/> values is quantized to: 0 (float), 4 or 8.</summary>
    public int EmbeddingBitsFor(long elements) => EmbeddingBits switch
    {
        null => elements >= EmbeddingMinElements ? 8 : 0,
        int b => b,
    };

    /// <summary>How the rounded weights are written.</summary>
    public WeightExportSettings Export { get; init; } = new();

    /// <summary>Measure each layer's relative output error on the calibration data for round-to-nearest and the method (needs data).</summary>
    public bool MeasureLayerErrors { get; init; } = true;

    /// <summary>Function-preserving rewrites run before rounding (rotation, smoothing, equalization, bias correction).</summary>
    public Equivalence.EquivalenceOptions Equivalence { get; init; } = new();

    /// <summary>The rounding settings these options imply.</summary>
    public WeightRoundingSettings RoundingSettings(string method) => new()
    {
        Grid = new WeightGrid(Bits, Symmetric),
        GroupSize = GroupSize,
        ClipSteps = ClipSteps ?? (string.Equals(method, "rtn", StringComparison.OrdinalIgnoreCase) ? 1 : 20),
        Damp = Damp,
        ActOrder = ActOrder,
        BlockSize = BlockSize,
    };

    /// <summary>The most clipping ranges tried per group (the default for GPTQ is 20).</summary>
    public const int MaxClipSteps = 1000;

    /// <summary>
    /// Checks the values before any work starts: <see cref="OptionsException"/> for what users set (--group-size,
    /// --clip-steps), <see cref="ShrinkException"/> for the rest, naming the bad one.
    /// </summary>
    public void Validate()
    {
        if (Bits is not (2 or 3 or 4 or 8)) throw new ShrinkException($"Weight bits must be 2, 3, 4 or 8, not {Bits}.");
        foreach (var (layer, bits) in LayerBits)
            if (bits is not (0 or 2 or 3 or 4 or 8)) throw new ShrinkException($"Layer '{layer}': bits must be 0 (float), 2, 3, 4 or 8, not {bits}.");
        if (GroupSize < 0) throw new OptionsException("--group-size must be 0 or positive.", ["--group-size"]);
        if (MemoryLimitBytes is long m && m < Calibration.MemoryBudget.MinimumBytes)
            throw new OptionsException($"--memory-limit must be at least {Calibration.MemoryBudget.Format(Calibration.MemoryBudget.MinimumBytes)}.", ["--memory-limit"]);
        if (EmbeddingBits is int eb && eb != 0 && !Ops.GatherBlockQuantizedKernel.Widths.Contains(eb))
            throw new OptionsException($"--embeddings int{eb}: Gather tables are quantized to int8 or int4 (ONNX Runtime's GatherBlockQuantized), or kept with off.", ["--embeddings"]);
        if (EmbeddingBits is not (null or 0) && GroupSize > 0 && Ops.GatherBlockQuantizedKernel.BlockFor(GroupSize, int.MaxValue) is null)
            throw new OptionsException($"--embeddings int{EmbeddingBits} needs --group-size 0 or a power of two of at least {Ops.GatherBlockQuantizedKernel.MinBlockSize} (GatherBlockQuantized's blocks), not {GroupSize}; or use --embeddings off.", ["--embeddings", "--group-size"]);
        if (EmbeddingMinElements < 0) throw new ShrinkException($"The smallest embedding table must be 0 or more values, not {EmbeddingMinElements}.");
        if (!(Damp > 0) || double.IsInfinity(Damp)) throw new ShrinkException($"GPTQ dampening must be positive, not {Damp}.");
        if (BlockSize <= 0) throw new ShrinkException($"The GPTQ block size must be positive, not {BlockSize}.");
        if (ClipSteps is int steps and (< 1 or > MaxClipSteps))
            throw new OptionsException($"--clip-steps {steps} is outside 1..{MaxClipSteps} (the limit on clipping ranges tried per group).", ["--clip-steps"]);
        if (Samples <= 0 || BatchSize <= 0) throw new ShrinkException("Calibration samples and batch size must be positive.");
        Equivalence.Validate();
    }
}
