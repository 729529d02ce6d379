namespace Shrink.Training.Quantization;

/// <summary>
/// How <see cref="WeightOnlyQatRewriter"/> reads a weight-only model: the grid its MatMulNBits codes were written on (the
/// node records the container's bits, not the grid's: 3-bit codes travel in 4-bit containers; pass the
/// <c>--weights</c> it was quantized with). Symmetric or not is read from the node (zero points stored or not).
/// </summary>
public sealed record WeightOnlyQatOptions
{
    /// <summary>Bits of the weight grid, 2–8 (int2, int3, int4, int8).</summary>
    public int Bits { get; init; } = 4;

    /// <summary>Refuses bit widths outside 2–8, naming the option.</summary>
    public void Validate()
    {
        if (Bits is < 2 or > 8) throw new OptionsException($"--weights must be int2..int8 for quantization-aware training (got {Bits} bits).", ["--weights"]);
    }
}
