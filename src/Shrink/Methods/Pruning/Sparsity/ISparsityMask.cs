namespace Shrink.Methods.Pruning.Sparsity;

/// <summary>
/// Chooses which weights of a [rows × width] slice of a layer's weight matrix (rows = output channels, width = columns
/// along the reduction axis K) become zero, from one score per weight: lower scores go first. The scores are the
/// criterion (|w| for magnitude pruning, w²/[H⁻¹]²_cc for SparseGPT); the mask is the pattern.
/// </summary>
public interface ISparsityMask
{
    /// <summary>A short name for reports (<c>unstructured</c>, <c>2:4</c>).</summary>
    string Name { get; }

    /// <summary>
    /// Columns whose mask is chosen together while a reconstruction updates the weights (M for N:M, chosen on the
    /// updated weights as the update reaches each group), or 0 when the mask of a whole block is chosen at its start.
    /// </summary>
    int Period { get; }

    /// <summary>Zeros this mask puts in a [rows × cols] weight when <paramref name="requested"/> are asked for (N:M fixes its own count).</summary>
    long ZerosFor(int rows, int cols, long requested);

    /// <summary>
    /// Sets <paramref name="prune"/>[i] for the weights to zero, <paramref name="scores"/> and <paramref name="prune"/>
    /// being row-major [rows × width]; <paramref name="zeros"/> is how many (masks with a fixed pattern ignore it).
    /// Ties go to the lower index, so the choice is deterministic.
    /// </summary>
    void Select(ReadOnlySpan<float> scores, int rows, int width, long zeros, Span<bool> prune);
}
