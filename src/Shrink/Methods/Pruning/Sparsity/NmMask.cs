namespace Shrink.Methods.Pruning.Sparsity;

/// <summary>
/// N:M semi-structured: in every group of <see cref="M"/> consecutive columns of a row (along K, groups aligned to
/// column 0), the M − N lowest-scoring weights go, so at most N stay. A last group shorter than M keeps at most N.
/// </summary>
/// <param name="n">Nonzeros kept per group.</param>
/// <param name="m">Group length.</param>
public sealed class NmMask(int n, int m) : ISparsityMask
{
    /// <summary>Nonzeros kept per group.</summary>
    public int N { get; } = n;

    /// <summary>Group length.</summary>
    public int M { get; } = m;

    /// <inheritdoc />
    public string Name => $"{N}:{M}";

    /// <inheritdoc />
    public int Period => M;

    /// <inheritdoc />
    public long ZerosFor(int rows, int cols, long requested) => (long)rows * ((long)(cols / M) * (M - N) + Math.Max(0, cols % M - N));

    /// <inheritdoc />
    /// <remarks><paramref name="width"/> should be a multiple of M, or the slice should end the row.</remarks>
    public void Select(ReadOnlySpan<float> scores, int rows, int width, long zeros, Span<bool> prune)
    {
        prune[..(rows * width)].Clear();
        Span<int> order = stackalloc int[M];
        for (int r = 0; r < rows; r++)
        {
            for (int g = 0; g < width; g += M)
            {
                int len = Math.Min(M, width - g), drop = len - N;
                if (drop <= 0) continue;
                var group = scores.Slice(r * width + g, len);
                // Insertion sort of the group's indices by score (M is small).
                for (int i = 0; i < len; i++)
                {
                    int j = i;
                    while (j > 0 && group[order[j - 1]] > group[i]) { order[j] = order[j - 1]; j--; }
                    order[j] = i;
                }
                for (int i = 0; i < drop; i++) prune[r * width + g + order[i]] = true;
            }
        }
    }
}
