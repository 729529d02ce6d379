using Shrink.Data;

namespace Shrink.Training.Quantization;

/// <summary>
/// How <see cref="QatRewriter"/> reads a QDQ model: the grids its codes were written on (a QDQ model does not record them;
/// pass the <c>--weight-bits</c>, <c>--activation-bits</c> and <c>--symmetric-activations</c> it was quantized with).
/// </summary>
public sealed record QatOptions
{
    /// <summary>Bits of the weight grid, 2–8: codes −(2^(bits−1) − 1)..2^(bits−1) − 1 in int8 containers (±127 at 8).</summary>
    public int WeightBits { get; init; } = 8;

    /// <summary>
    /// Bits of the activation grid, 2–8: at 8 the whole int8/uint8 type; below, 2^bits levels of it (uint8 0..2^bits−1,
    /// int8 −2^(bits−1)..2^(bits−1)−1; symmetric: the zero point ± (2^(bits−1) − 1)), which the fake quantizers clip to.
    /// </summary>
    public int ActivationBits { get; init; } = 8;

    /// <summary>Whether activations were quantized symmetrically (matters below 8 activation bits only).</summary>
    public bool SymmetricActivations { get; init; }

    /// <summary>
    /// A batch of the model's inputs, run once to measure each quantized activation's features per sample (the N of the
    /// LSQ gradient scale 1/√(N·Qp)); without it activation scales get 1/√Qp.
    /// </summary>
    public DataBatch? Sample { get; init; }

    /// <summary>Refuses bit widths outside 2–8, naming the option.</summary>
    public void Validate()
    {
        if (WeightBits is < 2 or > 8) throw new OptionsException($"--weight-bits must be 2..8 for quantization-aware training (got {WeightBits}).", ["--weight-bits"]);
        if (ActivationBits is < 2 or > 8) throw new OptionsException($"--activation-bits must be 2..8 for quantization-aware training (got {ActivationBits}).", ["--activation-bits"]);
    }
}
