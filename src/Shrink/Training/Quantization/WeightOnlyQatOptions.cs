namespace Shrink.Training.Quantization;

/// <summary>
/// How <see cref="WeightOnlyQatRewriter"/> reads a weight-only model: the grid its codes were written on (MatMulNBits
/// records the container's bits, not the grid's, and DequantizeLinear int4 tensors hold 2-, 3- and 4-bit codes alike;
/// pass the <c>--weights</c> it was quantized with, or the per-layer widths of a mixed-precision plan). Symmetric or not
/// is read from the node (zero points stored or not).
/// </summary>
public sealed record WeightOnlyQatOptions
{
    /// <summary>Bits of the weight grid, 2–8 (int2, int3, int4, int8), of every layer <see cref="LayerBits"/> does not name.</summary>
    public int Bits { get; init; } = 4;

    /// <summary>
    /// Per-layer grid widths by the quantized layer's node name (or display name), as
    /// <see cref="Methods.Quantization.WeightOnly.WeightOnlyOptions.LayerBits"/> gives them (a mixed-precision plan);
    /// 0 marks a layer kept in float, which has no codes to train.
    /// </summary>
    public IReadOnlyDictionary<string, int> LayerBits { get; init; } = new Dictionary<string, int>();

    /// <summary>The grid width of the layer named <paramref name="name"/> (or <paramref name="displayName"/>).</summary>
    public int BitsFor(string name, string displayName) =>
        LayerBits.TryGetValue(name, out int b) && b > 0 || LayerBits.TryGetValue(displayName, out b) && b > 0 ? b : Bits;

    /// <summary>Refuses bit widths outside 2–8, naming the option.</summary>
    public void Validate()
    {
        if (Bits is < 2 or > 8) throw new OptionsException($"--weights must be int2..int8 for quantization-aware training (got {Bits} bits).", ["--weights"]);
        foreach (var (layer, bits) in LayerBits)
            if (bits is not 0 and (< 2 or > 8)) throw new OptionsException($"--bits: layer '{layer}' has {bits} bits; quantization-aware training reads grids of 2 to 8 bits (or 0, float).", ["--bits"]);
    }
}
