namespace Shrink.Methods.Pruning.Sparsity;

/// <summary>Unstructured: the <c>zeros</c> lowest-scoring weights of the slice, wherever they are.</summary>
public sealed class MagnitudeMask : ISparsityMask
{
    /// <inheritdoc />
    public string Name => "unstructured";

    /// <inheritdoc />
    public int Period => 0;

    /// <inheritdoc />
    public long ZerosFor(int rows, int cols, long requested) => Math.Clamp(requested, 0, (long)rows * cols);

    /// <inheritdoc />
    public void Select(ReadOnlySpan<float> scores, int rows, int width, long zeros, Span<bool> prune)
    {
        int count = rows * width;
        prune[..count].Clear();
        if (zeros <= 0) return;
        foreach (int i in Lowest(scores[..count], (int)Math.Min(zeros, count))) prune[i] = true;
    }

    /// <summary>Indices of the <paramref name="k"/> lowest values (ties: lower index first).</summary>
    public static int[] Lowest(ReadOnlySpan<float> values, int k)
    {
        var keys = values.ToArray();
        var index = new int[keys.Length];
        for (int i = 0; i < index.Length; i++) index[i] = i;
        Array.Sort(index, (a, b) =>
        {
            int c = keys[a].CompareTo(keys[b]);
            return c != 0 ? c : a.CompareTo(b);
        });
        return index[..k];
    }
}
