namespace Shrink.Methods.Quantization.WeightOnly;

/// <summary>How one weight matrix is rounded: the grid, the grouping, and the knobs of the data-aware methods.</summary>
public sealed record WeightRoundingSettings
{
    /// <summary>The grid (bits, symmetric).</summary>
    public WeightGrid Grid { get; init; } = new(4, true);

    /// <summary>Columns per group along the reduction axis; 0 for one group per output channel.</summary>
    public int GroupSize { get; init; } = 32;

    /// <summary>
    /// Candidate clipping ranges tried per group (1: plain abs-max / min-max, as round-to-nearest references do).
    /// Each candidate shrinks the range; the one with the least error, weighted by the Hessian diagonal when there is
    /// one, wins.
    /// </summary>
    public int ClipSteps { get; init; } = 1;

    /// <summary>GPTQ dampening: this fraction of the mean Hessian diagonal is added to the diagonal.</summary>
    public double Damp { get; init; } = 0.01;

    /// <summary>GPTQ: quantize columns in order of decreasing Hessian diagonal (groups stay the original columns).</summary>
    public bool ActOrder { get; init; }

    /// <summary>GPTQ: columns per lazy block (error feedback inside a block, one matrix update per block).</summary>
    public int BlockSize { get; init; } = 128;
}
